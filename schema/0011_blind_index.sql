-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0011: blind indexes for "have we seen this person before?"
-- (POST /cases/lookup, docs/cases.md). Each row says: case_id's person
-- holds a phone number (kind 1) or a name (kind 2) whose keyed BLAKE2b
-- under the index key K_idx is value (crypto/blind.h). K_idx is not in
-- the database and not derived from K_db: without the `index-key` file
-- no value here can be tested against a guess.
--
-- Kind 0 is the marker of a case indexed under the current K_idx (value:
-- K_idx's check value). A case without it -- every case written before
-- this migration, or before K_idx was replaced -- is indexed again at
-- its next write, or by a coordinator's POST /cases/reindex.
--
-- WARNING (docs/threat-model.md): equal values have equal rows, so
-- whoever reads this table sees which cases share a phone or a name.

CREATE TABLE case_blind (
	kind    INTEGER NOT NULL CHECK (kind IN (0, 1, 2)),
	value   BLOB NOT NULL CHECK (length(value) = 32),
	case_id TEXT NOT NULL REFERENCES cases(id),
	PRIMARY KEY (kind, value, case_id)
) WITHOUT ROWID;
CREATE INDEX case_blind_by_case ON case_blind (case_id);

-- A shredded case leaves no index behind, whichever path shredded it
-- (casefile_case_shred deletes the rows too; this is the backstop).
CREATE TRIGGER cases_shred_blind AFTER UPDATE OF shredded ON cases
WHEN NEW.shredded = 1
BEGIN
	DELETE FROM case_blind WHERE case_id = NEW.id;
END;
