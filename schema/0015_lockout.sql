-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0015: the two-factor lockout (issue 14, review finding M1).
-- docs/threat-model.md, "Two-factor lockout".
--
-- account_locked marks an account that gave the right password (or its
-- duress password) followed by TWOFACTOR_LOCKOUT_FAILURES wrong codes in a
-- row (server/limits.h): whoever did that holds the password, so the
-- account takes no more logins until a coordinator or admin resets it
-- (POST /users/{id}/reset deletes the row). Nothing is erased: the key
-- pair, the wraps and the sessions the person already has stay.
CREATE TABLE account_locked (
	user_id    TEXT PRIMARY KEY REFERENCES users(id),
	created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- account_alerts gains the kind 'lockout'. SQLite cannot change a CHECK
-- constraint in place: the table is made again and its rows copied.
CREATE TABLE account_alerts_0015 (
	id          TEXT PRIMARY KEY CHECK (length(id) = 22),
	user_id     TEXT NOT NULL REFERENCES users(id),
	kind        TEXT NOT NULL CHECK (kind IN ('duress', 'panic',
	    'lockout')),
	created_at  INTEGER NOT NULL,
	resolved_at INTEGER
);
INSERT INTO account_alerts_0015 (id, user_id, kind, created_at, resolved_at)
	SELECT id, user_id, kind, created_at, resolved_at FROM account_alerts;
DROP INDEX account_alerts_open;
DROP TABLE account_alerts;
ALTER TABLE account_alerts_0015 RENAME TO account_alerts;
CREATE INDEX account_alerts_open ON account_alerts (resolved_at, created_at);
