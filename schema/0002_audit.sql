-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0002: the audit log. Append-only: triggers refuse UPDATE and DELETE.
-- The entry column is the canonical binary record (docs/audit.md); the
-- other columns are an index over it for queries.
CREATE TABLE audit_log (
	seq         INTEGER PRIMARY KEY,      -- 0-based leaf index
	time_ms     INTEGER NOT NULL,
	actor_id    TEXT NOT NULL,
	role        INTEGER NOT NULL,
	action      INTEGER NOT NULL,
	object_type INTEGER NOT NULL,
	object_id   TEXT,
	outcome     INTEGER NOT NULL,
	request_id  TEXT NOT NULL,
	reason_hash BLOB,
	entry       BLOB,
	leaf_hash   BLOB
);
CREATE INDEX audit_by_object ON audit_log (object_id, seq);
CREATE INDEX audit_by_actor ON audit_log (actor_id, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
