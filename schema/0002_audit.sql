-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0002: the audit log (docs/audit.md, "Storage").
--
-- audit_log holds one row per entry: the canonical binary record (entry),
-- its Merkle leaf hash SHA-256(0x00 || entry), and copies of a few of its
-- fields as plain columns so GET /audit can filter with an index. The entry
-- blob is the truth; the columns are only an index over it.
--
-- audit_checkpoints holds every signed checkpoint note, in signing order.
-- audit_reasons holds break-glass reasons (free text) with their salts; the
-- entry commits only to SHA-256(salt || reason), so a reason can be erased
-- without changing the log.
--
-- Append-only: triggers refuse UPDATE and DELETE on every audit table. The
-- one exception is the documented erasure of a reason, which may only set
-- salt and reason to NULL and erased_at to a time, once.
CREATE TABLE audit_log (
	seq         INTEGER PRIMARY KEY CHECK (seq >= 0),  -- leaf index
	time_ms     INTEGER NOT NULL,
	actor_id    TEXT NOT NULL,                         -- '' = anonymous
	role        INTEGER NOT NULL,
	action      INTEGER NOT NULL,
	object_type INTEGER NOT NULL,
	object_id   TEXT NOT NULL,                         -- '' = none
	outcome     INTEGER NOT NULL,
	request_id  TEXT NOT NULL,
	entry       BLOB NOT NULL CHECK (length(entry) BETWEEN 28 AND 508),
	leaf_hash   BLOB NOT NULL CHECK (length(leaf_hash) = 32)
);
CREATE INDEX audit_by_object ON audit_log (object_type, object_id, seq);
CREATE INDEX audit_by_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_by_action ON audit_log (action, seq);
-- Covering index for the start-up scan and proofs: (seq, leaf hash) only,
-- so rebuilding the tree does not read the entries.
CREATE INDEX audit_leaves ON audit_log (seq, leaf_hash);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

CREATE TABLE audit_checkpoints (
	id         INTEGER PRIMARY KEY,                    -- signing order
	size       INTEGER NOT NULL CHECK (size >= 0),
	note       BLOB NOT NULL CHECK (length(note) BETWEEN 1 AND 8192),
	created_ms INTEGER NOT NULL
);
CREATE INDEX audit_checkpoints_by_size ON audit_checkpoints (size, id);

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;

CREATE TABLE audit_reasons (
	seq       INTEGER PRIMARY KEY REFERENCES audit_log (seq),
	salt      BLOB CHECK (salt IS NULL OR length(salt) = 16),
	reason    BLOB CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 512),
	erased_at INTEGER,                                 -- Unix ms, or NULL
	CHECK ((erased_at IS NULL AND salt IS NOT NULL AND reason IS NOT NULL)
	    OR (erased_at IS NOT NULL AND salt IS NULL AND reason IS NULL))
);

CREATE TRIGGER audit_reasons_no_delete BEFORE DELETE ON audit_reasons
BEGIN SELECT RAISE(ABORT, 'audit reasons are append-only'); END;
-- The only update allowed is the erasure: a live reason loses its salt and
-- text and gains an erasure time; nothing else changes, and never again.
CREATE TRIGGER audit_reasons_only_erase BEFORE UPDATE ON audit_reasons
WHEN NOT (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL
    AND NEW.seq = OLD.seq AND NEW.salt IS NULL AND NEW.reason IS NULL)
BEGIN SELECT RAISE(ABORT, 'audit reasons can only be erased'); END;
