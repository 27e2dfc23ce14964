-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0013: partner organisations and the transfer bundles exchanged with them
-- (docs/cases.md, "Handing a case to a partner").
--
-- A partner is another corridor instance, known by its instance key: the
-- Ed25519 key that signs its audit log (crypto/xfer.h derives the X25519
-- key bundles are sealed to). The operator registers it with `corridor
-- partner add` after checking its fingerprint out of band. name is the
-- operator's label for it; origin is the partner's audit log origin, the
-- name its key is known by.
CREATE TABLE partners (
	id          TEXT PRIMARY KEY CHECK (length(id) = 22),
	name        TEXT NOT NULL UNIQUE
	            CHECK (length(name) BETWEEN 1 AND 128),
	origin      TEXT NOT NULL UNIQUE
	            CHECK (length(origin) BETWEEN 1 AND 255),
	public_key  BLOB NOT NULL UNIQUE CHECK (length(public_key) = 32),
	created_at  INTEGER NOT NULL
);

-- Every bundle sent (direction 1) or imported (direction 2), by its
-- random 16-byte id: an id imported once is refused the second time, so
-- the same bundle cannot create two cases. The direction is part of the
-- key so that an instance registered as its own partner (a drill, the
-- browser test) can import what it sent. bundle_hash is the SHA-256 of the
-- whole bundle file, also in the case.transfer / case.import entry. No
-- foreign key to partners: removing a partner keeps its history.
CREATE TABLE transfers (
	bundle_id     BLOB NOT NULL CHECK (length(bundle_id) = 16),
	direction     INTEGER NOT NULL CHECK (direction IN (1, 2)),
	case_id       TEXT NOT NULL REFERENCES cases(id),
	partner_origin TEXT NOT NULL,
	bundle_hash   BLOB NOT NULL CHECK (length(bundle_hash) = 32),
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (bundle_id, direction)
) WITHOUT ROWID;
CREATE INDEX transfers_by_case ON transfers (case_id);
