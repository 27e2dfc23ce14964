/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_tiles_verify: offline verification of a directory of fetched
 * tlog tiles against a signed checkpoint, with no database and no
 * passphrase: `corridor audit verify --tiles DIR --checkpoint F
 * --public-key K`. DIR holds the tiles in the tlog-tiles layout,
 * DIR/tile/<L>/<N>[.p/<W>] and DIR/tile/entries/<N>[.p/<W>], exactly the
 * paths GET /api/v1/audit/tile/... serves (docs/audit.md, "Tiles").
 *
 * Checks, for the checkpoint's size n:
 *  - the checkpoint is signed by the pinned key, its origin the key's name
 *    (after a key rotation, pin the key that signed it, or verify an
 *    export, which follows the chain of keys);
 *  - every tile of the tree of size n is there with exactly the width the
 *    spec gives it at n (full, or the partial width at the right edge);
 *  - every entry bundle is there, parses (2-byte big-endian length, then
 *    the entry; nothing after the last), holds as many entries as its
 *    level-0 tile has hashes, each a canonical entry whose seq is its
 *    index and whose leaf hash is the tile's hash;
 *  - every hash of a tile at level L >= 1 is the root of the matching
 *    full tile at level L - 1;
 *  - the root recomputed over the level-0 hashes is the checkpoint's.
 * Streams level 0 tile by tile; memory is O(n / 256) hashes.
 */
#ifndef CORRIDOR_AUDIT_TILES_VERIFY_H
#define CORRIDOR_AUDIT_TILES_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/note.h"

#define AUDIT_TILES_REASON_BYTES	256u

struct audit_tiles_result {
	uint64_t	size;		/* the checkpoint's tree size */
	uint64_t	tiles;		/* tile and bundle files checked */
	char		reason[AUDIT_TILES_REASON_BYTES];	/* on failure */
};

/* 0 when DIR proves the checkpoint note (note_len bytes) signed by
 * pinned; -1 with res->reason otherwise. */
int audit_verify_tiles(const struct note_vkey *pinned, const char *dir,
    const char *note, size_t note_len, struct audit_tiles_result *res);

#endif
