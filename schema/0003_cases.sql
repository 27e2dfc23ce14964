-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0003: case files. Plain columns hold only what coordinators plan with
-- (codename, status, risk, coarse region, household size, assignees,
-- evacuation, stage); the person, notes, every contact entry and the
-- evacuation details are XChaCha20-Poly1305 ciphertext under a per-object
-- key that is sealed to its holders in case_keys / evac_keys. See
-- docs/cases.md for the reasons behind each plain column.

CREATE TABLE evacuations (
	id             TEXT PRIMARY KEY CHECK (length(id) = 22),
	codename       TEXT NOT NULL UNIQUE,
	stage          TEXT NOT NULL
	               CHECK (stage IN ('planned', 'in_progress', 'completed',
	                                'aborted')),
	created_by     TEXT NOT NULL REFERENCES users(id),
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	key_version    INTEGER NOT NULL CHECK (key_version >= 1),
	-- 1: a holder lost access while nobody could unwrap the key (an admin
	-- revoked them); the next holder to open the key rotates it
	rotate_pending INTEGER NOT NULL DEFAULT 0 CHECK (rotate_pending IN (0, 1)),
	details        BLOB NOT NULL           -- field "details" under K_evac
);

-- K_evac sealed to the org public key ('org') and to each caseworker of a
-- live member case.
CREATE TABLE evac_keys (
	evacuation_id TEXT NOT NULL REFERENCES evacuations(id),
	recipient_id  TEXT NOT NULL,           -- 'org' or a user id
	key_version   INTEGER NOT NULL,
	sealed        BLOB NOT NULL,
	PRIMARY KEY (evacuation_id, recipient_id)
) WITHOUT ROWID;
CREATE INDEX evac_keys_by_recipient ON evac_keys (recipient_id);

CREATE TABLE cases (
	id             TEXT PRIMARY KEY CHECK (length(id) = 22),
	codename       TEXT NOT NULL UNIQUE,
	status         TEXT NOT NULL
	               CHECK (status IN ('intake', 'verified',
	                                 'awaiting_evacuation', 'in_transit',
	                                 'relocated', 'closed')),
	risk           TEXT NOT NULL
	               CHECK (risk IN ('low', 'medium', 'high', 'critical')),
	region         TEXT NOT NULL CHECK (length(region) BETWEEN 1 AND 64),
	household_size INTEGER NOT NULL CHECK (household_size BETWEEN 1 AND 64),
	created_by     TEXT NOT NULL REFERENCES users(id),
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	key_version    INTEGER NOT NULL CHECK (key_version >= 1),
	rotate_pending INTEGER NOT NULL DEFAULT 0 CHECK (rotate_pending IN (0, 1)),
	shredded       INTEGER NOT NULL DEFAULT 0 CHECK (shredded IN (0, 1)),
	shredded_at    INTEGER,
	evacuation_id  TEXT REFERENCES evacuations(id),
	person         BLOB,                   -- field "person" under K_case
	notes          BLOB,                   -- field "notes" under K_case
	-- a live case has both ciphertexts; a tombstone has neither
	CHECK ((shredded = 0 AND person IS NOT NULL AND notes IS NOT NULL) OR
	       (shredded = 1 AND person IS NULL AND notes IS NULL))
);
CREATE INDEX cases_by_evacuation ON cases (evacuation_id);

-- K_case sealed to the org public key ('org') and to each assignee.
CREATE TABLE case_keys (
	case_id      TEXT NOT NULL REFERENCES cases(id),
	recipient_id TEXT NOT NULL,            -- 'org' or a user id
	key_version  INTEGER NOT NULL,
	sealed       BLOB NOT NULL,
	PRIMARY KEY (case_id, recipient_id)
) WITHOUT ROWID;
CREATE INDEX case_keys_by_recipient ON case_keys (recipient_id);

-- Who works on which case. The primary key is the caseworker's listing
-- index: (user_id, case_id) pages by case id without a sort.
CREATE TABLE assignments (
	user_id     TEXT NOT NULL REFERENCES users(id),
	case_id     TEXT NOT NULL REFERENCES cases(id),
	assigned_by TEXT,
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (user_id, case_id)
) WITHOUT ROWID;
CREATE INDEX assignments_by_case ON assignments (case_id, user_id);

-- Contact entries: the whole entry (when, channel, summary, next steps) is
-- one ciphertext under K_case. created_at is when the server stored it,
-- which the audit log (contact.create) records anyway.
CREATE TABLE contacts (
	id         TEXT PRIMARY KEY CHECK (length(id) = 22),
	case_id    TEXT NOT NULL REFERENCES cases(id),
	author_id  TEXT NOT NULL REFERENCES users(id),
	created_at INTEGER NOT NULL,
	entry      BLOB NOT NULL               -- field "entry" under K_case
);
CREATE INDEX contacts_by_case ON contacts (case_id, created_at);
