-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0001: accounts and the org key. Public keys and sealed secrets only; no
-- table here holds a plaintext secret.

-- Small settings: the org public key ('org_pk').
CREATE TABLE meta (
	k TEXT PRIMARY KEY,
	v BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
	id         TEXT PRIMARY KEY CHECK (length(id) = 22),
	username   TEXT NOT NULL UNIQUE,
	role       TEXT NOT NULL
	           CHECK (role IN ('admin', 'coordinator', 'caseworker', 'auditor')),
	status     TEXT NOT NULL
	           CHECK (status IN ('active', 'pending', 'disabled', 'revoked')),
	pk         BLOB NOT NULL CHECK (length(pk) = 32),
	sk_sealed  BLOB NOT NULL,           -- userkey blob, see docs/crypto.md
	-- 0 until the user replaces the admin-chosen first password with their
	-- own: that moment makes a fresh key pair, so nobody who knew the first
	-- password can ever open a key that holds grants (docs/crypto.md)
	enrolled   INTEGER NOT NULL DEFAULT 0 CHECK (enrolled IN (0, 1)),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

-- The org X25519 secret key, sealed to each confirmed coordinator.
CREATE TABLE org_grants (
	user_id    TEXT PRIMARY KEY REFERENCES users(id),
	sealed     BLOB NOT NULL,
	granted_by TEXT,
	created_at INTEGER NOT NULL
);
