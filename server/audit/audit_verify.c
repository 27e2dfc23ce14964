/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_verify: stream an export through a Merkle frontier and check it
 * against the pinned key and held checkpoints (see audit_verify.h). A
 * library: it never prints; `corridor audit verify` is
 * server/cli/cli_verify.c.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/encode.h"
#include "crypto/secmem.h"
#include "server/audit/audit_verify.h"

struct held_state {
	uint64_t size;
	uint8_t root[MERKLE_HASH_BYTES];
	size_t index;
	int verified;	/* signed by the pinned key (else checked when
			 * reached, against the key in force) */
};

/* The state of one verification run (heap-allocated with the parser). */
struct verify {
	const struct note_vkey *pinned;
	const struct audit_verify_held *held;
	struct held_state *hs;		/* sorted by size */
	size_t n_held, next_held;
	struct merkle_frontier f;
	uint64_t entries;
	uint64_t prev_time_ms;
	uint64_t proven;	/* entries [0, proven) match a signed root */
	uint64_t held_proven;	/* ... a held root */
	int have_cp;
	uint64_t cp_size;
	/* the key in force: the pinned one, then each key a sealed rotation
	 * hands over to; and a rotation seen but not sealed yet */
	struct note_vkey active;
	int rot_pending;
	uint64_t rot_seq;
	struct note_vkey rot_next;
	struct audit_verify_result *res;
};

static void fail(struct audit_verify_result *res, enum audit_verify_at at,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
fail(struct audit_verify_result *res, enum audit_verify_at at,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	res->at = at;
	va_start(ap, fmt);
	n = vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	if (n < 0)
		res->reason[0] = '\0';
	else if ((size_t)n >= sizeof(res->reason))	/* mark the cut */
		memcpy(res->reason + sizeof(res->reason) - 4, "...", 4);
}

static const char *
held_label(const struct verify *v, size_t i)
{
	const char *l = v->held[i].label;

	return l != NULL ? l : "(unnamed)";
}

static int
cmp_held(const void *a, const void *b)
{
	const struct held_state *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Parse every held checkpoint and check its signature against the pinned
 * key, then sort them by size. One that the pinned key did not sign may
 * be signed by a key the log rotates to: it is checked when the log
 * reaches its size, against the key in force there (check_held).
 */
static int
load_held(struct verify *v)
{
	struct note_checkpoint cp;
	int rc;

	for (size_t i = 0; i < v->n_held; i++) {
		rc = note_checkpoint_verify(&cp, v->held[i].note,
		    v->held[i].note_len, v->pinned);
		v->hs[i].verified = rc == NOTE_OK;
		if (rc == NOTE_EUNSIGNED)
			rc = note_checkpoint_parse(&cp, v->held[i].note,
			    v->held[i].note_len);
		if (rc != NOTE_OK) {
			v->res->held_index = i;
			fail(v->res, AUDIT_AT_HELD, "held checkpoint %s: %s",
			    held_label(v, i), note_strerror(rc));
			return -1;
		}
		v->hs[i].size = cp.size;
		memcpy(v->hs[i].root, cp.root, MERKLE_HASH_BYTES);
		v->hs[i].index = i;
	}
	if (v->n_held > 1)
		qsort(v->hs, v->n_held, sizeof(v->hs[0]), cmp_held);
	return 0;
}

/* A held checkpoint the pinned key did not sign: it must be signed by the
 * key in force, or by the next key of a rotation seen below its size
 * (the handover is then sealed later in the export, or the run fails). */
static int
verify_late_held(struct verify *v, const struct held_state *h)
{
	const struct audit_verify_held *src = &v->held[h->index];
	struct note_checkpoint cp;

	if (note_checkpoint_verify(&cp, src->note, src->note_len,
	    &v->active) == NOTE_OK)
		return 0;
	if (v->rot_pending && note_checkpoint_verify(&cp, src->note,
	    src->note_len, &v->rot_next) == NOTE_OK)
		return 0;
	v->res->held_index = h->index;
	fail(v->res, AUDIT_AT_HELD, "held checkpoint %s: not signed by the "
	    "pinned key or by a key the log rotates to",
	    held_label(v, h->index));
	return -1;
}

/* Compare the recomputed root with every held checkpoint of the current
 * size. Called before the first entry and after each one. */
static int
check_held(struct verify *v)
{
	uint8_t root[MERKLE_HASH_BYTES];
	struct held_state *h;
	int have_root = 0;

	for (; v->next_held < v->n_held &&
	    v->hs[v->next_held].size == v->entries; v->next_held++) {
		h = &v->hs[v->next_held];
		if (!h->verified && verify_late_held(v, h) != 0)
			return -1;
		if (!have_root) {
			merkle_frontier_root(&v->f, root);
			have_root = 1;
		}
		if (!secmem_equal(root, h->root, MERKLE_HASH_BYTES)) {
			v->res->held_index = h->index;
			if (v->entries == 0) {
				fail(v->res, AUDIT_AT_HELD, "held checkpoint "
				    "%s: size 0 with a root that is not the "
				    "empty tree's", held_label(v, h->index));
				return -1;
			}
			v->res->seq = v->held_proven;
			fail(v->res, AUDIT_AT_SEQ, "root at size %" PRIu64
			    " differs from held checkpoint %s: the log was "
			    "rewritten within seq %" PRIu64 "..%" PRIu64,
			    v->entries, held_label(v, h->index),
			    v->held_proven, v->entries - 1);
			return -1;
		}
		v->held_proven = v->entries;
		if (v->entries > v->proven)
			v->proven = v->entries;
		v->res->held++;
	}
	return 0;
}

/*
 * An audit.key_rotate entry: it must hand over from the key in force to a
 * new key, and only one rotation may wait for its seal (a checkpoint
 * covering it, signed by the key in force) at a time.
 */
static int
on_rotation(struct verify *v, const struct audit_entry *e)
{
	uint8_t prev[AUDIT_ROTATE_PK_BYTES], next[AUDIT_ROTATE_PK_BYTES];

	if (v->rot_pending) {
		fail(v->res, AUDIT_AT_SEQ, "key rotation before the rotation "
		    "at seq %" PRIu64 " was sealed by a checkpoint",
		    v->rot_seq);
		return -1;
	}
	if (e->outcome != AUDIT_ALLOWED ||
	    audit_entry_rotation_parse(e->extra, e->extra_len, prev,
	    next) != 0) {
		fail(v->res, AUDIT_AT_SEQ, "key rotation entry does not carry "
		    "the previous and the next Ed25519 key");
		return -1;
	}
	if (memcmp(prev, v->active.pk, sizeof(prev)) != 0) {
		fail(v->res, AUDIT_AT_SEQ, "key rotation does not start from "
		    "the key in force (key id %08" PRIx32 ")",
		    v->active.key_id);
		return -1;
	}
	if (note_vkey_init(&v->rot_next, v->pinned->name,
	    v->pinned->name_len, next) != NOTE_OK) {
		fail(v->res, AUDIT_AT_SEQ, "key rotation entry is malformed");
		return -1;
	}
	v->rot_pending = 1;
	v->rot_seq = e->seq;
	return 0;
}

/*
 * 1 if e is a grant (case.assign, case.unassign, evacuation.add_case)
 * whose extra is neither empty (written before grants named their subject)
 * nor the subject layout with the right object type.
 */
static int
grant_subject_bad(const struct audit_entry *e)
{
	char id[AUDIT_ID_MAX_BYTES + 1];
	unsigned type, want;

	switch (e->action) {
	case AUDIT_CASE_ASSIGN:
	case AUDIT_CASE_UNASSIGN:	want = AUDIT_OBJ_USER; break;
	case AUDIT_EVACUATION_ADD_CASE:	want = AUDIT_OBJ_CASE; break;
	default:			return 0;
	}
	if (e->extra_len == 0)
		return 0;
	return audit_entry_subject_parse(e->extra, e->extra_len, &type,
	    id) != 0 || type != want;
}

static int
on_entry(struct verify *v, const struct audit_export_item *it)
{
	struct audit_entry e;
	uint8_t leaf[MERKLE_HASH_BYTES];
	uint64_t seq = v->entries;

	v->res->seq = seq;
	if (audit_entry_decode(&e, it->data, it->data_len) != 0) {
		fail(v->res, AUDIT_AT_SEQ, "entry on line %" PRIu64
		    " is not a valid version-%u entry", it->line,
		    AUDIT_ENTRY_VERSION);
		return -1;
	}
	if (e.seq > seq) {
		/* Nothing claims seq: it is missing or moved later. */
		fail(v->res, AUDIT_AT_SEQ, "entry on line %" PRIu64 " carries "
		    "seq %" PRIu64 ": entries from seq %" PRIu64 " on are "
		    "missing or out of order", it->line, e.seq, seq);
		return -1;
	}
	if (e.seq < seq) {
		/* A seq seen before: something in e.seq..seq was inserted.
		 * Entries under a matching root are not the culprit. */
		v->res->seq = e.seq > v->proven ? e.seq : v->proven;
		fail(v->res, AUDIT_AT_SEQ, "entry on line %" PRIu64 " carries "
		    "seq %" PRIu64 " again: an entry was inserted within seq "
		    "%" PRIu64 "..%" PRIu64, it->line, e.seq, v->res->seq, seq);
		return -1;
	}
	if (seq > 0 && e.time_ms < v->prev_time_ms) {
		/* Either this entry or the one before is wrong; the one
		 * before is cleared if a matching root covers it. */
		v->res->seq = seq - 1 >= v->proven ? seq - 1 : seq;
		fail(v->res, AUDIT_AT_SEQ, "time goes backwards between seq "
		    "%" PRIu64 " and %" PRIu64 " (%" PRIu64 " ms, then %" PRIu64
		    " ms)", seq - 1, seq, v->prev_time_ms, e.time_ms);
		return -1;
	}
	if (e.action == AUDIT_AUDIT_KEY_ROTATE && on_rotation(v, &e) != 0)
		return -1;
	if (grant_subject_bad(&e)) {
		fail(v->res, AUDIT_AT_SEQ, "grant entry's extra is not the "
		    "documented subject (docs/audit.md 2.5)");
		return -1;
	}
	merkle_leaf_hash(leaf, it->data, it->data_len);
	if (merkle_frontier_append(&v->f, leaf) != 0) {
		fail(v->res, AUDIT_AT_SEQ, "log larger than %" PRIu64
		    " entries", MERKLE_MAX_SIZE);
		return -1;
	}
	v->entries++;
	v->prev_time_ms = e.time_ms;
	return check_held(v);
}

static int
on_checkpoint(struct verify *v, const struct audit_export_item *it)
{
	struct note_checkpoint cp;
	uint8_t root[MERKLE_HASH_BYTES];
	int rc;

	v->res->line = it->line;
	rc = note_checkpoint_verify(&cp, (const char *)it->data, it->data_len,
	    &v->active);
	if (rc == NOTE_EUNSIGNED && v->rot_pending &&
	    note_checkpoint_verify(&cp, (const char *)it->data, it->data_len,
	    &v->rot_next) == NOTE_OK) {
		fail(v->res, AUDIT_AT_CHECKPOINT, "signed by the next key "
		    "before the key rotation at seq %" PRIu64 " was sealed by "
		    "the key in force", v->rot_seq);
		return -1;
	}
	if (rc != NOTE_OK) {
		fail(v->res, AUDIT_AT_CHECKPOINT, "%s", rc == NOTE_EUNSIGNED &&
		    v->res->rotations > 0 ? "not signed by the key in force "
		    "after the last key rotation" : note_strerror(rc));
		return -1;
	}
	if (cp.size < v->proven) {
		fail(v->res, AUDIT_AT_CHECKPOINT, "size %" PRIu64 " is below "
		    "the %" PRIu64 " entries already proven: checkpoints out "
		    "of order", cp.size, v->proven);
		return -1;
	}
	/* Misplaced: entries were removed or added since the last matching
	 * root, possibly renumbered, so only that root bounds the fault. */
	if (cp.size != v->entries) {
		v->res->seq = v->proven;
		fail(v->res, AUDIT_AT_SEQ, "the checkpoint on line %" PRIu64
		    " has size %" PRIu64 " but %" PRIu64 " entries precede it: "
		    "entries were %s within seq %" PRIu64 "..%" PRIu64,
		    it->line, cp.size, v->entries, cp.size > v->entries ?
		    "deleted" : "inserted", v->proven,
		    (cp.size > v->entries ? cp.size : v->entries) - 1);
		return -1;
	}
	merkle_frontier_root(&v->f, root);
	if (!secmem_equal(root, cp.root, MERKLE_HASH_BYTES)) {
		if (v->entries == 0) {
			fail(v->res, AUDIT_AT_CHECKPOINT, "size 0 with a root "
			    "that is not the empty tree's");
			return -1;
		}
		if (v->proven == v->entries) {
			/* This size is already proven by another signed
			 * root: the key signed two trees of one size. */
			fail(v->res, AUDIT_AT_CHECKPOINT, "signed root of "
			    "size %" PRIu64 " differs from another signed "
			    "root of the same size: the log forked", cp.size);
			return -1;
		}
		v->res->seq = v->proven;
		fail(v->res, AUDIT_AT_SEQ, "recomputed root at size %" PRIu64
		    " differs from the signed checkpoint on line %" PRIu64
		    ": an entry in seq %" PRIu64 "..%" PRIu64 " was altered, "
		    "inserted, deleted or reordered", cp.size, it->line,
		    v->proven, cp.size - 1);
		return -1;
	}
	v->proven = cp.size;
	v->have_cp = 1;
	v->cp_size = cp.size;
	v->res->checkpoints++;
	/* the key in force signed a tree holding the rotation: the handover
	 * is sealed, and from here on only the next key signs */
	if (v->rot_pending && cp.size > v->rot_seq) {
		v->active = v->rot_next;
		v->rot_pending = 0;
		v->res->rotations++;
	}
	return 0;
}

/* Map a parser error to a location: in the body, the stream broke at the
 * next seq; a bad checkpoint payload is that checkpoint's fault. */
static void
on_parse_error(struct verify *v, int rc, const struct audit_export_item *it,
    int in_body)
{
	v->res->line = it->line;
	if (rc == AUDIT_EXPORT_EIO) {
		fail(v->res, AUDIT_AT_IO, "cannot read the export");
	} else if (it->kind == AUDIT_EXPORT_CHECKPOINT) {
		fail(v->res, AUDIT_AT_CHECKPOINT, "not base64 of a note of "
		    "1..%u bytes", NOTE_MAX_BYTES);
	} else if (it->kind == AUDIT_EXPORT_ENTRY) {
		v->res->seq = v->entries;
		fail(v->res, AUDIT_AT_SEQ, "entry on line %" PRIu64
		    " is not base64 of 1..%u bytes", it->line,
		    AUDIT_ENTRY_MAX);
	} else if (in_body) {
		v->res->seq = v->entries;
		fail(v->res, AUDIT_AT_SEQ, "line %" PRIu64 ": %s", it->line,
		    audit_export_strerror(rc));
	} else {
		fail(v->res, AUDIT_AT_LINE, "not a corridor audit export "
		    "header: %s", audit_export_strerror(rc));
	}
}

static int
at_end(struct verify *v)
{
	const struct held_state *h;

	if (v->next_held < v->n_held) {
		/* Sorted: this is the smallest held size beyond the end. */
		h = &v->hs[v->next_held];
		if (!h->verified && verify_late_held(v, h) != 0)
			return -1;
		v->res->seq = v->entries;
		v->res->held_index = h->index;
		fail(v->res, AUDIT_AT_SEQ, "log truncated: held checkpoint %s "
		    "has size %" PRIu64 " but the export ends after %" PRIu64
		    " entries", held_label(v, h->index), h->size, v->entries);
		return -1;
	}
	if (v->rot_pending) {
		v->res->seq = v->rot_seq;
		fail(v->res, AUDIT_AT_SEQ, "the key rotation at seq %" PRIu64
		    " is not sealed by a checkpoint of the key in force",
		    v->rot_seq);
		return -1;
	}
	if (!v->have_cp) {
		v->res->seq = 0;
		fail(v->res, AUDIT_AT_SEQ, "the export holds no signed "
		    "checkpoint");
		return -1;
	}
	if (v->cp_size != v->entries) {
		v->res->seq = v->cp_size;
		fail(v->res, AUDIT_AT_SEQ, "entries %" PRIu64 "..%" PRIu64
		    " are not covered by a signed checkpoint", v->cp_size,
		    v->entries - 1);
		return -1;
	}
	return 0;
}

int
audit_verify_export(const struct note_vkey *pinned,
    audit_export_source_fn source, void *source_arg,
    const struct audit_verify_held *held, size_t n_held,
    struct audit_verify_result *res)
{
	struct audit_export_parser *p = NULL;
	struct audit_export_item it;
	struct verify *v = NULL;
	int rc, in_body = 0, ret = -1;

	memset(res, 0, sizeof(*res));
	if (n_held > AUDIT_VERIFY_MAX_HELD) {
		fail(res, AUDIT_AT_HELD, "more than %u held checkpoints",
		    AUDIT_VERIFY_MAX_HELD);
		return -1;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    (v->hs = calloc(n_held > 0 ? n_held : 1, sizeof(*v->hs))) == NULL ||
	    (p = audit_export_parser_new(source, source_arg)) == NULL) {
		fail(res, AUDIT_AT_IO, "out of memory");
		goto out;
	}
	v->pinned = pinned;
	v->active = *pinned;
	v->held = held;
	v->n_held = n_held;
	v->res = res;
	merkle_frontier_init(&v->f);

	if (load_held(v) != 0 || check_held(v) != 0)
		goto out;
	while ((rc = audit_export_next(p, &it)) != 0) {
		if (rc < 0) {
			on_parse_error(v, rc, &it, in_body);
			goto out;
		}
		switch (it.kind) {
		case AUDIT_EXPORT_ORIGIN:
			if (it.data_len != pinned->name_len ||
			    memcmp(it.data, pinned->name, it.data_len) != 0) {
				res->line = it.line;
				fail(res, AUDIT_AT_LINE, "the export's origin "
				    "is not the pinned key's name");
				goto out;
			}
			break;
		case AUDIT_EXPORT_PUBLIC_KEY:
			res->key_matches = note_vkey_equal(&it.vkey, pinned);
			in_body = 1;
			break;
		case AUDIT_EXPORT_ENTRY:
			if (on_entry(v, &it) != 0)
				goto out;
			break;
		case AUDIT_EXPORT_CHECKPOINT:
			if (on_checkpoint(v, &it) != 0)
				goto out;
			break;
		default:
			res->line = it.line;
			fail(res, AUDIT_AT_LINE, "unexpected line");
			goto out;
		}
	}
	if (at_end(v) != 0)
		goto out;

	res->entries = v->entries;
	merkle_frontier_root(&v->f, res->root);
	res->at = AUDIT_AT_NONE;
	res->reason[0] = '\0';
	ret = 0;
out:
	audit_export_parser_free(p);
	if (v != NULL)
		free(v->hs);
	free(v);
	return ret;
}

/* Replace control characters in s (a label may come from a
 * file name). */
static void
sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			*s = '?';
}

int
audit_verify_describe(char *out, size_t out_len,
    const struct audit_verify_result *res)
{
	char b64[MERKLE_HASH_BYTES * 2];
	int n;

	switch (res->at) {
	case AUDIT_AT_NONE:
		if (encode_b64(b64, sizeof(b64), res->root,
		    MERKLE_HASH_BYTES) != 0)
			return -1;
		n = snprintf(out, out_len, "audit verify: OK, %" PRIu64
		    " entries, root %s, %" PRIu64 " checkpoints", res->entries,
		    b64, res->checkpoints + res->held);
		if (n >= 0 && (size_t)n < out_len && res->rotations > 0)
			n += snprintf(out + n, out_len - (size_t)n, ", %" PRIu64
			    " key rotation%s", res->rotations,
			    res->rotations == 1 ? "" : "s");
		break;
	case AUDIT_AT_SEQ:
		n = snprintf(out, out_len, "audit verify: FAILED at seq %"
		    PRIu64 ": %s", res->seq, res->reason);
		break;
	case AUDIT_AT_CHECKPOINT:
		n = snprintf(out, out_len, "audit verify: FAILED at "
		    "checkpoint on export line %" PRIu64 ": %s", res->line,
		    res->reason);
		break;
	case AUDIT_AT_HELD:
		n = snprintf(out, out_len, "audit verify: FAILED at %s",
		    res->reason);
		break;
	case AUDIT_AT_LINE:
		n = snprintf(out, out_len, "audit verify: FAILED at export "
		    "line %" PRIu64 ": %s", res->line, res->reason);
		break;
	case AUDIT_AT_IO:
	default:
		n = snprintf(out, out_len, "audit verify: FAILED: %s",
		    res->reason);
		break;
	}
	if (n < 0 || (size_t)n >= out_len)
		return -1;
	sanitize(out);
	return 0;
}
