-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0009: attachments of a case (documents and photos), docs/cases.md.
--
-- Each attachment has its own random key K_att, stored only as key_wrap:
-- K_att under K_case (crypto/field.h, field "key", place "<case>/<id>",
-- at the case's key_version). A rotation of K_case re-wraps it; the
-- chunks are never rewritten. The filename and media type are fields
-- under K_att. The bytes are a crypto_secretstream under K_att with the
-- stream header in the row, cut into chunks of ATTACHMENT_CHUNK_BYTES of
-- plaintext, one row each: memory per transfer stays one chunk, and the
-- upload's rows commit in the same transaction as its audit entry, so a
-- partial upload leaves nothing and backups carry attachments as they
-- carry everything else.
--
-- What is plain (to whoever holds K_db): the case, the author, the time,
-- the size and the chunk count. The ciphertext's length shows the size
-- anyway.

CREATE TABLE attachments (
	id          TEXT PRIMARY KEY CHECK (length(id) = 22),
	case_id     TEXT NOT NULL REFERENCES cases(id),
	author_id   TEXT NOT NULL REFERENCES users(id),
	created_at  INTEGER NOT NULL,
	size        INTEGER NOT NULL CHECK (size >= 0),  -- plaintext bytes
	chunks      INTEGER NOT NULL CHECK (chunks >= 0),
	key_version INTEGER NOT NULL CHECK (key_version >= 1),
	key_wrap    BLOB NOT NULL,               -- K_att under K_case
	header      BLOB NOT NULL CHECK (length(header) = 24),
	filename    BLOB NOT NULL,               -- field under K_att
	media_type  BLOB NOT NULL                -- field under K_att
);
CREATE INDEX attachments_by_case ON attachments (case_id, created_at);

-- A rowid table: its rows are ~64 KiB, which WITHOUT ROWID suits badly.
CREATE TABLE attachment_chunks (
	attachment_id TEXT NOT NULL
	              REFERENCES attachments(id) ON DELETE CASCADE,
	seq           INTEGER NOT NULL CHECK (seq >= 0),
	data          BLOB NOT NULL,
	PRIMARY KEY (attachment_id, seq)
);
