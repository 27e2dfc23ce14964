-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0010: two-factor login (TOTP, RFC 6238) and recovery codes,
-- docs/crypto.md "Two-factor login".
--
-- secret is the 20-byte TOTP secret as a field (crypto/field.h) under the
-- server's two-factor key (meta 'twofactor_key'), bound to table "totp",
-- the user id and field "secret": a row copied to another user fails to
-- open. last_step is the highest time step (unix time / 30) a code was
-- accepted for: a code of that step or an older one is refused, so a code
-- cannot be replayed inside its window. A row with confirmed = 0 is an
-- enrolment the user has not yet proven with a code; it protects nothing.
CREATE TABLE totp (
	user_id    TEXT PRIMARY KEY REFERENCES users(id),
	secret     BLOB NOT NULL CHECK (length(secret) = 60),
	confirmed  INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
	last_step  INTEGER NOT NULL DEFAULT 0 CHECK (last_step >= 0),
	created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Single-use recovery codes, stored only as keyed BLAKE2b-256 hashes
-- (crypto/totp.h, key meta 'twofactor_recovery_key'); a used code's row
-- is deleted in the login's transaction.
CREATE TABLE recovery_codes (
	user_id TEXT NOT NULL REFERENCES users(id),
	hash    BLOB NOT NULL CHECK (length(hash) = 32),
	PRIMARY KEY (user_id, hash)
) WITHOUT ROWID;
