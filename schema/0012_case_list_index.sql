-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0011: a covering index for the case listing (issue 17).
--
-- GET /cases walks cases in id order. Ids are random, rows are stored in
-- rowid (insertion) order, so through the primary-key index each of the
-- 100 rows of a page sat on a different table page: about 100 page reads,
-- each an SQLCipher decryption (AES-256-CBC and HMAC over 4 KiB), and
-- every commit empties a reading connection's page cache, so a page cost
-- them all again. This index holds every column the listing returns
-- (store_case.c, CASE_COLS) in id order, so a page of 100 reads a handful
-- of consecutive index leaves and never the table (whose rows also carry
-- the person and notes ciphertexts the listing does not need).
--
-- Nothing new is stored: these columns are already in the cases table,
-- and index pages are encrypted like every other page. The cost is one
-- more index entry to write when a case is created or its listed columns
-- change.
CREATE INDEX cases_list ON cases (id, codename, status, risk, region,
	household_size, created_by, created_at, updated_at, key_version,
	rotate_pending, shredded, shredded_at, evacuation_id, closed_at);
