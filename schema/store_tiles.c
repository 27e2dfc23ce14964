/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_tiles: writing and reading the tlog tiles of the audit log
 * (store_tiles.h). A tile is written by the transaction that appends the
 * entry completing it, from the rows that transaction can already read
 * (its own inserts included), so no in-memory copy of the right edge has
 * to follow commits and rollbacks.
 */
#include <string.h>

#include "schema/store_audit.h"
#include "schema/store_int.h"
#include "schema/store_tiles.h"

#define H	MERKLE_HASH_BYTES

static const char SQL_GET[] =
    "SELECT data FROM audit_tiles WHERE level = ? AND idx = ?";
static const char SQL_INSERT[] =
    "INSERT INTO audit_tiles (level, idx, data) VALUES (?, ?, ?)";
static const char SQL_GROW[] =
    "UPDATE audit_tiles SET data = ? WHERE level = ? AND idx = ?";
static const char SQL_SIZE[] = "SELECT max(seq) FROM audit_log";

/* Row (level, idx) into out (TILE_MAX_BYTES), *width its hashes; width 0
 * when there is no row. */
static int
row_get(struct store *s, unsigned level, uint64_t idx, uint8_t *out,
    unsigned *width)
{
	sqlite3_stmt *st;
	const void *p;
	int rc, n;

	*width = 0;
	if (idx > (uint64_t)INT64_MAX)
		return STORE_OK;
	if ((st = store_stmt(s, SQL_GET)) == NULL)
		return STORE_EIO;
	sqlite3_bind_int(st, 1, (int)level);
	sqlite3_bind_int64(st, 2, (int64_t)idx);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		p = sqlite3_column_blob(st, 0);
		n = sqlite3_column_bytes(st, 0);
		if (p == NULL || n <= 0 || n % (int)H != 0 ||
		    n > (int)TILE_MAX_BYTES) {
			rc = STORE_ECORRUPT;
		} else {
			if (out != NULL)
				memcpy(out, p, (size_t)n);
			*width = (unsigned)n / H;
			rc = STORE_OK;
		}
	} else {
		rc = rc == SQLITE_DONE ? STORE_OK : store_err_from_sqlite(rc);
	}
	sqlite3_reset(st);
	return rc;
}

static int
row_write(struct store *s, const char *sql, unsigned level, uint64_t idx,
    const uint8_t *data, unsigned width)
{
	sqlite3_stmt *st;
	int rc, grow = sql == SQL_GROW;

	if ((st = store_stmt(s, sql)) == NULL)
		return STORE_EIO;
	sqlite3_bind_blob(st, grow ? 1 : 3, data, (int)(width * H),
	    SQLITE_STATIC);
	sqlite3_bind_int(st, grow ? 2 : 1, (int)level);
	sqlite3_bind_int64(st, grow ? 3 : 2, (int64_t)idx);
	if (grow)
		return store_step_one(s, st);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return store_err_from_sqlite(rc);
}

/* n leaf hashes from seq first into out, checking the seqs. */
static int
leaves_read(struct store *s, uint64_t first, unsigned n, uint8_t *out)
{
	struct store_audit_leaves cur;
	uint64_t found;
	int rc = STORE_OK;

	store_audit_leaves_init(&cur, s, 0);
	for (unsigned i = 0; i < n && rc == STORE_OK; i++)
		rc = store_audit_leaf_at(&cur, first + i, out + i * H, &found);
	store_audit_leaves_done(&cur);
	return rc;
}

/*
 * Hash pos of level (level >= 1) is hash: put it at the end of its tile,
 * which must hold exactly pos mod 256 hashes so far; when that completes
 * the tile, its root goes one level up.
 */
static int
push(struct store *s, unsigned level, uint64_t pos, const uint8_t hash[H])
{
	static _Thread_local uint8_t buf[TILE_MAX_BYTES];
	uint8_t root[H];
	uint64_t idx = pos / TILE_WIDTH;
	unsigned off = (unsigned)(pos % TILE_WIDTH), width;
	int rc;

	if (level >= STORE_TILES_LEVELS)
		return STORE_ECORRUPT;	/* 2^64 leaves: unreachable */
	if ((rc = row_get(s, level, idx, buf, &width)) != STORE_OK)
		return rc;
	if (width != off)
		return STORE_ECORRUPT;
	memcpy(buf + off * H, hash, H);
	rc = row_write(s, off == 0 ? SQL_INSERT : SQL_GROW, level, idx, buf,
	    off + 1);
	if (rc != STORE_OK || off + 1 < TILE_WIDTH)
		return rc;
	if (merkle_root(root, buf, TILE_WIDTH) != 0)
		return STORE_ECORRUPT;
	return push(s, level + 1, idx, root);
}

int
store_tiles_append(struct store *s, uint64_t seq, const uint8_t leaf[H])
{
	static _Thread_local uint8_t buf[TILE_MAX_BYTES];
	uint8_t root[H];
	uint64_t idx = seq / TILE_WIDTH;
	int rc;

	if (seq % TILE_WIDTH != TILE_WIDTH - 1)
		return STORE_OK;
	/* the 255 before it, already in the table (this transaction's
	 * too), and this one, checked against what the caller hashed */
	if ((rc = leaves_read(s, idx * TILE_WIDTH, TILE_WIDTH, buf)) !=
	    STORE_OK)
		return rc;
	if (memcmp(buf + (TILE_WIDTH - 1) * H, leaf, H) != 0)
		return STORE_ECORRUPT;
	if ((rc = row_write(s, SQL_INSERT, 0, idx, buf, TILE_WIDTH)) !=
	    STORE_OK)
		return rc;
	if (merkle_root(root, buf, TILE_WIDTH) != 0)
		return STORE_ECORRUPT;
	return push(s, 1, idx, root);
}

int
store_tiles_log_size(struct store *s, uint64_t *size)
{
	sqlite3_stmt *st;
	int rc;

	*size = 0;
	if ((st = store_stmt(s, SQL_SIZE)) == NULL)
		return STORE_EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
			int64_t m = sqlite3_column_int64(st, 0);

			if (m < 0 || (uint64_t)m >= MERKLE_MAX_SIZE)
				rc = STORE_ECORRUPT;
			else
				*size = (uint64_t)m + 1;
		}
		if (rc == SQLITE_ROW)
			rc = STORE_OK;
	} else {
		rc = store_err_from_sqlite(rc);
	}
	sqlite3_reset(st);
	return rc;
}

int
store_tiles_build(struct store *s)
{
	static _Thread_local uint8_t leaf[H];
	uint64_t size, found;
	struct store_audit_leaves cur;
	int rc;

	if ((rc = store_tiles_log_size(s, &size)) != STORE_OK)
		return rc;
	/* the last leaf of every full level-0 tile, as the appends that
	 * wrote them would have; each reads its own 256 leaves */
	for (uint64_t t = 0; t < size / TILE_WIDTH; t++) {
		uint64_t seq = t * TILE_WIDTH + TILE_WIDTH - 1;

		store_audit_leaves_init(&cur, s, 0);
		rc = store_audit_leaf_at(&cur, seq, leaf, &found);
		store_audit_leaves_done(&cur);
		if (rc == STORE_OK)
			rc = store_tiles_append(s, seq, leaf);
		if (rc != STORE_OK)
			return rc == STORE_ENOTFOUND ? STORE_ECORRUPT : rc;
	}
	/* and the partial level-0 tile must be there, gap-free */
	for (uint64_t seq = size / TILE_WIDTH * TILE_WIDTH; seq < size; seq++) {
		store_audit_leaves_init(&cur, s, 0);
		rc = store_audit_leaf_at(&cur, seq, leaf, &found);
		store_audit_leaves_done(&cur);
		if (rc != STORE_OK)
			return STORE_ECORRUPT;
	}
	return STORE_OK;
}

int
store_tiles_read(struct store *s, unsigned level, uint64_t idx,
    unsigned width, uint8_t *out)
{
	static _Thread_local uint8_t buf[TILE_MAX_BYTES];
	unsigned have;
	int rc;

	if (width == 0 || width > TILE_WIDTH || level >= STORE_TILES_LEVELS ||
	    idx > TILE_INDEX_MAX)
		return STORE_ENOTFOUND;
	if ((rc = row_get(s, level, idx, buf, &have)) != STORE_OK)
		return rc;
	if (have >= width) {
		memcpy(out, buf, (size_t)width * H);
		return STORE_OK;
	}
	if (have != 0)
		return STORE_ENOTFOUND;	/* asked beyond the stored tree */
	if (level != 0)
		return STORE_ENOTFOUND;
	/* level 0's right edge: the leaf hashes themselves */
	rc = leaves_read(s, idx * TILE_WIDTH, width, out);
	return rc;
}

int
store_tiles_row_width(struct store *s, unsigned level, uint64_t idx,
    unsigned *width)
{
	return row_get(s, level, idx, NULL, width);
}

void
store_tiles_reader_init(struct store_tiles_reader *r, struct store *s,
    uint64_t size)
{
	r->s = s;
	r->size = size;
	r->err = 0;
	for (unsigned i = 0; i < STORE_TILES_LEVELS; i++)
		r->tile[i].have = 0;
}

int
store_tiles_node(void *arg, unsigned height, uint64_t index, uint8_t out[H])
{
	struct store_tiles_reader *r = arg;
	unsigned level, off, count, width;
	uint64_t idx;
	int rc;

	if (height >= 63)
		return -1;
	tile_node_locate(height, index, &level, &idx, &off, &count);
	if (level >= STORE_TILES_LEVELS)
		return -1;
	width = tile_width_at(level, idx, r->size);
	if (off + count > width)
		return -1;	/* not a node of this tree */
	if (!r->tile[level].have || r->tile[level].idx != idx ||
	    r->tile[level].width < off + count) {
		r->tile[level].have = 0;
		rc = store_tiles_read(r->s, level, idx, width,
		    r->tile[level].data);
		if (rc != STORE_OK) {
			if (r->err == 0)
				r->err = rc;
			return -1;
		}
		r->tile[level].have = 1;
		r->tile[level].idx = idx;
		r->tile[level].width = width;
	}
	return merkle_root(out, r->tile[level].data + off * H, count) == 0 ?
	    0 : -1;
}
