/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * tile: the arithmetic and the paths of C2SP tlog-tiles over the RFC 6962
 * tree of crypto/merkle.h. A tile at level L, index N holds, for
 * i = 0..W-1, the hash of the perfect subtree of 256^L leaves that starts
 * at leaf (N * 256 + i) * 256^L: level 0 holds leaf hashes, level L the
 * tree nodes at height 8L. A tile is full at W = 256 and partial at the
 * right edge of the tree, where W = (size >> 8L) mod 256. An entry bundle
 * (tile/entries/N) holds the entries of level-0 tile N.
 *
 * A node of the tree at height h, index i (the root of the leaves
 * [i * 2^h, (i + 1) * 2^h)) is the root of 2^(h mod 8) consecutive hashes
 * of the tile at level h / 8: tile_node_locate says which.
 *
 * Paths (docs/audit.md, "Tiles"): tile/<L>/<N>[.p/<W>] and
 * tile/entries/<N>[.p/<W>], L in 0..63 written in decimal without leading
 * zeros, N as groups of three digits, every group but the last prefixed
 * with "x" (1234067 is x001/x234/067), W in 1..255. Only the canonical
 * spelling parses.
 */
#ifndef CORRIDOR_TILE_H
#define CORRIDOR_TILE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/merkle.h"

#define TILE_HEIGHT		8u
#define TILE_WIDTH		256u	/* hashes in a full tile: 2^8 */
#define TILE_MAX_BYTES		(TILE_WIDTH * MERKLE_HASH_BYTES)

/* Levels a path may name (the spec's range); a tree below 2^63 leaves has
 * hashes up to level 7 only. */
#define TILE_LEVEL_MAX		63u

/* Largest tile index in a path: a level-0 tile index is below 2^63 / 256,
 * 2^55, which has 17 decimal digits, so six groups of three. */
#define TILE_INDEX_MAX		((MERKLE_MAX_SIZE >> TILE_HEIGHT))

/* Longest canonical path, for buffers: "tile/entries/" (13) + six groups
 * "x000/" (5 each, the last without x and /: 3) + ".p/255" (6) + NUL. */
#define TILE_PATH_MAX_BYTES	(13u + 5u * 5u + 3u + 6u + 1u)

struct tile_id {
	int		entries;	/* 1: an entry bundle (level is 0) */
	unsigned	level;
	uint64_t	index;
	unsigned	width;		/* 1..256, 256 = full */
};

/* Parse a path relative to the log's prefix ("tile/0/x001/234.p/7").
 * Exactly len bytes, no NUL needed. 0 or -1 (not canonical, out of range). */
int tile_path_parse(struct tile_id *t, const char *p, size_t len)
    MERKLE_WUR;

/* Format t's path into out (out_len bytes, TILE_PATH_MAX_BYTES is always
 * enough). 0 or -1. */
int tile_path_format(char *out, size_t out_len, const struct tile_id *t)
    MERKLE_WUR;

/* Width of tile (level, index) in a tree of size leaves: 0 when the tile
 * has no hash yet, 256 when full, else the partial width. */
unsigned tile_width_at(unsigned level, uint64_t index, uint64_t size);

/* Where node (height, node_index) lives: the tile (*tile_level,
 * *tile_index) and the run of *count hashes from offset *off whose root
 * it is. */
void tile_node_locate(unsigned height, uint64_t node_index,
    unsigned *tile_level, uint64_t *tile_index, unsigned *off,
    unsigned *count);

#endif
