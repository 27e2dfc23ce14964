/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_tiles: the audit log's tlog-tiles in audit_tiles
 * (0006_audit_tiles.sql), kept by the one append path and read for proofs,
 * for GET /audit/tile/... and at start-up. Which tile holds what is
 * crypto/tile.h; what is stored, and why level 0's partial tile is the
 * leaf_hash column, is in the migration. Functions return a store_err.
 */
#ifndef CORRIDOR_STORE_TILES_H
#define CORRIDOR_STORE_TILES_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/merkle.h"
#include "crypto/tile.h"
#include "schema/store.h"

/*
 * Entry seq, with leaf hash leaf, was just inserted in s's open write
 * transaction. When it completes a level-0 tile, write that tile and grow
 * (or complete, and so on up) the tile above it, in the same transaction.
 * Costs nothing for 255 entries in 256; for the 256th, one read of the
 * tile's 256 leaf hashes, one insert, and one read and rewrite per level
 * whose tile grows (one, except once in 65536 entries). STORE_ECORRUPT if
 * the stored tiles do not line up with seq (a gap, a missing partial).
 */
int store_tiles_append(struct store *s, uint64_t seq,
    const uint8_t leaf[MERKLE_HASH_BYTES]);

/*
 * Build every tile of the log stored in audit_log (the migration's C
 * step; inside its write transaction, with audit_tiles empty). Reads every
 * leaf hash once; STORE_ECORRUPT if the seqs are not 0..n-1.
 */
int store_tiles_build(struct store *s);

/*
 * The first width hashes of tile (level, idx) into out (width * 32 bytes),
 * from its row, or for level 0 from the leaf hashes when the tile is not
 * full yet. width must not exceed the tile's width in the stored log.
 * STORE_ENOTFOUND if those hashes do not exist; STORE_ECORRUPT if the row
 * is shorter than a tile that should be there.
 */
int store_tiles_read(struct store *s, unsigned level, uint64_t idx,
    unsigned width, uint8_t *out);

/* The width of the stored row (level, idx), 0 if there is none. For the
 * start-up checks. */
int store_tiles_row_width(struct store *s, unsigned level, uint64_t idx,
    unsigned *width);

/* Tree size of the stored log: max(seq) + 1, 0 when empty. */
int store_tiles_log_size(struct store *s, uint64_t *size);

/*
 * A node source (merkle_get_node_fn) over the tiles of the tree of size
 * leaves, caching one tile per level: a proof reads each tile once. The
 * reader is large (64 KiB): allocate it. Not thread-safe; one connection.
 */
#define STORE_TILES_LEVELS	8u	/* levels of a tree below 2^63 */

struct store_tiles_reader {
	struct store	*s;
	uint64_t	 size;
	int		 err;		/* the first store_err met, else 0 */
	struct {
		int		have;
		uint64_t	idx;
		unsigned	width;
		uint8_t		data[TILE_MAX_BYTES];
	} tile[STORE_TILES_LEVELS];
};

void store_tiles_reader_init(struct store_tiles_reader *r, struct store *s,
    uint64_t size);
int store_tiles_node(void *arg, unsigned height, uint64_t index,
    uint8_t out[MERKLE_HASH_BYTES]);

#endif
