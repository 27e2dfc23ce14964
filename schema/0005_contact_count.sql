-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0005: how many contact entries each case holds, so that POST
-- /cases/{id}/contacts checks MAX_CONTACTS_PER_CASE with one primary-key
-- lookup instead of counting the case's entries in contacts_by_case (one
-- decrypted index page per ~120 entries on a cold page cache). The number
-- tells nothing new: the contacts table shows it to whoever holds K_db.
--
-- Why a table of its own and not a column of cases: a cases row holds the
-- person and notes ciphertexts (up to 16 KiB and 64 KiB), so it often
-- spills onto overflow pages, and SQLite 3.15.2 (SQLCipher 3.4.1) rewrites
-- the whole record, overflow chain included, on any UPDATE of it; with
-- secure_delete on, the old chain is zeroed as well. A counter there would
-- make every contact create write about two pages per 4 KiB of case text
-- (measured: 37 pages instead of 4 for a case with 64 KiB of notes), and
-- a column added by ALTER TABLE sits after the ciphertexts, so reading it
-- walks the whole overflow chain. Here a row is ~30 bytes, ~100 to a page.
--
-- Triggers keep it, not the callers: a case gets its row (0) when it is
-- inserted, and every statement that adds, removes or moves a contact row
-- (the route, shredding, the retention sweep, an operator's hand) moves
-- the count in the same statement; a rollback undoes both together. A
-- tombstone keeps its row, at 0. None of the code does INSERT OR REPLACE
-- into contacts: with recursive_triggers off, as here, a row that REPLACE
-- deletes fires no delete trigger.

CREATE TABLE contact_counts (
	case_id       TEXT PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
	contact_count INTEGER NOT NULL DEFAULT 0 CHECK (contact_count >= 0)
) WITHOUT ROWID;

-- Every case there is, with what it holds now.
INSERT INTO contact_counts (case_id, contact_count)
	SELECT c.id, (SELECT count(*) FROM contacts t WHERE t.case_id = c.id)
	FROM cases c;

CREATE TRIGGER cases_contact_count AFTER INSERT ON cases
BEGIN
	INSERT INTO contact_counts (case_id) VALUES (NEW.id);
END;

CREATE TRIGGER contacts_count_insert AFTER INSERT ON contacts
BEGIN
	UPDATE contact_counts SET contact_count = contact_count + 1
		WHERE case_id = NEW.case_id;
END;

CREATE TRIGGER contacts_count_delete AFTER DELETE ON contacts
BEGIN
	UPDATE contact_counts SET contact_count = contact_count - 1
		WHERE case_id = OLD.case_id;
END;

-- Nothing moves a contact to another case today; should anything ever,
-- both counts follow.
CREATE TRIGGER contacts_count_move AFTER UPDATE OF case_id ON contacts
WHEN NEW.case_id IS NOT OLD.case_id
BEGIN
	UPDATE contact_counts SET contact_count = contact_count - 1
		WHERE case_id = OLD.case_id;
	UPDATE contact_counts SET contact_count = contact_count + 1
		WHERE case_id = NEW.case_id;
END;
