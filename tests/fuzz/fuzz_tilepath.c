/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_tilepath: the tlog-tiles path parser (crypto/tile.c), which the
 * server runs on request paths under /audit/tile/. Invariants: a path
 * that parses is canonical (it formats back to exactly the input) and in
 * range (level <= 63, index <= TILE_INDEX_MAX, width 1..256, entry
 * bundles at level 0); the width and node arithmetic on the parsed tile
 * never claims more hashes than a tile holds.
 */
#include "fuzz_common.h"

#include "crypto/tile.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[TILE_PATH_MAX_BYTES];
	struct tile_id t;
	uint64_t sizes[3] = { 0, 1000, MERKLE_MAX_SIZE };

	if (tile_path_parse(&t, (const char *)data, size) != 0)
		return 0;
	if (t.level > TILE_LEVEL_MAX || t.index > TILE_INDEX_MAX ||
	    t.width == 0 || t.width > TILE_WIDTH || (t.entries && t.level))
		abort();
	if (tile_path_format(out, sizeof(out), &t) != 0 ||
	    strlen(out) != size || memcmp(out, data, size) != 0)
		abort();
	for (int i = 0; i < 3; i++)
		if (tile_width_at(t.level, t.index, sizes[i]) > TILE_WIDTH)
			abort();
	return 0;
}
