/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_open: the audit log's start-up checks (docs/audit.md, section
 * 11.4). Reads the origin and the chain of rotated keys, verifies the
 * latest stored checkpoint and the checkpoint file against the keys that
 * may sign their sizes, and rebuilds the frontier from the tiles at the
 * log's right edge (O(log n) tile reads, no re-hashing of the log),
 * checking that the tiles line up with the log and that the roots at both
 * checkpoints' sizes, recomputed from tiles, are the signed ones. A log that passes is handed to audit.c
 * (audit_install); one that does not is refused with one line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/secmem.h"
#include "crypto/token.h"
#include "schema/store_audit.h"
#include "schema/store_tiles.h"
#include "server/audit/audit.h"
#include "server/audit/audit_int.h"

/* One rotation: at entry seq, from key prev to key next. */
struct chain_link {
	uint64_t	seq;			/* the rotation entry */
	uint8_t		prev[NOTE_PK_BYTES];
	uint8_t		next[NOTE_PK_BYTES];
};

static void errf(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
errf(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL || err_len == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	if (n < 0)
		err[0] = '\0';
}

/* The key rotations of the log, in seq order. */
struct chain {
	struct chain_link	*link;
	size_t			 n;
	int			 bad;	/* a rotation entry does not parse */
	uint64_t		 bad_seq;
};

static int
on_rotation(void *arg, uint64_t seq, const uint8_t *entry, size_t len)
{
	struct chain *c = arg;
	struct audit_entry e;
	struct chain_link *l;

	if (audit_entry_decode(&e, entry, len) != 0 || e.seq != seq ||
	    e.action != AUDIT_AUDIT_KEY_ROTATE || e.outcome != AUDIT_ALLOWED ||
	    c->n >= AUDIT_MAX_ROTATIONS) {
		c->bad = 1;
		c->bad_seq = seq;
		return -1;
	}
	l = &c->link[c->n];
	if (audit_entry_rotation_parse(e.extra, e.extra_len, l->prev,
	    l->next) != 0) {
		c->bad = 1;
		c->bad_seq = seq;
		return -1;
	}
	l->seq = seq;
	c->n++;
	return 0;
}

/* The public keys that may sign a checkpoint of size `size`: the key in
 * force from the last rotation at or below it, and at a rotation's
 * boundary (size = rotation seq + 1) also the key before, which seals the
 * handover. Returns how many were written to pks (at most 2). */
static size_t
keys_for_size(const struct chain *c, const uint8_t cur[NOTE_PK_BYTES],
    uint64_t size, uint8_t pks[2][NOTE_PK_BYTES])
{
	size_t k = 0;

	if (c->n == 0) {
		memcpy(pks[k++], cur, NOTE_PK_BYTES);
		return k;
	}
	for (size_t i = 0; i <= c->n && k < 2; i++) {
		uint64_t lo = i == 0 ? 0 : c->link[i - 1].seq + 1;
		int open_end = i == c->n;
		uint64_t hi = open_end ? 0 : c->link[i].seq + 1;
		const uint8_t *pk = i == 0 ? c->link[0].prev :
		    c->link[i - 1].next;

		if (size >= lo && (open_end || size <= hi))
			memcpy(pks[k++], pk, NOTE_PK_BYTES);
	}
	return k;
}

/* Verify a checkpoint note against the keys that may sign its size.
 * 0 with *cp filled and *current set if it is the current key's, -1. */
static int
verify_for_size(const struct chain *c, const struct note_vkey *cur,
    const char *note, size_t len, struct note_checkpoint *cp, int *current)
{
	uint8_t pks[2][NOTE_PK_BYTES];
	struct note_vkey vk;
	size_t k;

	if (note_checkpoint_parse(cp, note, len) != NOTE_OK)
		return -1;
	k = keys_for_size(c, cur->pk, cp->size, pks);
	for (size_t i = 0; i < k; i++) {
		if (note_vkey_init(&vk, cur->name, cur->name_len, pks[i]) !=
		    NOTE_OK)
			continue;
		if (note_checkpoint_verify(cp, note, len, &vk) == NOTE_OK) {
			*current = memcmp(pks[i], cur->pk, NOTE_PK_BYTES) == 0;
			return 0;
		}
	}
	return -1;
}

/* Read a small file; 1 read, 0 absent, -1 error or too large. */
static int
read_small(const char *path, char *buf, size_t max, size_t *len)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return errno == ENOENT ? 0 : -1;
	for (;;) {
		n = read(fd, buf + off, max - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
		if (off == max)
			break;
	}
	if (n < 0 || off == max) {
		close(fd);
		return -1;
	}
	close(fd);
	*len = off;
	return 1;
}

struct check_point {
	const char	*what;		/* for the error line */
	uint64_t	 size;
	uint8_t		 root[MERKLE_HASH_BYTES];
	int		 done;
};

/* The stored tiles must be exactly those of a log of size entries: at
 * every level, the full tiles up to the right edge and the partial one
 * there (level 0's partial is the leaf hashes, not a row). */
static int
tiles_line_up(struct store *s, uint64_t size, char *err, size_t err_len)
{
	for (unsigned t = 0; t < STORE_TILES_LEVELS; t++) {
		uint64_t hashes = size >> (t * TILE_HEIGHT);
		uint64_t idx = hashes / TILE_WIDTH;
		unsigned w = (unsigned)(hashes % TILE_WIDTH), got = 0, full = 0;

		if (store_tiles_row_width(s, t, idx, &got) != STORE_OK ||
		    (idx > 0 && store_tiles_row_width(s, t, idx - 1, &full) !=
		    STORE_OK)) {
			errf(err, err_len, "cannot read the audit tiles");
			return -1;
		}
		if ((idx > 0 && full != TILE_WIDTH) ||
		    got != (t == 0 ? 0 : w)) {
			errf(err, err_len, "the audit tiles do not match the "
			    "%llu entries of the log (level %u)",
			    (unsigned long long)size, t);
			return -1;
		}
		if (hashes == 0)
			break;
	}
	return 0;
}

/* The entries after the last full tile (level 0's partial tile) must be
 * contiguous and end at size - 1; the full tiles below were checked as
 * they were written. */
static int
edge_contiguous(struct store *s, uint64_t size, char *err, size_t err_len)
{
	struct store_audit_leaves cur;
	uint8_t leaf[MERKLE_HASH_BYTES];
	uint64_t found;
	int rc = 0, sr;

	store_audit_leaves_init(&cur, s, 0);
	for (uint64_t i = size / TILE_WIDTH * TILE_WIDTH; i < size; i++) {
		sr = store_audit_leaf_at(&cur, i, leaf, &found);
		if (sr == STORE_OK)
			continue;
		if (sr == STORE_ECORRUPT && found != i)
			errf(err, err_len, "the audit log is not contiguous: "
			    "seq %llu is missing", (unsigned long long)i);
		else
			errf(err, err_len, "the audit log is damaged at seq "
			    "%llu", (unsigned long long)i);
		rc = -1;
		break;
	}
	store_audit_leaves_done(&cur);
	return rc;
}

/*
 * Rebuild the frontier into *f from the tiles at the log's right edge and
 * check the roots at every check point's size, reading O(log n) tiles:
 * nothing below the edge is re-hashed. (Every full tile was checked
 * against its 256 contiguous entries when it was written, and triggers
 * keep rows from changing; an export or tile verification checks all.)
 * 0, or -1 with err.
 */
static int
rebuild(struct store *s, struct merkle_frontier *f, struct check_point *cps,
    size_t ncps, char *err, size_t err_len)
{
	struct store_tiles_reader *rd;
	uint8_t root[MERKLE_HASH_BYTES];
	uint64_t size;
	int rc = -1;

	merkle_frontier_init(f);
	if ((rd = malloc(sizeof(*rd))) == NULL) {
		errf(err, err_len, "out of memory");
		return -1;
	}
	if (store_tiles_log_size(s, &size) != STORE_OK) {
		errf(err, err_len, "cannot read the audit log");
		goto out;
	}
	if (tiles_line_up(s, size, err, err_len) != 0 ||
	    edge_contiguous(s, size, err, err_len) != 0)
		goto out;
	/* the frontier: one perfect subtree per set bit of size, node
	 * (i, (size >> i) - 1) */
	store_tiles_reader_init(rd, s, size);
	for (unsigned i = 0; i < MERKLE_FRONTIER_SLOTS - 1; i++) {
		if (!((size >> i) & 1))
			continue;
		if (store_tiles_node(rd, i, (size >> i) - 1, f->node[i]) != 0) {
			errf(err, err_len, "the audit log's right edge is "
			    "damaged or not contiguous");
			goto out;
		}
	}
	f->size = size;
	for (size_t i = 0; i < ncps; i++) {
		if (cps[i].size > size) {
			errf(err, err_len, "the audit log has %llu entries "
			    "but %s covers %llu: the log was rolled back or "
			    "truncated", (unsigned long long)size,
			    cps[i].what, (unsigned long long)cps[i].size);
			goto out;
		}
		store_tiles_reader_init(rd, s, cps[i].size);
		if (cps[i].size == 0)
			merkle_empty_root(root);
		else if (merkle_subtree_root_nodes(root, store_tiles_node, rd,
		    0, cps[i].size) != 0) {
			errf(err, err_len, "cannot read the audit tiles below "
			    "%s (size %llu)", cps[i].what,
			    (unsigned long long)cps[i].size);
			goto out;
		}
		if (memcmp(root, cps[i].root, sizeof(root)) != 0) {
			errf(err, err_len, "the audit log does not "
			    "match %s (size %llu): entries below it "
			    "were altered, removed or inserted",
			    cps[i].what, (unsigned long long)cps[i].size);
			goto out;
		}
		cps[i].done = 1;
	}
	rc = 0;
out:
	free(rd);
	return rc;
}

int
audit_log_names_key(struct store *s, const uint8_t pk[NOTE_PK_BYTES])
{
	struct chain chain = { NULL, 0, 0, 0 };
	int rc = -1;

	if ((chain.link = calloc(AUDIT_MAX_ROTATIONS, sizeof(*chain.link)))
	    == NULL)
		return -1;
	if (store_audit_each_rotation(s, on_rotation, &chain) == STORE_OK &&
	    !chain.bad) {
		rc = 0;
		for (size_t i = 0; i < chain.n; i++)
			if (memcmp(chain.link[i].next, pk, NOTE_PK_BYTES) == 0)
				rc = 1;
	}
	free(chain.link);
	return rc;
}

int
audit_create(struct store *s)
{
	char id[23], origin[64];

	token_new_id(id);
	if (snprintf(origin, sizeof(origin), "corridor/%s", id) >=
	    (int)sizeof(origin) || !note_name_valid(origin, strlen(origin)))
		return -1;
	if (store_write_begin(s) != STORE_OK)
		return -1;
	if (store_audit_origin_set(s, origin) != STORE_OK) {
		(void)store_write_end(s, 0);
		return -1;
	}
	return store_write_end(s, 1) == STORE_OK ? 0 : -1;
}

int
audit_open(struct store *s, const uint8_t sk[NOTE_SK_BYTES],
    const char *state_path, char *err, size_t err_len)
{
	/* notes are public; static only to keep 16 KiB off the stack */
	static char note[NOTE_MAX_BYTES], fnote[NOTE_MAX_BYTES];
	struct chain chain = { NULL, 0, 0, 0 };
	struct check_point cps[2];
	struct audit_start *st = NULL;
	struct note_checkpoint cp;
	char origin[NOTE_NAME_MAX_BYTES + 1];
	uint8_t pk[NOTE_PK_BYTES], sk2[NOTE_SK_BYTES];
	uint64_t note_size = 0;
	size_t note_len = 0, fnote_len = 0, ncps = 0;
	int rc = -1, sr, fcur = 0;

	if (audit_is_open()) {
		errf(err, err_len, "the audit log is already open");
		return -1;
	}
	if ((chain.link = calloc(AUDIT_MAX_ROTATIONS, sizeof(*chain.link)))
	    == NULL || (st = calloc(1, sizeof(*st))) == NULL) {
		errf(err, err_len, "out of memory");
		goto out;
	}
	st->state_path = state_path != NULL ? state_path : "";
	/* the origin names the log and its key */
	sr = store_audit_origin_get(s, origin, sizeof(origin));
	if (sr != STORE_OK || !note_name_valid(origin, strlen(origin))) {
		errf(err, err_len, sr == STORE_ENOTFOUND ? "the database has "
		    "no audit log origin" : "the audit log origin is damaged");
		goto out;
	}
	/* the public key from the seed: a damaged key fails here, not at
	 * the first signature */
	note_keypair_from_seed(pk, sk2, sk);
	if (!secmem_equal(sk2, sk, NOTE_SK_BYTES) ||
	    note_vkey_init(&st->vk, origin, strlen(origin), pk) != NOTE_OK) {
		secmem_wipe(sk2, sizeof(sk2));
		errf(err, err_len, "the audit signing key is damaged");
		goto out;
	}
	secmem_wipe(sk2, sizeof(sk2));

	/* the chain of keys: every rotation must start from the key before
	 * it, and the last must lead to the key we hold */
	sr = store_audit_each_rotation(s, on_rotation, &chain);
	if (chain.bad) {
		errf(err, err_len, "the audit log's key rotation at seq %llu "
		    "is damaged", (unsigned long long)chain.bad_seq);
		goto out;
	}
	if (sr != STORE_OK) {
		errf(err, err_len, "cannot read the audit log");
		goto out;
	}
	for (size_t i = 1; i < chain.n; i++) {
		if (memcmp(chain.link[i].prev, chain.link[i - 1].next,
		    NOTE_PK_BYTES) != 0) {
			errf(err, err_len, "the audit log's key rotation at "
			    "seq %llu does not follow the one before",
			    (unsigned long long)chain.link[i].seq);
			goto out;
		}
	}
	if (chain.n > 0 && memcmp(chain.link[chain.n - 1].next, pk,
	    NOTE_PK_BYTES) != 0) {
		errf(err, err_len, "the audit signing key is not the key the "
		    "log last rotated to; if `corridor audit rotate-key` was "
		    "interrupted, run it again to finish");
		goto out;
	}

	/* the latest stored checkpoint and the checkpoint file */
	sr = store_audit_checkpoint_latest(s, note, sizeof(note), &note_len,
	    &note_size);
	if (sr == STORE_OK) {
		if (verify_for_size(&chain, &st->vk, note, note_len, &cp,
		    &st->note_current_key) != 0 || cp.size != note_size) {
			errf(err, err_len, "the latest stored audit checkpoint "
			    "is not signed by this log's audit key");
			goto out;
		}
		cps[ncps].what = "its latest stored checkpoint";
		cps[ncps].size = cp.size;
		memcpy(cps[ncps].root, cp.root, MERKLE_HASH_BYTES);
		cps[ncps++].done = 0;
		st->have_note = 1;
		st->note = note;
		st->note_len = note_len;
		st->note_size = note_size;
	} else if (sr != STORE_ENOTFOUND) {
		errf(err, err_len, "cannot read the audit checkpoints");
		goto out;
	}
	if (state_path != NULL) {
		sr = read_small(state_path, fnote, sizeof(fnote), &fnote_len);
		if (sr < 0 || (sr == 1 && verify_for_size(&chain, &st->vk,
		    fnote, fnote_len, &cp, &fcur) != 0)) {
			errf(err, err_len, "%s is not an audit checkpoint "
			    "signed by this log's key", state_path);
			goto out;
		}
		if (sr == 1) {
			cps[ncps].what = "the checkpoint file";
			cps[ncps].size = cp.size;
			memcpy(cps[ncps].root, cp.root, MERKLE_HASH_BYTES);
			cps[ncps++].done = 0;
			st->file_holds_note = st->have_note &&
			    fnote_len == note_len &&
			    memcmp(fnote, note, note_len) == 0;
		}
	}

	/* the frontier from the tiles */
	if (rebuild(s, &st->tree, cps, ncps, err, err_len) != 0)
		goto out;
	if (st->tree.size > 0 && store_audit_time(s, st->tree.size - 1,
	    &st->last_time_ms) != STORE_OK) {
		errf(err, err_len, "cannot read the audit log");
		goto out;
	}
	if (audit_install(st, sk) != 0) {
		errf(err, err_len, "cannot allocate locked memory for the "
		    "audit key");
		goto out;
	}
	rc = 0;
out:
	free(chain.link);
	free(st);
	return rc;
}
