-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0014: accounts under coercion (issue 14): the duress password, the
-- erased key of a panicked or coerced account, and the alerts coordinators
-- see. docs/threat-model.md, "Duress and panic".
--
-- account_duress holds a verifier of the duress password: BLAKE2b keyed
-- by Argon2id(duress password) with the salt and limits of the user's own
-- sealed key (users.sk_sealed), so one Argon2id run per login answers both
-- "is this the password" and "is this the duress password". A new sealed
-- key (a password change) has a new salt, so it drops the row.
CREATE TABLE account_duress (
	user_id    TEXT PRIMARY KEY REFERENCES users(id),
	verifier   BLOB NOT NULL CHECK (length(verifier) = 32),
	created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- An account whose key pair may hold no wrap of a case or evacuation key
-- (server/core/casefile.c skips it): its sealed secret key was erased
-- (panic, a duress login: users.sk_sealed then holds random bytes after
-- its salt, which no password opens), or it was reset and its key pair
-- is sealed under a first password someone else chose. A reset turns the
-- first two into 'reset'; the account's own enrolment deletes that.
CREATE TABLE account_erased (
	user_id    TEXT PRIMARY KEY REFERENCES users(id),
	kind       TEXT NOT NULL CHECK (kind IN ('duress', 'panic', 'reset')),
	created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- What coordinators and admins are shown: one row per duress login or
-- panic, open until the account is reset. Ids and codes only; the panic
-- reason is in the audit log (as its salted hash and side-table text).
CREATE TABLE account_alerts (
	id          TEXT PRIMARY KEY CHECK (length(id) = 22),
	user_id     TEXT NOT NULL REFERENCES users(id),
	kind        TEXT NOT NULL CHECK (kind IN ('duress', 'panic')),
	created_at  INTEGER NOT NULL,
	resolved_at INTEGER
);
CREATE INDEX account_alerts_open ON account_alerts (resolved_at, created_at);
