/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_tiles_verify: checks a directory of tlog tiles against a signed
 * checkpoint (see audit_tiles_verify.h for the list). Every file is read
 * with a cap of its expected size plus one byte, so a file of the wrong
 * length is named as such and a huge one costs nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/merkle.h"
#include "crypto/tile.h"
#include "server/audit/audit_entry.h"
#include "server/audit/audit_tiles_verify.h"

#define H	MERKLE_HASH_BYTES

/* A bundle of 256 entries of at most AUDIT_ENTRY_MAX bytes each. */
#define BUNDLE_MAX_BYTES	(TILE_WIDTH * (2u + AUDIT_ENTRY_MAX))

static void reasonf(struct audit_tiles_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reasonf(struct audit_tiles_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(res->reason, sizeof(res->reason), fmt, ap) < 0)
		res->reason[0] = '\0';
	va_end(ap);
}

/* Read DIR/<tile path> into buf (at most max bytes; one more is an
 * error). 0, or -1 with the reason set. */
static int
read_tile_file(const char *dir, const struct tile_id *t, uint8_t *buf,
    size_t max, size_t *len, char *rel, struct audit_tiles_result *res)
{
	char path[4096 + TILE_PATH_MAX_BYTES];
	FILE *f;
	size_t n;
	int rc = -1;

	if (tile_path_format(rel, TILE_PATH_MAX_BYTES, t) != 0 ||
	    snprintf(path, sizeof(path), "%s/%s", dir, rel) >=
	    (int)sizeof(path)) {
		reasonf(res, "the tiles directory path is too long");
		return -1;
	}
	if ((f = fopen(path, "rb")) == NULL) {
		reasonf(res, "%s: %s", rel, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, max, f);
	if (ferror(f))
		reasonf(res, "%s: read error", rel);
	else if (n == max && fgetc(f) != EOF)
		reasonf(res, "%s: longer than its width allows", rel);
	else {
		*len = n;
		rc = 0;
	}
	fclose(f);
	res->tiles++;
	return rc;
}

/* The entry bundle of level-0 tile idx (width w) against its hashes. */
static int
check_bundle(const char *dir, uint64_t idx, unsigned w, const uint8_t *hashes,
    uint8_t *buf, struct audit_tiles_result *res)
{
	struct tile_id t = { 1, 0, idx, w };
	struct audit_entry e;
	char rel[TILE_PATH_MAX_BYTES];
	uint8_t leaf[H];
	size_t len = 0, off = 0;

	if (read_tile_file(dir, &t, buf, BUNDLE_MAX_BYTES, &len, rel, res) !=
	    0)
		return -1;
	for (unsigned i = 0; i < w; i++) {
		size_t n;

		if (len - off < 2) {
			reasonf(res, "%s: ends after %u of %u entries", rel, i,
			    w);
			return -1;
		}
		n = (size_t)buf[off] << 8 | buf[off + 1];
		off += 2;
		if (len - off < n) {
			reasonf(res, "%s: entry %u is cut short", rel, i);
			return -1;
		}
		if (audit_entry_decode(&e, buf + off, n) != 0 ||
		    e.seq != idx * TILE_WIDTH + i) {
			reasonf(res, "%s: entry %u is not the canonical entry "
			    "of seq %llu", rel, i, (unsigned long long)(idx *
			    TILE_WIDTH + i));
			return -1;
		}
		merkle_leaf_hash(leaf, buf + off, n);
		if (memcmp(leaf, hashes + (size_t)i * H, H) != 0) {
			reasonf(res, "%s: entry %u does not hash to hash %u of "
			    "tile/0", rel, i, i);
			return -1;
		}
		off += n;
	}
	if (off != len) {
		reasonf(res, "%s: bytes after the last entry", rel);
		return -1;
	}
	return 0;
}

int
audit_verify_tiles(const struct note_vkey *pinned, const char *dir,
    const char *note, size_t note_len, struct audit_tiles_result *res)
{
	struct note_checkpoint cp;
	struct merkle_frontier f;
	uint8_t *tile = NULL, *bundle = NULL, *want = NULL, *next = NULL;
	uint8_t root[H];
	char rel[TILE_PATH_MAX_BYTES];
	uint64_t n, hashes, ntiles;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (note_checkpoint_verify(&cp, note, note_len, pinned) != NOTE_OK) {
		reasonf(res, "the checkpoint is not signed by the pinned key "
		    "for its origin");
		return -1;
	}
	n = res->size = cp.size;
	if ((tile = malloc(TILE_MAX_BYTES + 1)) == NULL ||
	    (bundle = malloc(BUNDLE_MAX_BYTES)) == NULL) {
		reasonf(res, "out of memory");
		goto out;
	}
	merkle_frontier_init(&f);
	/* level by level: want holds the hashes the level must have (the
	 * roots of the full tiles below), next collects this level's */
	for (unsigned level = 0; level < 8; level++) {
		hashes = n >> (level * TILE_HEIGHT);
		if (hashes == 0)
			break;
		ntiles = (hashes + TILE_WIDTH - 1) / TILE_WIDTH;
		free(next);
		if ((next = malloc((size_t)(hashes / TILE_WIDTH + 1) * H)) ==
		    NULL) {
			reasonf(res, "out of memory");
			goto out;
		}
		for (uint64_t idx = 0; idx < ntiles; idx++) {
			struct tile_id t = { 0, level, idx,
			    tile_width_at(level, idx, n) };
			size_t len = 0;

			if (read_tile_file(dir, &t, tile, TILE_MAX_BYTES + 1,
			    &len, rel, res) != 0)
				goto out;
			if (len != (size_t)t.width * H) {
				reasonf(res, "%s: %zu bytes, not %u hashes", rel,
				    len, t.width);
				goto out;
			}
			if (level == 0) {
				if (check_bundle(dir, idx, t.width, tile, bundle,
				    res) != 0)
					goto out;
				for (unsigned i = 0; i < t.width; i++)
					if (merkle_frontier_append(&f,
					    tile + (size_t)i * H) != 0)
						goto out;
			} else {
				for (unsigned i = 0; i < t.width; i++) {
					if (memcmp(tile + (size_t)i * H, want +
					    (idx * TILE_WIDTH + i) * H, H) == 0)
						continue;
					reasonf(res, "%s: hash %u is not the "
					    "root of tile %llu below it", rel,
					    i, (unsigned long long)(idx *
					    TILE_WIDTH + i));
					goto out;
				}
			}
			if (t.width == TILE_WIDTH && merkle_root(next +
			    idx * H, tile, TILE_WIDTH) != 0)
				goto out;
		}
		free(want);
		want = next;
		next = NULL;
	}
	merkle_frontier_root(&f, root);
	if (f.size != n || memcmp(root, cp.root, H) != 0) {
		reasonf(res, "the root recomputed from the tiles is not the "
		    "checkpoint's (size %llu)", (unsigned long long)n);
		goto out;
	}
	rc = 0;
out:
	free(next);
	free(want);
	free(bundle);
	free(tile);
	return rc;
}
