/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_tiles: the tlog tiles (crypto/tile.c, schema/store_tiles.c) against
 * the reference proofs of crypto/merkle.c, which rebuild every sibling
 * from leaves.
 *
 *  - paths: known spellings both ways, every non-canonical spelling
 *    refused, random round trips.
 *  - store, exhaustive to 1000: a log grown entry by entry through the
 *    store API (the append path's store_tiles_append). At every size n
 *    <= 1000, while the database holds exactly n entries: the root from
 *    tiles, and inclusion and consistency proofs from tiles byte-equal to
 *    the reference for every inclusion pair (index < n) and every
 *    consistency pair (m <= n). Then, on the full log, the same for every
 *    n <= 1000 (tiles read at an older size): about two million pairs in
 *    all. merkle.c's leaf reference costs O(n) a proof, so it is compared
 *    directly on every pair for n <= 64 and on a sample above (edges, tile
 *    boundaries, random); the other pairs go against a memoized reference
 *    written from RFC 9162's definitions, itself checked against merkle.c
 *    on those same pairs (see "The exhaustive comparison").
 *    Every stored row equals the tile computed from the leaves.
 *  - migration: a log of 66 000 entries (a full level-1 tile, a partial
 *    level-2 one) put back at the schema before the tiles; migrating
 *    builds rows identical to those the appends wrote; a log with a gap
 *    refuses to migrate.
 *  - large sizes, no SQLite (what is covered: the addressing from a node to
 *    its tile, offsets and widths, at sizes SQLite cannot reach in a unit
 *    test): a synthetic tree whose nodes at heights 0, 8, 16, ... are
 *    pseudo-random values and whose other nodes are hashed from them. For
 *    500 random sizes up to 10 million (and 100 up to 2^62), proofs from
 *    tiles of 256 such values, located by tile_node_locate and bounded by
 *    tile_width_at, equal proofs and roots from a direct recursive node
 *    function. (Such a tree is no RFC 6962 tree, so its proofs cannot be
 *    verified; the real trees below are.) And two real trees of random sizes near 2^20
 *    with in-memory tiles: proofs equal the leaf reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/merkle.h"
#include "crypto/secmem.h"
#include "crypto/sha256.h"
#include "crypto/tile.h"
#include "schema/migrations.h"
#include "schema/store.h"
#include "schema/store_audit.h"
#include "schema/store_tiles.h"
#include "testutil.h"

#define H	MERKLE_HASH_BYTES

static char dir[256], db_path[300];
static uint8_t key[STORE_KEY_BYTES];

/* xorshift64*: reproducible samples */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t
rnd_below(uint64_t n)
{
	return n == 0 ? 0 : rnd() % n;
}

/* --- paths ----------------------------------------------------------------- */

static void
path_ok(const char *p, int entries, unsigned level, uint64_t idx,
    unsigned width)
{
	struct tile_id t;
	char out[TILE_PATH_MAX_BYTES];

	if (tile_path_parse(&t, p, strlen(p)) != 0) {
		fail("refused %s", p);
		return;
	}
	check(t.entries == entries && t.level == level && t.index == idx &&
	    t.width == width);
	check(tile_path_format(out, sizeof(out), &t) == 0 &&
	    strcmp(out, p) == 0);
}

static void
test_paths(void)
{
	static const char *const bad[] = {
		"", "tile", "tile/", "tile/0", "tile/0/", "tile/0/1", "tile/0/01",
		"tile/0/0001", "tile/00/000", "tile/01/000", "tile/64/000",
		"tile/-1/000", "tile/0/x000/001", "tile/0/x001", "tile/0/x001/",
		"tile/0/x1/001", "tile/0/000/", "tile/0/000.p", "tile/0/000.p/",
		"tile/0/000.p/0", "tile/0/000.p/00", "tile/0/000.p/05",
		"tile/0/000.p/256", "tile/0/000.p/1/", "tile/0/000.p/1x",
		"tile/0/000.q/1", "tile/0/000p/1", "tile/entries/", "tile/entries",
		"tile/entries/0", "tile/entries/000.p/0", "tile/data/000",
		"tile/0/X001/000", "tile/0/x001/x002/x003/x004/x005/x006/007",
		"tile/0/x999/x999/x999/x999/x999/999",
		"tile/0/x036/x028/x797/x018/x963/968", "tile/0/000\n",
		"tile/0/ 000", "Tile/0/000", "tile/0//000",
		"tile/1/x036/x028/x797/x018/x963/968",
		"/tile/0/000", "tile/entries/x000/001",
		"tile/0/000.p/1.p/1",
	};
	struct tile_id t;
	char out[TILE_PATH_MAX_BYTES];

	path_ok("tile/0/000", 0, 0, 0, 256);
	path_ok("tile/0/x001/x234/067", 0, 0, 1234067, 256);
	path_ok("tile/3/x001/x234/067.p/8", 0, 3, 1234067, 8);
	path_ok("tile/entries/000.p/1", 1, 0, 0, 1);
	path_ok("tile/entries/x001/000.p/255", 1, 0, 1000, 255);
	path_ok("tile/63/999", 0, 63, 999, 256);
	/* the largest index: 2^55 - 1, six groups; 2^55 is refused */
	path_ok("tile/0/x036/x028/x797/x018/x963/967", 0, 0,
	    36028797018963967ull, 256);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tile_path_parse(&t, bad[i], strlen(bad[i])) == 0)
			fail("accepted \"%s\"", bad[i]);
		else
			test_passes++;
	}
	/* the length bounds the parse, not a NUL */
	check(tile_path_parse(&t, "tile/0/0001", 10) == 0 && t.index == 0);
	for (int i = 0; i < 20000; i++) {
		struct tile_id a, b;

		memset(&a, 0, sizeof(a));
		a.entries = (int)(rnd() & 1);
		a.level = a.entries ? 0 : (unsigned)rnd_below(64);
		a.index = rnd_below(TILE_INDEX_MAX + 1) >> rnd_below(56);
		a.width = 1 + (unsigned)rnd_below(256);
		if (tile_path_format(out, sizeof(out), &a) != 0 ||
		    tile_path_parse(&b, out, strlen(out)) != 0 ||
		    memcmp(&a, &b, sizeof(a)) != 0) {
			fail("round trip of %s", out);
			break;
		}
	}
	test_passes++;
	t = (struct tile_id){ 0, 0, TILE_INDEX_MAX + 1, 256 };
	check(tile_path_format(out, sizeof(out), &t) != 0);
	t = (struct tile_id){ 0, 0, 0, 0 };
	check(tile_path_format(out, sizeof(out), &t) != 0);
	t = (struct tile_id){ 1, 1, 0, 256 };
	check(tile_path_format(out, sizeof(out), &t) != 0);
	check(tile_path_format(out, 10, &(struct tile_id){ 0, 0, 1234067,
	    256 }) != 0);

	/* widths */
	check(tile_width_at(0, 0, 0) == 0);
	check(tile_width_at(0, 0, 1) == 1);
	check(tile_width_at(0, 0, 256) == 256);
	check(tile_width_at(0, 1, 256) == 0);
	check(tile_width_at(0, 1, 257) == 1);
	check(tile_width_at(1, 0, 255) == 0);
	check(tile_width_at(1, 0, 256) == 1);
	check(tile_width_at(1, 0, 65536) == 256);
	check(tile_width_at(2, 0, 65536) == 1);
	check(tile_width_at(7, 0, MERKLE_MAX_SIZE) == 127);
	check(tile_width_at(8, 0, MERKLE_MAX_SIZE) == 0);
	check(tile_width_at(63, 0, MERKLE_MAX_SIZE) == 0);
}

/* --- reference sources ------------------------------------------------------- */

static uint8_t *leaves;	/* leaf hashes of the test logs */

static int
get_leaf(void *arg, uint64_t i, uint8_t out[H])
{
	(void)arg;
	memcpy(out, leaves + i * H, H);
	return 0;
}

/* Proofs from tiles through src must equal the leaf reference. */
static void
compare_inclusion(merkle_get_node_fn fn, void *src, uint64_t m, uint64_t n)
{
	uint8_t a[MERKLE_PROOF_MAX_BYTES], b[MERKLE_PROOF_MAX_BYTES];
	size_t al = 0, bl = 0;

	if (merkle_inclusion_proof(a, sizeof(a), &al, m, n, get_leaf, NULL)
	    != 0 || merkle_inclusion_proof_nodes(b, sizeof(b), &bl, m, n, fn,
	    src) != 0 || al != bl || memcmp(a, b, al) != 0)
		fail("inclusion proof (%llu, %llu) differs",
		    (unsigned long long)m, (unsigned long long)n);
	else
		test_passes++;
}

static void
compare_consistency(merkle_get_node_fn fn, void *src, uint64_t m, uint64_t n)
{
	uint8_t a[MERKLE_PROOF_MAX_BYTES], b[MERKLE_PROOF_MAX_BYTES];
	size_t al = 0, bl = 0;

	if (merkle_consistency_proof(a, sizeof(a), &al, m, n, get_leaf, NULL)
	    != 0 || merkle_consistency_proof_nodes(b, sizeof(b), &bl, m, n, fn,
	    src) != 0 || al != bl || memcmp(a, b, al) != 0)
		fail("consistency proof (%llu, %llu) differs",
		    (unsigned long long)m, (unsigned long long)n);
	else
		test_passes++;
}

/*
 * The exhaustive comparison. The leaf reference above costs O(n) per proof
 * (every sibling rebuilt from its leaves): a million pairs at sizes up to
 * 1000 would take minutes. So a second reference, written from the RFC
 * 9162 definitions (2.1.3.1 PATH, 2.1.4.1 PROOF and SUBPROOF) over a memo
 * of subtree hashes: the perfect subtrees hashed once from the leaves, and
 * the right-edge subtrees of the current size once per size. It is checked
 * against merkle.c's leaf reference on every pair up to 64 and on the
 * samples above, then stands in for it on every other pair. The tiles'
 * nodes are read once per size through the reader (each (height, index)
 * asked of store_tiles_node once) and kept for that size's pairs.
 */
#define EX_MAX		1000u	/* largest exhaustive size */
#define EX_HEIGHTS	10u	/* 2^9 < EX_MAX <= 2^10 */

static uint8_t ex_perfect[EX_HEIGHTS][EX_MAX][H];	/* [h][i]: 2^h leaves */

/* ex_perfect from leaves[0 .. EX_MAX - 1]; the leaves must not change. */
static void
ex_perfect_build(void)
{
	for (uint64_t i = 0; i < EX_MAX; i++)
		memcpy(ex_perfect[0][i], leaves + i * H, H);
	for (unsigned h = 1; h < EX_HEIGHTS; h++)
		for (uint64_t i = 0; (i + 1) << h <= EX_MAX; i++)
			merkle_node_hash(ex_perfect[h][i],
			    ex_perfect[h - 1][2 * i], ex_perfect[h - 1][2 * i + 1]);
}

struct ex_ref {
	uint64_t	n;		/* tree size of the pairs */
	unsigned	edges;
	uint64_t	edge_start[64];	/* memo: MTH(D[start:n]) */
	uint8_t		edge[64][H];
};

static uint64_t
ex_split(uint64_t len)		/* largest power of two below len > 1 */
{
	uint64_t k = 1;

	while (k << 1 < len)
		k <<= 1;
	return k;
}

/* MTH(D[start:start+len]), len >= 1, inside a tree of r->n. */
static void
ex_mth(struct ex_ref *r, uint64_t start, uint64_t len, uint8_t out[H])
{
	uint8_t left[H], right[H];
	uint64_t k;
	int edge = start + len == r->n;

	if ((len & (len - 1)) == 0 && start % len == 0) {
		unsigned h = (unsigned)__builtin_ctzll(len);

		memcpy(out, ex_perfect[h][start >> h], H);
		return;
	}
	if (edge)
		for (unsigned i = 0; i < r->edges; i++)
			if (r->edge_start[i] == start) {
				memcpy(out, r->edge[i], H);
				return;
			}
	k = ex_split(len);
	ex_mth(r, start, k, left);
	ex_mth(r, start + k, len - k, right);
	merkle_node_hash(out, left, right);
	if (edge && r->edges < 64) {
		r->edge_start[r->edges] = start;
		memcpy(r->edge[r->edges++], out, H);
	}
}

/* PATH(m, D[start:start+len]), leaf side first, appended at out[*nh]. */
static void
ex_path(struct ex_ref *r, uint64_t m, uint64_t start, uint64_t len,
    uint8_t *out, size_t *nh)
{
	uint64_t k;

	if (len <= 1)
		return;
	k = ex_split(len);
	if (m < k) {
		ex_path(r, m, start, k, out, nh);
		ex_mth(r, start + k, len - k, out + (*nh)++ * H);
	} else {
		ex_path(r, m - k, start + k, len - k, out, nh);
		ex_mth(r, start, k, out + (*nh)++ * H);
	}
}

/* SUBPROOF(m, D[start:start+len], whole). */
static void
ex_subproof(struct ex_ref *r, uint64_t m, uint64_t start, uint64_t len,
    int whole, uint8_t *out, size_t *nh)
{
	uint64_t k;

	if (m == len) {
		if (!whole)
			ex_mth(r, start, len, out + (*nh)++ * H);
		return;
	}
	k = ex_split(len);
	if (m <= k) {
		ex_subproof(r, m, start, k, whole, out, nh);
		ex_mth(r, start + k, len - k, out + (*nh)++ * H);
	} else {
		ex_subproof(r, m - k, start + k, len - k, 0, out, nh);
		ex_mth(r, start, k, out + (*nh)++ * H);
	}
}

/* The proof of (m, r->n) from the memo reference, *len in bytes. */
static void
ex_proof(struct ex_ref *r, int inclusion, uint64_t m, uint8_t *out,
    size_t *len)
{
	size_t nh = 0;

	if (inclusion)
		ex_path(r, m, 0, r->n, out, &nh);
	else if (m > 0 && m < r->n)
		ex_subproof(r, m, 0, r->n, 1, out, &nh);
	*len = nh * H;
}

/* The tiles' nodes of one size, each read once through fn. */
struct ex_nodes {
	merkle_get_node_fn	 fn;
	void			*src;
	uint8_t			 have[EX_HEIGHTS][EX_MAX];
	uint8_t			 node[EX_HEIGHTS][EX_MAX][H];
};

static int
ex_node(void *arg, unsigned height, uint64_t index, uint8_t out[H])
{
	struct ex_nodes *x = arg;

	if (height >= EX_HEIGHTS || index >= EX_MAX)
		return x->fn(x->src, height, index, out);
	if (!x->have[height][index]) {
		if (x->fn(x->src, height, index, x->node[height][index]) != 0)
			return -1;
		x->have[height][index] = 1;
	}
	memcpy(out, x->node[height][index], H);
	return 0;
}

/* The memo reference equals merkle.c's leaf reference at (m, n). */
static void
ex_check_ref(struct ex_ref *r, uint64_t m, uint64_t n)
{
	uint8_t a[MERKLE_PROOF_MAX_BYTES], b[MERKLE_PROOF_MAX_BYTES];
	size_t al = 0, bl = 0;
	int bad = 0;

	ex_proof(r, 1, m, b, &bl);
	if (merkle_inclusion_proof(a, sizeof(a), &al, m, n, get_leaf, NULL)
	    != 0 || al != bl || memcmp(a, b, al) != 0)
		bad = 1;
	ex_proof(r, 0, m + 1, b, &bl);
	if (merkle_consistency_proof(a, sizeof(a), &al, m + 1, n, get_leaf,
	    NULL) != 0 || al != bl || memcmp(a, b, al) != 0)
		bad = 1;
	if (bad)
		fail("memo reference at (%llu, %llu) differs from merkle.c's",
		    (unsigned long long)m, (unsigned long long)n);
	else
		test_passes++;
}

/* Every inclusion pair (m < n) and consistency pair (m <= n) at size n:
 * proofs from the tiles' nodes equal the memo reference. One pass. */
static void
ex_all_pairs(merkle_get_node_fn fn, void *src, uint64_t n)
{
	static struct ex_nodes x;
	struct ex_ref r;
	uint8_t a[MERKLE_PROOF_MAX_BYTES], b[MERKLE_PROOF_MAX_BYTES];
	size_t al = 0, bl = 0;
	uint64_t bad_m = 0;
	int bad = 0;

	x.fn = fn;
	x.src = src;
	memset(x.have, 0, sizeof(x.have));
	r.n = n;
	r.edges = 0;
	for (uint64_t m = 0; m <= n && !bad; m++) {
		if (m < n) {
			ex_proof(&r, 1, m, a, &al);
			if (merkle_inclusion_proof_nodes(b, sizeof(b), &bl, m,
			    n, ex_node, &x) != 0 || al != bl ||
			    memcmp(a, b, al) != 0)
				bad = 1;
		}
		ex_proof(&r, 0, m, a, &al);
		if (!bad && (merkle_consistency_proof_nodes(b, sizeof(b), &bl,
		    m, n, ex_node, &x) != 0 || al != bl ||
		    memcmp(a, b, al) != 0))
			bad = 2;
		bad_m = m;
	}
	if (bad)
		fail("%s proof (%llu, %llu) from tiles differs",
		    bad == 1 ? "inclusion" : "consistency",
		    (unsigned long long)bad_m, (unsigned long long)n);
	else
		test_passes++;
}

/*
 * At size n: the root; every pair up to 64 and a sample above (edges,
 * tile edges, random) against merkle.c's leaf reference, through fn
 * directly; with exhaustive, every pair against the memo reference, and
 * with check_ref the memo reference against merkle.c on the same pairs
 * (once per size is enough: it does not read the tiles).
 */
static void
compare_at(merkle_get_node_fn fn, void *src, uint64_t n, int exhaustive,
    int check_ref)
{
	uint8_t a[H], b[H];
	uint64_t pick[8];
	struct ex_ref r = { .n = n };

	if (merkle_root(a, leaves, n) != 0 ||
	    merkle_subtree_root_nodes(b, fn, src, 0, n) != 0 ||
	    memcmp(a, b, H) != 0)
		fail("root at %llu differs", (unsigned long long)n);
	else
		test_passes++;
	if (exhaustive) {
		ex_mth(&r, 0, n, b);
		check(memcmp(a, b, H) == 0);
	}
	if (n <= 64) {
		for (uint64_t m = 0; m < n; m++)
			compare_inclusion(fn, src, m, n);
		for (uint64_t m = 0; m <= n; m++)
			compare_consistency(fn, src, m, n);
		if (check_ref)
			for (uint64_t m = 0; m < n; m++)
				ex_check_ref(&r, m, n);
	} else {
		pick[0] = 0;
		pick[1] = n - 1;
		pick[2] = n / 2;
		pick[3] = n > 256 ? 255 : n - 2;
		pick[4] = n > 256 ? 256 : 1;
		pick[5] = rnd_below(n);
		pick[6] = rnd_below(n);
		pick[7] = (n - 1) / 256 * 256;
		for (int i = 0; i < 8; i++) {
			compare_inclusion(fn, src, pick[i], n);
			compare_consistency(fn, src, pick[i] + 1, n);
			if (check_ref)
				ex_check_ref(&r, pick[i], n);
		}
	}
	if (exhaustive)
		ex_all_pairs(fn, src, n);
}

/* --- the store --------------------------------------------------------------- */

static void
remove_db(void)
{
	char p[320];

	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
}

static struct store *
fresh(void)
{
	struct store *s = NULL;

	remove_db();
	check(store_open(&s, db_path, key, 1) == STORE_OK);
	check(store_migrate(s) == STORE_OK);
	return s;
}

/* Entry seq: a 32-byte record that names its seq; its leaf hash goes to
 * leaves[seq]. Inside the caller's write transaction. */
static void
entry_of(uint64_t seq, uint8_t entry[32])
{
	memset(entry, 0x5a, 32);
	memcpy(entry, &seq, sizeof(seq));
	merkle_leaf_hash(leaves + seq * H, entry, 32);
}

static int
append_one(struct store *s, uint64_t seq)
{
	uint8_t entry[32];
	struct store_audit_row row;

	entry_of(seq, entry);
	row = (struct store_audit_row){
		.seq = seq, .time_ms = seq, .actor_id = "", .role = 0,
		.action = 1, .object_type = 0, .object_id = "",
		.outcome = 1, .request_id = "r", .entry = entry,
		.entry_len = sizeof(entry), .leaf = leaves + seq * H,
	};
	if (store_audit_insert(s, &row) != STORE_OK)
		return -1;
	return store_tiles_append(s, seq, leaves + seq * H) == STORE_OK ?
	    0 : -1;
}

/* Every stored row is the tile computed from the leaves of a log of n. */
static void
check_rows(struct store *s, uint64_t n)
{
	static uint8_t lv[2][TILE_MAX_BYTES * 256];	/* levels 1 and 2 */
	uint8_t got[TILE_MAX_BYTES];
	uint64_t h1 = n / 256, h2 = n / 65536;
	unsigned w;
	int bad = 0;

	for (uint64_t i = 0; i < h1; i++)
		if (merkle_root(lv[0] + i * H, leaves + i * TILE_MAX_BYTES,
		    256) != 0)
			bad = 1;
	for (uint64_t i = 0; i < h2; i++)
		if (merkle_root(lv[1] + i * H, lv[0] + i * TILE_MAX_BYTES,
		    256) != 0)
			bad = 1;
	/* level 0: full tiles only */
	for (uint64_t t = 0; t <= n / 256; t++) {
		if (store_tiles_row_width(s, 0, t, &w) != STORE_OK ||
		    w != (t < n / 256 ? 256u : 0u))
			bad = 1;
		else if (w == 256 && (store_tiles_read(s, 0, t, 256, got) !=
		    STORE_OK || memcmp(got, leaves + t * TILE_MAX_BYTES,
		    TILE_MAX_BYTES) != 0))
			bad = 1;
	}
	/* level 1 and 2: full and partial */
	for (unsigned level = 1; level <= 2; level++) {
		uint64_t hashes = level == 1 ? h1 : h2;

		for (uint64_t t = 0; t <= hashes / 256; t++) {
			unsigned want = tile_width_at(level, t, n);

			if (store_tiles_row_width(s, level, t, &w) != STORE_OK ||
			    w != want)
				bad = 1;
			else if (w > 0 && (store_tiles_read(s, level, t, w, got)
			    != STORE_OK || memcmp(got, lv[level - 1] + t *
			    TILE_MAX_BYTES, (size_t)w * H) != 0))
				bad = 1;
		}
	}
	if (store_tiles_row_width(s, 3, 0, &w) != STORE_OK || w != 0)
		bad = 1;
	if (bad)
		fail("stored tiles of a log of %llu differ from the leaves'",
		    (unsigned long long)n);
	else
		test_passes++;
}

static void
test_store_exhaustive(void)
{
	struct store_tiles_reader *rd = malloc(sizeof(*rd));
	struct store *s = fresh();
	uint8_t buf[TILE_MAX_BYTES];

	check(rd != NULL);
	for (uint64_t i = 0; i < EX_MAX; i++)	/* the leaves to come */
		entry_of(i, buf);
	ex_perfect_build();
	check(store_write_begin(s) == STORE_OK);
	for (uint64_t n = 1; n <= EX_MAX; n++) {
		if (append_one(s, n - 1) != 0) {
			fail("append %llu", (unsigned long long)n - 1);
			break;
		}
		store_tiles_reader_init(rd, s, n);
		compare_at(store_tiles_node, rd, n, 1, 1);
		check(rd->err == 0);
	}
	check_rows(s, EX_MAX);
	/* tiles read for an older tree */
	for (uint64_t n = 1; n <= EX_MAX; n++) {
		store_tiles_reader_init(rd, s, n);
		compare_at(store_tiles_node, rd, n, 1, 0);
		check(rd->err == 0);
	}
	/* nothing outside the tree */
	store_tiles_reader_init(rd, s, 1000);
	check(store_tiles_node(rd, 0, 1000, buf) != 0);
	check(store_tiles_node(rd, 3, 125, buf) != 0);	/* 1000..1007 */
	check(store_tiles_node(rd, 3, 124, buf) == 0);	/* 992..999 */
	check(store_tiles_node(rd, 10, 0, buf) != 0);
	check(store_tiles_read(s, 0, 3, 233, buf) == STORE_ENOTFOUND);
	check(store_tiles_read(s, 0, 3, 232, buf) == STORE_OK);
	check(store_tiles_read(s, 1, 0, 4, buf) == STORE_ENOTFOUND);
	check(store_tiles_read(s, 1, 0, 3, buf) == STORE_OK);
	/* a tile grows only, and out of order is refused */
	check(store_tiles_append(s, 1023, leaves) != STORE_OK);
	check(store_write_end(s, 1) == STORE_OK);
	check(sqlite3_exec(store_db(s), "UPDATE audit_tiles SET data ="
	    " zeroblob(8192) WHERE level = 1", NULL, NULL, NULL) != SQLITE_OK);
	check(sqlite3_exec(store_db(s), "DELETE FROM audit_tiles",
	    NULL, NULL, NULL) != SQLITE_OK);
	store_close(s);
	free(rd);
}

/* SHA-256 over every row, in key order. */
static void
rows_digest(struct store *s, uint8_t out[H])
{
	sqlite3_stmt *st = NULL;
	uint8_t acc[H];

	memset(acc, 0, H);
	check(sqlite3_prepare_v2(store_db(s), "SELECT level, idx, data FROM"
	    " audit_tiles ORDER BY level, idx", -1, &st, NULL) == SQLITE_OK);
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		uint8_t buf[8 + 8 + TILE_MAX_BYTES + H];
		int64_t l = sqlite3_column_int64(st, 0);
		int64_t i = sqlite3_column_int64(st, 1);
		int n = sqlite3_column_bytes(st, 2);

		if (n < 0 || n > (int)TILE_MAX_BYTES)
			n = 0;
		memcpy(buf, acc, H);
		memcpy(buf + H, &l, 8);
		memcpy(buf + H + 8, &i, 8);
		memcpy(buf + H + 16, sqlite3_column_blob(st, 2), (size_t)n);
		sha256_prefixed(acc, 0x02, buf, H + 16 + (size_t)n);
	}
	sqlite3_finalize(st);
	memcpy(out, acc, H);
}

/*
 * Back to the schema before the tiles: what a database made by the release
 * before them holds. Derived from the migrations themselves, so a new one
 * needs no edit here: a reference database in memory runs every migration
 * before the tiles' (found by name, as store_migrate does), and every
 * object of s that the reference lacks -- what the tiles' migration and
 * every later one created -- is dropped, newest first, with the version
 * rows from the tiles' on. Later migrations only create objects today; one
 * that changes an older object (ALTER TABLE, a trigger dropped and made
 * again) fails here by name rather than migrating a wrong schema.
 */
#define SCHEMA_OBJECTS	"SELECT type, name, sql FROM sqlite_master WHERE" \
	" name NOT LIKE 'sqlite!_%' ESCAPE '!' AND name != 'schema_version'"

static int
tiles_version(void)
{
	for (unsigned i = 0; i < migrations_count; i++)
		if (strstr(migrations[i].name, "_audit_tiles.sql") != NULL)
			return migrations[i].version;
	return -1;
}

/* 1 when db holds an object of this type and name with this sql. */
static int
schema_has(sqlite3 *db, const char *type, const char *name, const char *sql,
    int *same)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	*same = 0;
	if (sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE"
	    " type = ? AND name = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		found = 1;
		*same = (t == NULL && sql == NULL) || (t != NULL && sql != NULL &&
		    strcmp(t, sql) == 0);
	}
	sqlite3_finalize(st);
	return found;
}

/* Every object of a that b lacks or holds otherwise: with drops, what b
 * lacks goes into *drops as DROP statements, a's newest first; the rest is
 * named (lacks, differs: what that means) and counted. */
static int
schema_diff(sqlite3 *a, sqlite3 *b, const char *lacks, const char *differs,
    char **drops)
{
	sqlite3_stmt *st = NULL;
	int changed = 0;

	if (sqlite3_prepare_v2(a, SCHEMA_OBJECTS " ORDER BY rowid DESC", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *sql = (const char *)sqlite3_column_text(st, 2);
		int same, has = schema_has(b, type, name, sql, &same);

		if (has == 1 && same)
			continue;
		if (has == 0 && drops != NULL) {
			char *d = sqlite3_mprintf("%zDROP %s IF EXISTS \"%w\";",
			    *drops, type, name);

			if (d == NULL)
				changed++;
			*drops = d;
			continue;
		}
		fail("rollback: %s %s %s", type, name, has == 1 ? differs :
		    lacks);
		changed++;
	}
	sqlite3_finalize(st);
	return changed;
}

static void
back_to_previous_schema(struct store *s)
{
	sqlite3 *ref = NULL;
	char *drops = NULL, *del = NULL;
	int tv = tiles_version();

	check(tv > 1);
	check(sqlite3_open(":memory:", &ref) == SQLITE_OK);
	for (unsigned i = 0; i < migrations_count && (int)migrations[i].version
	    < tv; i++)
		check(sqlite3_exec(ref, migrations[i].sql, NULL, NULL, NULL) ==
		    SQLITE_OK);
	/* what s has beyond the reference, and nothing changed in it */
	check(schema_diff(store_db(s), ref, "", "was changed by a later"
	    " migration", &drops) == 0);
	check(schema_diff(ref, store_db(s), "was dropped by a later migration",
	    "was changed by a later migration", NULL) == 0);
	check(drops != NULL && strstr(drops, "audit_tiles") != NULL);
	del = sqlite3_mprintf("%s DELETE FROM schema_version WHERE version >="
	    " %d", drops != NULL ? drops : "", tv);
	check(del != NULL && sqlite3_exec(store_db(s), del, NULL, NULL, NULL)
	    == SQLITE_OK);
	/* now s has exactly the reference's objects */
	drops = (sqlite3_free(drops), NULL);
	check(schema_diff(store_db(s), ref, "is left after the rollback",
	    "differs after the rollback", &drops) == 0 && drops == NULL);
	check(store_schema_version(s) == tv - 1);
	sqlite3_free(del);
	sqlite3_free(drops);
	sqlite3_close(ref);
}

static void
test_migration(void)
{
	struct store_tiles_reader *rd = malloc(sizeof(*rd));
	const uint64_t n = 66000;
	struct store *s = fresh();
	uint8_t before[H], after[H];
	int v;

	check(rd != NULL);
	check(store_write_begin(s) == STORE_OK);
	for (uint64_t i = 0; i < n; i++)
		if (append_one(s, i) != 0) {
			fail("append %llu", (unsigned long long)i);
			break;
		}
	check(store_write_end(s, 1) == STORE_OK);
	check_rows(s, n);
	rows_digest(s, before);
	v = store_schema_version(s);
	back_to_previous_schema(s);
	check(store_schema_version(s) == tiles_version() - 1);
	store_close(s);

	check(store_open(&s, db_path, key, 0) == STORE_OK);
	check(store_migrate(s) == STORE_OK);
	check(store_schema_version(s) == v);
	rows_digest(s, after);
	check(memcmp(before, after, H) == 0);
	check_rows(s, n);
	for (int k = 0; k < 20; k++) {
		uint64_t size = k == 0 ? n : 1 + rnd_below(n);

		store_tiles_reader_init(rd, s, size);
		compare_inclusion(store_tiles_node, rd, rnd_below(size), size);
		compare_consistency(store_tiles_node, rd, rnd_below(size + 1),
		    size);
	}
	/* a gap: the migration refuses, and changes nothing */
	back_to_previous_schema(s);
	check(sqlite3_exec(store_db(s), "DROP TRIGGER audit_log_no_delete;"
	    " DELETE FROM audit_log WHERE seq = 300", NULL, NULL, NULL) ==
	    SQLITE_OK);
	check(store_migrate(s) == STORE_ESCHEMA);
	check(store_schema_version(s) == tiles_version() - 1);
	store_close(s);
	remove_db();
	free(rd);
}

/* --- large sizes, no SQLite ---------------------------------------------------- */

/*
 * A synthetic tree: the node at a height that is a multiple of 8 is a
 * pseudo-random value of (height, index); any other node is hashed from
 * its two children. This is not a tree of leaves, but every node-level
 * relation a proof uses holds, and a node costs at most 255 hashes.
 */
static void
synth_value(unsigned height, uint64_t index, uint8_t out[H])
{
	uint8_t in[16];

	memcpy(in, &index, 8);
	memset(in + 8, (int)height, 8);
	sha256_prefixed(out, 0x03, in, sizeof(in));
}

static int
synth_node(void *arg, unsigned height, uint64_t index, uint8_t out[H])
{
	uint8_t l[H], r[H];

	(void)arg;
	if (height % TILE_HEIGHT == 0) {
		synth_value(height, index, out);
		return 0;
	}
	if (synth_node(NULL, height - 1, 2 * index, l) != 0 ||
	    synth_node(NULL, height - 1, 2 * index + 1, r) != 0)
		return -1;
	merkle_node_hash(out, l, r);
	return 0;
}

/* Tiles in memory: of the synthetic tree (leaves NULL) or of real leaves,
 * for a tree of size leaves; each tile is made when first asked for and
 * only up to its width at that size. */
struct mem_tiles {
	uint64_t	 size;
	const uint8_t	*leaves;	/* NULL: synthetic */
	uint8_t		*lv1, *lv2;	/* real: level-1 and level-2 hashes */
	unsigned	 reads;
};

static int
mem_tile_node(void *arg, unsigned height, uint64_t index, uint8_t out[H])
{
	struct mem_tiles *m = arg;
	uint8_t tile[TILE_MAX_BYTES];
	unsigned level, off, count, width;
	uint64_t idx;

	tile_node_locate(height, index, &level, &idx, &off, &count);
	width = tile_width_at(level, idx, m->size);
	if (off + count > width)
		return -1;
	m->reads++;
	for (unsigned i = 0; i < width; i++) {
		uint64_t j = idx * TILE_WIDTH + i;

		if (m->leaves == NULL)
			synth_value(level * TILE_HEIGHT, j, tile + i * H);
		else if (level == 0)
			memcpy(tile + i * H, m->leaves + j * H, H);
		else if (level == 1)
			memcpy(tile + i * H, m->lv1 + j * H, H);
		else if (level == 2)
			memcpy(tile + i * H, m->lv2 + j * H, H);
		else
			return -1;
	}
	return merkle_root(out, tile + off * H, count);
}

static void
test_large_synthetic(void)
{
	uint8_t a[MERKLE_PROOF_MAX_BYTES], b[MERKLE_PROOF_MAX_BYTES];
	uint8_t root[H], leaf[H];	/* two roots */
	size_t al = 0, bl = 0;
	int bad = 0;

	for (int k = 0; k < 600 && !bad; k++) {
		uint64_t n = k < 500 ? 1 + rnd_below(10000000) :
		    1 + (rnd() >> 2);
		uint64_t m = rnd_below(n), first = rnd_below(n + 1);
		struct mem_tiles mt = { n, NULL, NULL, NULL, 0 };

		if (k % 7 == 0)
			m = n - 1;
		if (merkle_inclusion_proof_nodes(a, sizeof(a), &al, m, n,
		    synth_node, NULL) != 0 ||
		    merkle_inclusion_proof_nodes(b, sizeof(b), &bl, m, n,
		    mem_tile_node, &mt) != 0 || al != bl ||
		    memcmp(a, b, al) != 0)
			bad = 1;
		/* the roots of the tree and of a random prefix */
		if (!bad && (merkle_subtree_root_nodes(root, synth_node, NULL,
		    0, n) != 0 || merkle_subtree_root_nodes(leaf, mem_tile_node,
		    &mt, 0, n) != 0 || memcmp(root, leaf, H) != 0))
			bad = 2;
		if (!bad && (merkle_consistency_proof_nodes(a, sizeof(a), &al,
		    first, n, synth_node, NULL) != 0 ||
		    merkle_consistency_proof_nodes(b, sizeof(b), &bl, first, n,
		    mem_tile_node, &mt) != 0 || al != bl ||
		    memcmp(a, b, al) != 0))
			bad = 3;
		/* O(log n) tiles: at most two per level and sibling */
		if (!bad && mt.reads > 2 * 64 * 8)
			bad = 5;
		if (bad)
			fail("synthetic size %llu, index %llu, first %llu: %d",
			    (unsigned long long)n, (unsigned long long)m,
			    (unsigned long long)first, bad);
	}
	if (!bad)
		test_passes++;
}

static void
test_large_real(void)
{
	for (int k = 0; k < 2; k++) {
		uint64_t n = (1u << 20) - 5000 + rnd_below(10000);
		struct mem_tiles mt = { n, NULL, NULL, NULL, 0 };
		uint64_t n1 = n / 256, n2 = n1 / 256;

		leaves = malloc(n * H);
		mt.lv1 = malloc((n1 + 1) * H);
		mt.lv2 = malloc((n2 + 1) * H);
		if (leaves == NULL || mt.lv1 == NULL || mt.lv2 == NULL) {
			fail("out of memory");
			return;
		}
		for (uint64_t i = 0; i < n; i++) {
			uint8_t in[8];

			memcpy(in, &i, 8);
			merkle_leaf_hash(leaves + i * H, in, sizeof(in));
		}
		for (uint64_t i = 0; i < n1; i++)
			check(merkle_root(mt.lv1 + i * H, leaves + i *
			    TILE_MAX_BYTES, 256) == 0);
		for (uint64_t i = 0; i < n2; i++)
			check(merkle_root(mt.lv2 + i * H, mt.lv1 + i *
			    TILE_MAX_BYTES, 256) == 0);
		mt.leaves = leaves;
		compare_inclusion(mem_tile_node, &mt, rnd_below(n), n);
		compare_consistency(mem_tile_node, &mt, 1 + rnd_below(n), n);
		{
			uint8_t p[MERKLE_PROOF_MAX_BYTES], root[H];
			uint64_t m = rnd_below(n);
			size_t pl = 0;

			check(merkle_root(root, leaves, n) == 0);
			check(merkle_inclusion_proof_nodes(p, sizeof(p), &pl, m,
			    n, mem_tile_node, &mt) == 0);
			check(merkle_inclusion_verify(leaves + m * H, m, n, p,
			    pl, root) == 0);
		}
		free(mt.lv1);
		free(mt.lv2);
		free(leaves);
		leaves = NULL;
	}
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	if (secmem_init() != 0) {
		fail("secmem_init");
		return test_done("test_tiles");
	}
	snprintf(dir, sizeof(dir), "%s/corridor-tiles-XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		fail("mkdtemp");
		return test_done("test_tiles");
	}
	snprintf(db_path, sizeof(db_path), "%s/corridor.db", dir);
	secmem_random(key, sizeof(key));

	test_paths();
	if ((leaves = malloc(66000 * H)) == NULL) {
		fail("out of memory");
		return test_done("test_tiles");
	}
	test_store_exhaustive();
	test_migration();
	free(leaves);
	leaves = NULL;
	test_large_synthetic();
	test_large_real();
	remove_db();
	rmdir(dir);
	return test_done("test_tiles");
}
