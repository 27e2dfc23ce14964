-- SPDX-License-Identifier: AGPL-3.0-or-later
-- 0008: the audit log's Merkle tree as C2SP tlog-tiles (docs/audit.md,
-- "Tiles"). store.c finds its C step by the name "audit_tiles", not the
-- number.
--
-- audit_tiles holds, per (level, idx), the tile's hashes back to back
-- (32 bytes each, width = length(data) / 32):
--  - every full tile (256 hashes) of every level;
--  - the partial tile at the right edge of every level >= 1, replaced by a
--    longer one as the tree grows, until it is full.
-- The right-edge partial tile of level 0 is not stored twice: its hashes
-- are the leaf_hash column of the entries after the last full level-0
-- tile. Rows are written in the transaction that appends the entry that
-- makes them (schema/store_tiles.c), so the tiles always describe exactly
-- the committed log. The C step of this migration builds the tiles of an
-- existing log in the migration's own transaction.
--
-- Append-only: a row may only grow (its old hashes stay a prefix) and is
-- never deleted.
CREATE TABLE audit_tiles (
	level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 7),
	idx   INTEGER NOT NULL CHECK (idx >= 0),
	data  BLOB NOT NULL CHECK (length(data) BETWEEN 32 AND 8192
	                           AND length(data) % 32 = 0),
	PRIMARY KEY (level, idx)
) WITHOUT ROWID;

CREATE TRIGGER audit_tiles_no_delete BEFORE DELETE ON audit_tiles
BEGIN SELECT RAISE(ABORT, 'audit tiles are append-only'); END;
CREATE TRIGGER audit_tiles_only_grow BEFORE UPDATE ON audit_tiles
WHEN NOT (NEW.level = OLD.level AND NEW.idx = OLD.idx
    AND length(NEW.data) > length(OLD.data)
    AND substr(NEW.data, 1, length(OLD.data)) = OLD.data)
BEGIN SELECT RAISE(ABORT, 'audit tiles can only grow'); END;
