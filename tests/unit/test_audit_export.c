/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_audit_export: the export format and offline verification. A log is
 * built with a real signing key, written through the export writer, and
 * verified; then tampered copies are verified and must fail, with the
 * reported seq inside the range the verifier can prove: never after the
 * tampered entry, never before the last signed root that still matched.
 * Tampering covers every single-byte change of every entry, deletions,
 * swaps and insertions (with and without renumbering), truncation behind a
 * held checkpoint, and forked histories signed by another key or
 * re-signed by the real one. Key rotation: a log handed over from one key
 * to the next (and the next) verifies against the first key only, and
 * every way of breaking the chain fails. The command line runs on files
 * in a temporary directory with its output captured.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/encode.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "crypto/secmem.h"
#include "server/audit/audit_entry.h"
#include "server/audit/audit_export.h"
#include "server/audit/audit_verify.h"
#include "server/cli/cli.h"
#include "testutil.h"

#define ORIGIN	"corridor.example/audit/test"
#define N	40u	/* entries in the main log */
#define EVERY	6u	/* a checkpoint every EVERY entries, and at N */

static uint8_t pk1[NOTE_PK_BYTES], sk1[NOTE_SK_BYTES];
static uint8_t pk2[NOTE_PK_BYTES], sk2[NOTE_SK_BYTES];
static uint8_t pk3[NOTE_PK_BYTES], sk3[NOTE_SK_BYTES];
static struct note_vkey vk1, vk2, vk3;

/* --- growable byte buffer, also an export sink --------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
	int fail_after;		/* sink fails once len would exceed it; -1 never */
};

static int
buf_put(struct buf *b, const void *data, size_t len)
{
	if (b->fail_after >= 0 && b->len + len > (size_t)b->fail_after)
		return -1;
	if (b->len + len > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 4096) + len;
		uint8_t *p = realloc(b->p, cap);

		if (p == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

static int
buf_sink(void *arg, const void *data, size_t len)
{
	return buf_put(arg, data, len);
}

static void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
	b->fail_after = -1;
}

/* --- a log as a list of lines, to tamper with ---------------------------- */

enum { L_ENTRY, L_CP };

struct line {
	int kind;
	size_t len;
	uint8_t *data;		/* entry bytes or note text */
	uint64_t cp_size;	/* L_CP */
};

struct model {
	struct line *v;
	size_t n;
	const struct note_vkey *header_key;
};

static void
model_push(struct model *m, int kind, const void *data, size_t len,
    uint64_t cp_size)
{
	struct line *v = realloc(m->v, (m->n + 1) * sizeof(*v));

	if (v == NULL || (v[m->n].data = malloc(len)) == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	m->v = v;
	v[m->n].kind = kind;
	v[m->n].len = len;
	v[m->n].cp_size = cp_size;
	memcpy(v[m->n].data, data, len);
	m->n++;
}

static void
model_free(struct model *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].data);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static void
model_copy(struct model *dst, const struct model *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->header_key = src->header_key;
	for (size_t i = 0; i < src->n; i++)
		model_push(dst, src->v[i].kind, src->v[i].data, src->v[i].len,
		    src->v[i].cp_size);
}

static void
model_remove(struct model *m, size_t i)
{
	free(m->v[i].data);
	memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(m->v[0]));
	m->n--;
}

/* Move the last line to position i. */
static void
model_move_last_to(struct model *m, size_t i)
{
	struct line l = m->v[m->n - 1];

	memmove(&m->v[i + 1], &m->v[i], (m->n - 1 - i) * sizeof(m->v[0]));
	m->v[i] = l;
}

/* Index of the line holding entry seq (by position among entries). */
static size_t
model_entry_line(const struct model *m, uint64_t seq)
{
	uint64_t k = 0;

	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].kind == L_ENTRY && k++ == seq)
			return i;
	fail("no entry %llu in model", (unsigned long long)seq);
	return 0;
}

/* The export text, raw: no writer checks, so tampered models serialize. */
static void
model_serialize(const struct model *m, struct buf *out)
{
	char vkey[NOTE_VKEY_MAX_BYTES], *b64;
	size_t b64_len;

	buf_free(out);
	check(note_vkey_format(vkey, sizeof(vkey), m->header_key) == NOTE_OK);
	buf_put(out, AUDIT_EXPORT_MAGIC "\norigin ", 31);
	buf_put(out, m->header_key->name, m->header_key->name_len);
	buf_put(out, "\npublic-key ", 12);
	buf_put(out, vkey, strlen(vkey));
	buf_put(out, "\n", 1);
	for (size_t i = 0; i < m->n; i++) {
		const char *kw = m->v[i].kind == L_ENTRY ? "entry " :
		    "checkpoint ";

		b64_len = encode_b64_len(m->v[i].len);
		if ((b64 = malloc(b64_len)) == NULL)
			exit(2);
		check(encode_b64(b64, b64_len, m->v[i].data, m->v[i].len) == 0);
		buf_put(out, kw, strlen(kw));
		buf_put(out, b64, b64_len - 1);
		buf_put(out, "\n", 1);
		free(b64);
	}
}

/* --- building logs -------------------------------------------------------- */

/* dst = prefix followed by v in decimal */
static void
set_str(char *dst, size_t cap, const char *prefix, unsigned long long v)
{
	int n = snprintf(dst, cap, "%s%llu", prefix, v);

	if (n < 0 || (size_t)n >= cap)
		fail("test string cut");
}

/* A varied but deterministic entry; variant makes a different history.
 * Times repeat in pairs so that equal times are exercised. */
static void
make_entry(struct audit_entry *e, uint64_t seq, unsigned variant)
{
	memset(e, 0, sizeof(*e));
	e->seq = seq;
	e->time_ms = 1718000000000ull + (seq / 2) * 1500;
	set_str(e->actor_id, sizeof(e->actor_id), "actor-",
	    (unsigned long long)(seq % 7 + variant * 100));
	e->role = (uint8_t)(seq % 5);
	/* 1..28: the corpus as before attachments */
	e->action = (uint16_t)(1 + seq % AUDIT_SESSION_CONFIRM);
	/* a key rotation means something to the verifier: only
	 * build_rotated makes them; an anonymous summary has a layout of
	 * its own (test_audit_entry covers it) */
	if (e->action == AUDIT_AUDIT_KEY_ROTATE ||
	    e->action == AUDIT_ANON_SUMMARY)
		e->action = AUDIT_AUDIT_READ;
	e->object_type = (uint8_t)(seq % (AUDIT_OBJECT_MAX + 1));
	if (e->object_type != AUDIT_OBJ_NONE)
		set_str(e->object_id, sizeof(e->object_id), "obj-",
		    (unsigned long long)(seq * 13 % 11));
	e->outcome = (uint8_t)(1 + seq % 3);
	set_str(e->request_id, sizeof(e->request_id), "req-",
	    (unsigned long long)(seq + 1000 * variant));
	if (seq % 5 == 2) {
		e->has_reason = 1;
		memset(e->reason_hash, (int)(seq & 0xff), AUDIT_HASH_BYTES);
	}
	if (seq % 9 == 4) {
		e->extra_len = 32;
		memset(e->extra, 0xc3, 32);
	}
}

static void
push_checkpoint(struct model *m, const struct merkle_frontier *f,
    const uint8_t *sk)
{
	struct note_checkpoint cp;
	char note[NOTE_MAX_BYTES];
	size_t len = 0;

	memset(&cp, 0, sizeof(cp));
	memcpy(cp.origin, ORIGIN, strlen(ORIGIN));
	cp.origin_len = strlen(ORIGIN);
	cp.size = f->size;
	merkle_frontier_root(f, cp.root);
	check(note_checkpoint_sign(note, sizeof(note), &len, &cp, sk) ==
	    NOTE_OK);
	model_push(m, L_CP, note, len, cp.size);
}

/*
 * A log of n entries with a checkpoint at size 0, every `every` entries and
 * at n, signed with sk. Entries below `fork_at` use variant 0, the rest
 * `variant`, so two logs can share a prefix.
 */
static void
build_log(struct model *m, uint64_t n, uint64_t every, const uint8_t *sk,
    uint64_t fork_at, unsigned variant)
{
	struct merkle_frontier f;
	struct audit_entry e;
	uint8_t enc[AUDIT_ENTRY_MAX], leaf[MERKLE_HASH_BYTES];
	size_t len = 0;

	memset(m, 0, sizeof(*m));
	m->header_key = &vk1;
	merkle_frontier_init(&f);
	push_checkpoint(m, &f, sk);
	for (uint64_t s = 0; s < n; s++) {
		make_entry(&e, s, s < fork_at ? 0 : variant);
		check(audit_entry_encode(enc, sizeof(enc), &len, &e) == 0);
		model_push(m, L_ENTRY, enc, len, 0);
		merkle_leaf_hash(leaf, enc, len);
		check(merkle_frontier_append(&f, leaf) == 0);
		if ((s + 1) % every == 0 || s + 1 == n)
			push_checkpoint(m, &f, sk);
	}
}

/* Size of the last checkpoint at or before seq in a build_log log. */
static uint64_t
proven_before(uint64_t seq, uint64_t every)
{
	return seq / every * every;
}

/* Verify the serialized model with optional held notes. */
static int
verify_model(const struct model *m, const struct audit_verify_held *held,
    size_t n_held, struct audit_verify_result *res)
{
	struct buf b = { NULL, 0, 0, -1 };
	struct audit_export_mem mem;
	int rc;

	model_serialize(m, &b);
	mem.buf = b.p;
	mem.len = b.len;
	mem.off = 0;
	rc = audit_verify_export(&vk1, audit_export_source_mem, &mem, held,
	    n_held, res);
	buf_free(&b);
	return rc;
}

static int
verify_bytes(const uint8_t *p, size_t len, struct audit_verify_result *res)
{
	struct audit_export_mem mem = { p, len, 0 };

	return audit_verify_export(&vk1, audit_export_source_mem, &mem, NULL,
	    0, res);
}

/* A tampered model must fail at a seq in [lo, hi]. */
static void
expect_seq(const struct model *m, const struct audit_verify_held *held,
    size_t n_held, uint64_t lo, uint64_t hi, const char *what)
{
	struct audit_verify_result res;

	if (verify_model(m, held, n_held, &res) == 0) {
		fail("%s: verified", what);
		return;
	}
	if (res.at != AUDIT_AT_SEQ || res.seq < lo || res.seq > hi)
		fail("%s: reported at=%d seq=%llu (%s), want seq in %llu..%llu",
		    what, (int)res.at, (unsigned long long)res.seq, res.reason,
		    (unsigned long long)lo, (unsigned long long)hi);
	else
		test_passes++;
}

/* The held checkpoint of size `size` in a build_log model. */
static struct audit_verify_held
held_of(const struct model *m, uint64_t size, const char *label)
{
	struct audit_verify_held h = { label, NULL, 0 };

	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].kind == L_CP && m->v[i].cp_size == size) {
			h.note = (const char *)m->v[i].data;
			h.note_len = m->v[i].len;
		}
	if (h.note == NULL)
		fail("no checkpoint of size %llu", (unsigned long long)size);
	return h;
}

/* --- writer and parser ---------------------------------------------------- */

static void
test_writer_matches_format(void)
{
	struct model m;
	struct buf raw = { NULL, 0, 0, -1 }, w_out = { NULL, 0, 0, -1 };
	struct audit_export_writer *w = calloc(1, sizeof(*w));

	build_log(&m, N, EVERY, sk1, N, 0);
	model_serialize(&m, &raw);
	check(w != NULL);
	check(audit_export_begin(w, buf_sink, &w_out, &vk1) ==
	    AUDIT_EXPORT_OK);
	check(audit_export_finish(w) == AUDIT_EXPORT_EORDER);
	for (size_t i = 0; i < m.n; i++) {
		if (m.v[i].kind == L_ENTRY)
			check(audit_export_put_entry(w, m.v[i].data,
			    m.v[i].len) == AUDIT_EXPORT_OK);
		else
			check(audit_export_put_checkpoint(w, (const char *)
			    m.v[i].data, m.v[i].len) == AUDIT_EXPORT_OK);
	}
	check(audit_export_finish(w) == AUDIT_EXPORT_OK);
	/* the writer emits exactly the documented format */
	check(w_out.len == raw.len && memcmp(w_out.p, raw.p, raw.len) == 0);
	check(memcmp(raw.p, "corridor-audit-export 1\norigin " ORIGIN
	    "\npublic-key " ORIGIN "+", 31 + strlen(ORIGIN) + 12 +
	    strlen(ORIGIN) + 1) == 0);
	check(raw.p[raw.len - 1] == '\n');
	free(w);
	buf_free(&raw);
	buf_free(&w_out);
	model_free(&m);
}

static void
test_writer_refuses(void)
{
	struct model m;
	struct buf out = { NULL, 0, 0, -1 };
	struct audit_export_writer *w = calloc(1, sizeof(*w));
	struct audit_entry e;
	uint8_t enc[AUDIT_ENTRY_MAX], garbage[40];
	size_t len = 0, e0, e1, cp0, cp6;

	check(w != NULL);
	build_log(&m, 12, EVERY, sk1, 12, 0);
	cp0 = 0;
	e0 = model_entry_line(&m, 0);
	e1 = model_entry_line(&m, 1);
	cp6 = model_entry_line(&m, 5) + 1;

	/* entry 1 before entry 0 */
	check(audit_export_begin(w, buf_sink, &out, &vk1) == AUDIT_EXPORT_OK);
	check(audit_export_put_entry(w, m.v[e1].data, m.v[e1].len) ==
	    AUDIT_EXPORT_EORDER);
	/* sticky: everything fails afterwards */
	check(audit_export_put_entry(w, m.v[e0].data, m.v[e0].len) != 0);
	check(audit_export_finish(w) != AUDIT_EXPORT_OK);

	/* garbage entry */
	check(audit_export_begin(w, buf_sink, &out, &vk1) == AUDIT_EXPORT_OK);
	memset(garbage, 0x41, sizeof(garbage));
	check(audit_export_put_entry(w, garbage, sizeof(garbage)) ==
	    AUDIT_EXPORT_EENTRY);

	/* time going backwards */
	check(audit_export_begin(w, buf_sink, &out, &vk1) == AUDIT_EXPORT_OK);
	make_entry(&e, 0, 0);
	e.time_ms = 5000;
	check(audit_entry_encode(enc, sizeof(enc), &len, &e) == 0);
	check(audit_export_put_entry(w, enc, len) == AUDIT_EXPORT_OK);
	make_entry(&e, 1, 0);
	e.time_ms = 4999;
	check(audit_entry_encode(enc, sizeof(enc), &len, &e) == 0);
	check(audit_export_put_entry(w, enc, len) == AUDIT_EXPORT_EORDER);

	/* a checkpoint whose size is not the number of entries written */
	check(audit_export_begin(w, buf_sink, &out, &vk1) == AUDIT_EXPORT_OK);
	check(audit_export_put_checkpoint(w, (const char *)m.v[cp6].data,
	    m.v[cp6].len) == AUDIT_EXPORT_EORDER);
	/* one from another origin */
	check(audit_export_begin(w, buf_sink, &out, &vk1) == AUDIT_EXPORT_OK);
	{
		struct note_checkpoint cp;
		char note[NOTE_MAX_BYTES];

		memset(&cp, 0, sizeof(cp));
		memcpy(cp.origin, "other.example/log", 17);
		cp.origin_len = 17;
		merkle_empty_root(cp.root);
		check(note_checkpoint_sign(note, sizeof(note), &len, &cp,
		    sk1) == NOTE_OK);
		check(audit_export_put_checkpoint(w, note, len) ==
		    AUDIT_EXPORT_EFORMAT);
	}
	/* entries after the last checkpoint: not finished */
	check(audit_export_begin(w, buf_sink, &out, &vk1) == AUDIT_EXPORT_OK);
	check(audit_export_put_checkpoint(w, (const char *)m.v[cp0].data,
	    m.v[cp0].len) == AUDIT_EXPORT_OK);
	check(audit_export_put_entry(w, m.v[e0].data, m.v[e0].len) ==
	    AUDIT_EXPORT_OK);
	check(audit_export_finish(w) == AUDIT_EXPORT_EORDER);

	/* a failing sink: EIO, and sticky */
	buf_free(&out);
	out.fail_after = 200;	/* the 152-byte header fits, a checkpoint not */
	check(audit_export_begin(w, buf_sink, &out, &vk1) == AUDIT_EXPORT_OK);
	check(audit_export_put_checkpoint(w, (const char *)m.v[cp0].data,
	    m.v[cp0].len) == AUDIT_EXPORT_EIO);
	check(audit_export_put_entry(w, m.v[e0].data, m.v[e0].len) ==
	    AUDIT_EXPORT_EIO);
	check(audit_export_finish(w) == AUDIT_EXPORT_EIO);
	buf_free(&out);

	/* the writer's header is refused for an invalid key name */
	{
		struct note_vkey bad = vk1;

		bad.name[3] = ' ';
		check(audit_export_begin(w, buf_sink, &out, &bad) ==
		    AUDIT_EXPORT_EFORMAT);
	}
	buf_free(&out);
	free(w);
	model_free(&m);
}

/* Parse text and return the first error (< 0), or the number of body
 * items (entries + checkpoints). *kind and *line describe the error. */
static int
parse_text(const char *text, size_t len, enum audit_export_kind *kind,
    uint64_t *line)
{
	struct audit_export_mem mem = { (const uint8_t *)text, len, 0 };
	struct audit_export_parser *p;
	struct audit_export_item it;
	int rc, items = 0;

	p = audit_export_parser_new(audit_export_source_mem, &mem);
	if (p == NULL)
		return -100;
	while ((rc = audit_export_next(p, &it)) == 1)
		if (it.kind == AUDIT_EXPORT_ENTRY ||
		    it.kind == AUDIT_EXPORT_CHECKPOINT)
			items++;
	*kind = it.kind;
	*line = it.line;
	/* errors are sticky */
	if (rc < 0)
		check(audit_export_next(p, &it) == rc);
	audit_export_parser_free(p);
	return rc < 0 ? rc : items;
}

static int
failing_source(void *arg, uint8_t *buf, size_t buf_len, size_t *got)
{
	(void)arg;
	(void)buf;
	(void)buf_len;
	*got = 0;
	return -1;
}

static void
test_parser(void)
{
	char vkey[NOTE_VKEY_MAX_BYTES], hdr[1024], text[4096];
	char *big;
	enum audit_export_kind kind;
	uint64_t line;
	struct model m;
	struct buf b = { NULL, 0, 0, -1 };
	int n;

	check(note_vkey_format(vkey, sizeof(vkey), &vk1) == NOTE_OK);
	n = snprintf(hdr, sizeof(hdr), "corridor-audit-export 1\norigin %s\n"
	    "public-key %s\n", ORIGIN, vkey);
	check(n > 0 && (size_t)n < sizeof(hdr));

	/* the header alone is a well-formed (empty) file */
	check(parse_text(hdr, strlen(hdr), &kind, &line) == 0);
	/* a real log: every entry and checkpoint comes out */
	build_log(&m, N, EVERY, sk1, N, 0);
	model_serialize(&m, &b);
	check(parse_text((const char *)b.p, b.len, &kind, &line) ==
	    (int)m.n);
	/* cut anywhere inside the last line: the file ends inside a line */
	check(parse_text((const char *)b.p, b.len - 1, &kind, &line) ==
	    AUDIT_EXPORT_ETRUNC);
	check(line == 3 + m.n);

#define BAD(str, want_rc, want_kind, want_line) do {			\
	check(parse_text(str, strlen(str), &kind, &line) == (want_rc));	\
	check(kind == (want_kind));					\
	check(line == (want_line));					\
} while (0)

	BAD("", AUDIT_EXPORT_ETRUNC, AUDIT_EXPORT_NONE, 0);
	BAD("corridor-audit-export 2\n", AUDIT_EXPORT_EFORMAT,
	    AUDIT_EXPORT_MAGIC_LINE, 1);
	BAD("corridor-audit-export 1\n", AUDIT_EXPORT_ETRUNC,
	    AUDIT_EXPORT_NONE, 1);
	BAD("corridor-audit-export 1\r\norigin x\n", AUDIT_EXPORT_EFORMAT,
	    AUDIT_EXPORT_MAGIC_LINE, 1);
	BAD("corridor-audit-export 1\norigin \n", AUDIT_EXPORT_EFORMAT,
	    AUDIT_EXPORT_ORIGIN, 2);
	BAD("corridor-audit-export 1\norigin a b\n", AUDIT_EXPORT_EFORMAT,
	    AUDIT_EXPORT_ORIGIN, 2);
	BAD("corridor-audit-export 1\npublic-key x\n", AUDIT_EXPORT_EFORMAT,
	    AUDIT_EXPORT_ORIGIN, 2);
	/* public key named after another origin */
	n = snprintf(text, sizeof(text), "corridor-audit-export 1\norigin "
	    "other.example\npublic-key %s\n", vkey);
	check(n > 0 && (size_t)n < sizeof(text));
	BAD(text, AUDIT_EXPORT_EFORMAT, AUDIT_EXPORT_PUBLIC_KEY, 3);
	/* the key in another spelling (upper-case hex) */
	{
		char upper[NOTE_VKEY_MAX_BYTES];

		memcpy(upper, vkey, sizeof(upper));
		for (size_t i = strlen(ORIGIN) + 1; i < strlen(ORIGIN) + 9; i++)
			if (upper[i] >= 'a' && upper[i] <= 'f')
				upper[i] = (char)(upper[i] - 'a' + 'A');
		n = snprintf(text, sizeof(text), "corridor-audit-export 1\n"
		    "origin %s\npublic-key %s\n", ORIGIN, upper);
		check(n > 0 && (size_t)n < sizeof(text));
		check(strcmp(upper, vkey) != 0);	/* the fixed key has a-f */
		BAD(text, AUDIT_EXPORT_EFORMAT, AUDIT_EXPORT_PUBLIC_KEY, 3);
	}
	/* body lines: unknown keyword, blank, bad base64, oversized entry */
	n = snprintf(text, sizeof(text), "%sentri AAAA\n", hdr);
	check(n > 0);
	BAD(text, AUDIT_EXPORT_EFORMAT, AUDIT_EXPORT_NONE, 4);
	n = snprintf(text, sizeof(text), "%s\n", hdr);
	check(n > 0);
	BAD(text, AUDIT_EXPORT_EFORMAT, AUDIT_EXPORT_NONE, 4);
	n = snprintf(text, sizeof(text), "%sentry AAA\n", hdr);
	check(n > 0);
	BAD(text, AUDIT_EXPORT_EFORMAT, AUDIT_EXPORT_ENTRY, 4);
	n = snprintf(text, sizeof(text), "%sentry AAAA \n", hdr);
	check(n > 0);
	BAD(text, AUDIT_EXPORT_EFORMAT, AUDIT_EXPORT_ENTRY, 4);
	n = snprintf(text, sizeof(text), "%sentry \n", hdr);
	check(n > 0);
	BAD(text, AUDIT_EXPORT_EFORMAT, AUDIT_EXPORT_ENTRY, 4);
	n = snprintf(text, sizeof(text), "%scheckpoint AB==\n", hdr);
	check(n > 0);
	BAD(text, AUDIT_EXPORT_EFORMAT, AUDIT_EXPORT_CHECKPOINT, 4);
	{
		/* 509 bytes: one more than the largest entry */
		uint8_t raw[AUDIT_ENTRY_MAX + 1];
		char b64[1024];

		memset(raw, 1, sizeof(raw));
		check(encode_b64(b64, sizeof(b64), raw, sizeof(raw)) == 0);
		n = snprintf(text, sizeof(text), "%sentry %s\n", hdr, b64);
		check(n > 0 && (size_t)n < sizeof(text));
		BAD(text, AUDIT_EXPORT_EFORMAT, AUDIT_EXPORT_ENTRY, 4);
	}
	/* a line longer than the cap stops the parser at once */
	big = malloc(AUDIT_EXPORT_LINE_MAX + 4096);
	check(big != NULL);
	if (big != NULL) {
		memcpy(big, hdr, strlen(hdr));
		memset(big + strlen(hdr), 'A', AUDIT_EXPORT_LINE_MAX + 100);
		check(parse_text(big, strlen(hdr) + AUDIT_EXPORT_LINE_MAX + 100,
		    &kind, &line) == AUDIT_EXPORT_ELONG);
		/* exactly the cap is not "too long" (but not base64 of a
		 * note either) */
		memcpy(big + strlen(hdr), "checkpoint ", 11);
		big[strlen(hdr) + AUDIT_EXPORT_LINE_MAX] = '\n';
		check(parse_text(big, strlen(hdr) + AUDIT_EXPORT_LINE_MAX + 1,
		    &kind, &line) == AUDIT_EXPORT_EFORMAT);
		check(kind == AUDIT_EXPORT_CHECKPOINT);
		free(big);
	}
	/* a source that fails */
	{
		struct audit_export_parser *p;
		struct audit_export_item it;

		p = audit_export_parser_new(failing_source, NULL);
		check(p != NULL);
		if (p != NULL) {
			check(audit_export_next(p, &it) == AUDIT_EXPORT_EIO);
			audit_export_parser_free(p);
		}
	}
	audit_export_parser_free(NULL);
#undef BAD
	buf_free(&b);
	model_free(&m);
}

/* --- verification: the genuine log ---------------------------------------- */

static void
test_verify_genuine(void)
{
	struct audit_verify_result res;
	struct model m;
	uint8_t leaves[N][MERKLE_HASH_BYTES], root[MERKLE_HASH_BYTES];
	struct audit_verify_held held[3];
	char line[AUDIT_VERIFY_LINE_BYTES], want[128], b64[64];
	uint64_t k = 0;

	build_log(&m, N, EVERY, sk1, N, 0);
	for (size_t i = 0; i < m.n; i++)
		if (m.v[i].kind == L_ENTRY)
			merkle_leaf_hash(leaves[k++], m.v[i].data, m.v[i].len);
	check(merkle_root(root, &leaves[0][0], N) == 0);

	check(verify_model(&m, NULL, 0, &res) == 0);
	check(res.at == AUDIT_AT_NONE);
	check(res.entries == N);
	check(memcmp(res.root, root, sizeof(root)) == 0);
	check(res.checkpoints == 1 + N / EVERY + (N % EVERY ? 1 : 0));
	check(res.held == 0);
	check(res.key_matches == 1);
	check(audit_verify_describe(line, sizeof(line), &res) == 0);
	check(encode_b64(b64, sizeof(b64), root, sizeof(root)) == 0);
	check(snprintf(want, sizeof(want), "audit verify: OK, %u entries, "
	    "root %s, %llu checkpoints", N, b64,
	    (unsigned long long)res.checkpoints) > 0);
	check(strcmp(line, want) == 0);

	/* held checkpoints that match, including size 0 and the last one */
	held[0] = held_of(&m, 0, "cp0");
	held[1] = held_of(&m, 18, "cp18");
	held[2] = held_of(&m, N, "cpN");
	check(verify_model(&m, held, 3, &res) == 0);
	check(res.held == 3);

	/* the header's public key is informational */
	m.header_key = &vk2;
	check(verify_model(&m, NULL, 0, &res) == 0);
	check(res.key_matches == 0);
	m.header_key = &vk1;

	/* an empty log: one checkpoint of size 0 */
	model_free(&m);
	build_log(&m, 0, EVERY, sk1, 0, 0);
	check(verify_model(&m, NULL, 0, &res) == 0);
	check(res.entries == 0 && res.checkpoints == 1);
	merkle_empty_root(root);
	check(memcmp(res.root, root, sizeof(root)) == 0);
	model_free(&m);
}

/* --- verification: tampering ---------------------------------------------- */

/* Every single-byte change in every entry is detected, and the reported
 * seq is between the last checkpoint before the entry and the entry. */
static void
test_tamper_bytes(void)
{
	struct model m, t;
	uint64_t lo;
	size_t li;
	char what[96];

	build_log(&m, N, EVERY, sk1, N, 0);
	for (uint64_t s = 0; s < N; s++) {
		li = model_entry_line(&m, s);
		lo = proven_before(s, EVERY);
		for (size_t j = 0; j < m.v[li].len; j++) {
			static const uint8_t masks[] = { 0x01, 0x80, 0xff };

			for (size_t k = 0; k < sizeof(masks); k++) {
				/* sample the heavier masks */
				if (k > 0 && (j + s) % 3 != 0)
					continue;
				model_copy(&t, &m);
				t.v[li].data[j] ^= masks[k];
				snprintf(what, sizeof(what), "entry %llu byte "
				    "%zu ^ 0x%02x", (unsigned long long)s, j,
				    masks[k]);
				expect_seq(&t, NULL, 0, lo, s, what);
				model_free(&t);
			}
		}
	}
	/* where the entry itself is wrong, the seq is exact */
	{
		struct audit_verify_result res;

		model_copy(&t, &m);
		t.v[model_entry_line(&t, 17)].data[0] = 2;	/* version */
		check(verify_model(&t, NULL, 0, &res) != 0);
		check(res.at == AUDIT_AT_SEQ && res.seq == 17);
		model_free(&t);
		model_copy(&t, &m);
		li = model_entry_line(&t, 23);
		t.v[li].data[8] = 30;		/* seq 23 -> 30 */
		check(verify_model(&t, NULL, 0, &res) != 0);
		check(res.at == AUDIT_AT_SEQ && res.seq == 23);
		model_free(&t);
	}
	/* a changed byte in the export text itself (base64 layer) */
	{
		struct buf b = { NULL, 0, 0, -1 };
		struct audit_verify_result res;
		size_t fails = 0, tries = 0;

		model_serialize(&m, &b);
		for (size_t off = 0; off < b.len; off += 7) {
			uint8_t old = b.p[off];

			b.p[off] = (uint8_t)(old == 'A' ? 'B' : 'A');
			tries++;
			if (verify_bytes(b.p, b.len, &res) != 0)
				fails++;
			else
				fail("export byte %zu changed, still verifies",
				    off);
			b.p[off] = old;
		}
		check(fails == tries);
		buf_free(&b);
	}
	model_free(&m);
}

/* Re-encode every entry from line `from` on with seq = its position. */
static void
renumber(struct model *m)
{
	struct audit_entry e;
	uint64_t k = 0;
	size_t len = 0;

	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].kind != L_ENTRY)
			continue;
		check(audit_entry_decode(&e, m->v[i].data, m->v[i].len) == 0);
		e.seq = k++;
		check(audit_entry_encode(m->v[i].data, m->v[i].len, &len,
		    &e) == 0);
		check(len == m->v[i].len);
	}
}

static void
test_tamper_delete_swap_insert(void)
{
	struct audit_verify_result res;
	struct model m, t;
	struct audit_entry e;
	uint8_t enc[AUDIT_ENTRY_MAX];
	size_t li, len = 0;
	char what[96];

	build_log(&m, N, EVERY, sk1, N, 0);
	for (uint64_t k = 0; k < N; k++) {
		/* plain deletion: the next entry carries seq k + 1, or the
		 * next checkpoint finds an entry missing */
		model_copy(&t, &m);
		li = model_entry_line(&t, k);
		model_remove(&t, li);
		snprintf(what, sizeof(what), "delete %llu",
		    (unsigned long long)k);
		if (t.v[li].kind == L_ENTRY) {
			check(verify_model(&t, NULL, 0, &res) != 0);
			check(res.at == AUDIT_AT_SEQ && res.seq == k);
		} else {
			expect_seq(&t, NULL, 0, proven_before(k, EVERY), k,
			    what);
		}
		/* deletion with the later entries renumbered */
		renumber(&t);
		snprintf(what, sizeof(what), "delete %llu, renumbered",
		    (unsigned long long)k);
		expect_seq(&t, NULL, 0, proven_before(k, EVERY), k, what);
		model_free(&t);
	}
	for (uint64_t i = 0; i < N; i++)
		for (uint64_t j = i + 1; j < N; j += 1 + (j - i) / 3) {
			size_t a, b;
			struct line l;

			model_copy(&t, &m);
			a = model_entry_line(&t, i);
			b = model_entry_line(&t, j);
			l = t.v[a];
			t.v[a] = t.v[b];
			t.v[b] = l;
			/* entry j now sits where i was: exact */
			check(verify_model(&t, NULL, 0, &res) != 0);
			check(res.at == AUDIT_AT_SEQ && res.seq == i);
			/* Renumbered, the swap shows where the times first
			 * disagree, which can be inside the swapped span, or
			 * at the next checkpoint's root. */
			renumber(&t);
			snprintf(what, sizeof(what), "swap %llu %llu, "
			    "renumbered", (unsigned long long)i,
			    (unsigned long long)j);
			expect_seq(&t, NULL, 0, proven_before(i, EVERY), j,
			    what);
			model_free(&t);
		}
	for (uint64_t k = 0; k <= N; k++) {
		/* a forged entry inserted before entry k, claiming seq k */
		model_copy(&t, &m);
		make_entry(&e, k, 7);
		e.time_ms = 1718000000000ull + (k / 2) * 1500;
		check(audit_entry_encode(enc, sizeof(enc), &len, &e) == 0);
		model_push(&t, L_ENTRY, enc, len, 0);
		/* before entry k, or before the final checkpoint */
		li = k < N ? model_entry_line(&t, k) : t.n - 2;
		model_move_last_to(&t, li);
		snprintf(what, sizeof(what), "insert at %llu",
		    (unsigned long long)k);
		expect_seq(&t, NULL, 0, proven_before(k, EVERY), k, what);
		renumber(&t);
		snprintf(what, sizeof(what), "insert at %llu, renumbered",
		    (unsigned long long)k);
		expect_seq(&t, NULL, 0, proven_before(k, EVERY), k, what);
		model_free(&t);
	}
	model_free(&m);
}

static void
test_tamper_checkpoints(void)
{
	struct audit_verify_result res;
	struct model m, t, f;
	size_t li;

	build_log(&m, N, EVERY, sk1, N, 0);

	/* the final checkpoint removed: the tail is not covered */
	model_copy(&t, &m);
	model_remove(&t, t.n - 1);
	check(verify_model(&t, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_SEQ && res.seq == N / EVERY * EVERY);
	model_free(&t);

	/* no checkpoint at all */
	model_copy(&t, &m);
	for (size_t i = t.n; i-- > 0;)
		if (t.v[i].kind == L_CP)
			model_remove(&t, i);
	check(verify_model(&t, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_SEQ && res.seq == 0);
	model_free(&t);

	/* a checkpoint moved one entry later */
	model_copy(&t, &m);
	li = model_entry_line(&t, 12) - 1;	/* checkpoint of size 12 */
	check(t.v[li].kind == L_CP && t.v[li].cp_size == 12);
	{
		struct line l = t.v[li];

		t.v[li] = t.v[li + 1];
		t.v[li + 1] = l;
	}
	check(verify_model(&t, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_SEQ && res.seq == 6);
	model_free(&t);

	/* an old checkpoint replayed later: sizes go backwards */
	model_copy(&t, &m);
	model_push(&t, L_CP, m.v[0].data, m.v[0].len, 0);
	model_move_last_to(&t, model_entry_line(&t, 12));
	check(verify_model(&t, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_CHECKPOINT);
	model_free(&t);

	/* a checkpoint with a flipped signature byte */
	model_copy(&t, &m);
	li = model_entry_line(&t, 18) - 1;
	t.v[li].data[t.v[li].len - 10] ^= 0x01;
	check(verify_model(&t, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_CHECKPOINT && res.line == 3 + li + 1);
	model_free(&t);

	/* two signed checkpoints of one size with different roots: a fork
	 * signed by the real key, visible inside one export */
	build_log(&f, N, EVERY, sk1, 3, 1);
	model_copy(&t, &m);
	li = model_entry_line(&t, 6);		/* after checkpoint 6 */
	model_push(&t, L_CP, f.v[model_entry_line(&f, 6) - 1].data,
	    f.v[model_entry_line(&f, 6) - 1].len, 6);
	model_move_last_to(&t, li);
	check(verify_model(&t, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_CHECKPOINT);
	check(strstr(res.reason, "forked") != NULL);
	model_free(&t);
	model_free(&f);

	/* times going backwards, in a log the key signed anyway */
	{
		struct merkle_frontier fr;
		struct audit_entry e;
		uint8_t enc[AUDIT_ENTRY_MAX], leaf[MERKLE_HASH_BYTES];
		size_t len = 0;

		memset(&t, 0, sizeof(t));
		t.header_key = &vk1;
		merkle_frontier_init(&fr);
		push_checkpoint(&t, &fr, sk1);
		for (uint64_t s = 0; s < 20; s++) {
			make_entry(&e, s, 0);
			e.time_ms = s == 13 ? 1 : 1000 + s;
			check(audit_entry_encode(enc, sizeof(enc), &len,
			    &e) == 0);
			model_push(&t, L_ENTRY, enc, len, 0);
			merkle_leaf_hash(leaf, enc, len);
			check(merkle_frontier_append(&fr, leaf) == 0);
			if ((s + 1) % EVERY == 0)
				push_checkpoint(&t, &fr, sk1);
		}
		push_checkpoint(&t, &fr, sk1);
		check(verify_model(&t, NULL, 0, &res) != 0);
		/* 13 went back: 12 or 13 is wrong, 12 is not yet proven */
		check(res.at == AUDIT_AT_SEQ && res.seq == 12);
		model_free(&t);
	}
	model_free(&m);
}

static void
test_truncation_and_forks(void)
{
	struct audit_verify_result res;
	struct audit_verify_held held[2];
	struct model m, t, f;
	const uint64_t T = 25;

	build_log(&m, N, EVERY, sk1, N, 0);

	/* The insider truncates to T entries and the server, which holds
	 * the key, signs a fresh checkpoint at T: a consistent, validly
	 * signed log. Only a held checkpoint beyond T exposes it. */
	build_log(&t, T, EVERY, sk1, T, 0);
	check(verify_model(&t, NULL, 0, &res) == 0);
	held[0] = held_of(&m, N, "held-40.txt");
	check(verify_model(&t, held, 1, &res) != 0);
	check(res.at == AUDIT_AT_SEQ && res.seq == T);
	check(strstr(res.reason, "truncated") != NULL);
	check(strstr(res.reason, "held-40.txt") != NULL);
	/* a held checkpoint inside the truncated log is no help */
	held[0] = held_of(&m, 18, "held-18.txt");
	check(verify_model(&t, held, 1, &res) == 0);
	model_free(&t);

	/* truncated by cutting the file after entry T - 1 */
	model_copy(&t, &m);
	while (t.n > model_entry_line(&t, T - 1) + 1)
		model_remove(&t, t.n - 1);
	check(verify_model(&t, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_SEQ && res.seq == proven_before(T, EVERY));
	model_free(&t);

	/* A forked history signed by another key: the first checkpoint
	 * already fails. */
	build_log(&f, N, EVERY, sk2, 0, 1);
	check(verify_model(&f, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_CHECKPOINT && res.line == 4);
	model_free(&f);

	/* A fork from seq 10 re-signed with the real key (the server was
	 * made to rebuild from rewritten rows): self-consistent, so only
	 * held checkpoints expose it, and they bound where. */
	build_log(&f, N, EVERY, sk1, 10, 1);
	check(verify_model(&f, NULL, 0, &res) == 0);
	held[0] = held_of(&m, 6, "held-6");
	held[1] = held_of(&m, 24, "held-24");
	check(verify_model(&f, held, 2, &res) != 0);
	check(res.at == AUDIT_AT_SEQ && res.seq == 6);
	check(strstr(res.reason, "held-24") != NULL);
	held[0] = held_of(&m, 12, "held-12");
	check(verify_model(&f, held, 1, &res) != 0);
	check(res.at == AUDIT_AT_SEQ && res.seq == 0);
	model_free(&f);

	/* held checkpoints that are not the pinned key's */
	build_log(&f, N, EVERY, sk2, N, 0);
	held[0] = held_of(&f, 12, "other-key");
	check(verify_model(&m, held, 1, &res) != 0);
	check(res.at == AUDIT_AT_HELD && res.held_index == 0);
	held[0] = held_of(&m, 12, "ok");
	held[1] = held_of(&f, 12, "other-key");
	check(verify_model(&m, held, 2, &res) != 0);
	check(res.at == AUDIT_AT_HELD && res.held_index == 1);
	model_free(&f);
	check(audit_verify_export(&vk1, audit_export_source_mem, NULL, held,
	    AUDIT_VERIFY_MAX_HELD + 1, &res) != 0);
	check(res.at == AUDIT_AT_HELD);

	/* the export's origin must be the pinned key's name */
	{
		struct note_vkey other;

		check(note_vkey_init(&other, "other.example/audit", 19, pk1) ==
		    NOTE_OK);
		model_copy(&t, &m);
		t.header_key = &other;
		check(verify_model(&t, NULL, 0, &res) != 0);
		check(res.at == AUDIT_AT_LINE && res.line == 2);
		model_free(&t);
	}
	model_free(&m);
}

/* --- the command line ------------------------------------------------------ */

static char tmpdir[] = "/tmp/corridor-audit-test-XXXXXX";

static void
write_file(const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(data, 1, len, f) != len || fclose(f) != 0)
		fail("cannot write %s", path);
}

static void
path_of(char *out, size_t out_len, const char *name)
{
	if (snprintf(out, out_len, "%s/%s", tmpdir, name) >= (int)out_len)
		fail("path too long");
}

static size_t
slurp(const char *path, char *out, size_t out_max)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	if (f != NULL) {
		n = fread(out, 1, out_max - 1, f);
		fclose(f);
	}
	out[n] = '\0';
	return n;
}

/*
 * Run cli_audit_verify with up to 8 arguments (after "verify"), stdout
 * and stderr captured into out and err. stdin_file, when not NULL, is
 * opened as stdin. Returns the exit status.
 */
static int
run_cli(char *out, char *err, size_t cap, const char *stdin_file,
    const char *const *args, int nargs)
{
	char argbuf[9][256], *argv[10], op[256], ep[256];
	int saved_out, saved_err, saved_in = -1, fd, status;

	snprintf(argbuf[0], sizeof(argbuf[0]), "verify");
	argv[0] = argbuf[0];
	for (int i = 0; i < nargs && i < 8; i++) {
		snprintf(argbuf[i + 1], sizeof(argbuf[0]), "%s", args[i]);
		argv[i + 1] = argbuf[i + 1];
	}
	argv[nargs + 1] = NULL;
	path_of(op, sizeof(op), "stdout");
	path_of(ep, sizeof(ep), "stderr");

	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	fd = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	fd = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	if (stdin_file != NULL) {
		saved_in = dup(0);
		fd = open(stdin_file, O_RDONLY);
		dup2(fd, 0);
		close(fd);
	}
	status = cli_audit_verify(nargs + 1, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	if (saved_in >= 0) {
		clearerr(stdin);
		dup2(saved_in, 0);
		close(saved_in);
	}
	slurp(op, out, cap);
	slurp(ep, err, cap);
	return status;
}

/* Exactly one line, starting with prefix. */
static int
one_line(const char *s, const char *prefix)
{
	size_t len = strlen(s);

	return strncmp(s, prefix, strlen(prefix)) == 0 && len > 0 &&
	    s[len - 1] == '\n' && strchr(s, '\n') == s + len - 1;
}

static void
test_cli(void)
{
	struct model m, t;
	struct buf b = { NULL, 0, 0, -1 };
	struct audit_verify_held h;
	char vkey[NOTE_VKEY_MAX_BYTES], out[4096], err[4096];
	char exp[256], key[256], cp40[256], cp12[256], bad[256], other[256];
	char cpother[256];
	char want[128];

	if (mkdtemp(tmpdir) == NULL) {
		fail("mkdtemp");
		return;
	}
	path_of(exp, sizeof(exp), "export.txt");
	path_of(key, sizeof(key), "audit.pub");
	path_of(cp40, sizeof(cp40), "cp40.txt");
	path_of(cp12, sizeof(cp12), "cp12.txt");
	path_of(bad, sizeof(bad), "tampered.txt");
	path_of(other, sizeof(other), "other.txt");
	path_of(cpother, sizeof(cpother), "cpother.txt");

	build_log(&m, N, EVERY, sk1, N, 0);
	model_serialize(&m, &b);
	write_file("export.txt", b.p, b.len);
	check(note_vkey_format(vkey, sizeof(vkey), &vk1) == NOTE_OK);
	{
		char line[NOTE_VKEY_MAX_BYTES + 1];

		snprintf(line, sizeof(line), "%s\n", vkey);
		write_file("audit.pub", line, strlen(line));
	}
	h = held_of(&m, N, "");
	write_file("cp40.txt", h.note, h.note_len);
	h = held_of(&m, 12, "");
	write_file("cp12.txt", h.note, h.note_len);

	/* OK, with and without held checkpoints, options in any order */
	{
		const char *a[] = { exp, "--public-key", key };

		check(run_cli(out, err, sizeof(out), NULL, a, 3) == 0);
		snprintf(want, sizeof(want), "audit verify: OK, %u entries, "
		    "root ", N);
		check(one_line(out, want));
		check(strstr(out, " checkpoints\n") != NULL);
		check(err[0] == '\0');
	}
	{
		const char *a[] = { "--checkpoint", cp40, "--public-key", key,
		    exp, "--checkpoint", cp12 };

		check(run_cli(out, err, sizeof(out), NULL, a, 7) == 0);
		check(one_line(out, "audit verify: OK, 40 entries, root "));
		check(strstr(out, ", 10 checkpoints\n") != NULL);
	}
	{
		const char *a[] = { "-", "--public-key", key };

		check(run_cli(out, err, sizeof(out), exp, a, 3) == 0);
		check(one_line(out, "audit verify: OK, 40 entries"));
	}

	/* one tampered entry: exit 1, one line on stderr naming the seq */
	model_copy(&t, &m);
	t.v[model_entry_line(&t, 20)].data[0] = 9;
	model_serialize(&t, &b);
	write_file("tampered.txt", b.p, b.len);
	model_free(&t);
	{
		const char *a[] = { bad, "--public-key", key };

		check(run_cli(out, err, sizeof(out), NULL, a, 3) == 1);
		check(one_line(err, "audit verify: FAILED at seq 20: "));
		check(out[0] == '\0');
	}
	/* truncation behind a held checkpoint */
	build_log(&t, 25, EVERY, sk1, 25, 0);
	model_serialize(&t, &b);
	write_file("tampered.txt", b.p, b.len);
	model_free(&t);
	{
		const char *a[] = { bad, "--public-key", key, "--checkpoint",
		    cp40 };
		const char *a2[] = { bad, "--public-key", key };

		check(run_cli(out, err, sizeof(out), NULL, a, 5) == 1);
		check(one_line(err, "audit verify: FAILED at seq 25: log "
		    "truncated"));
		check(run_cli(out, err, sizeof(out), NULL, a2, 3) == 0);
	}
	/* a forked history signed by another key */
	build_log(&t, N, EVERY, sk2, 0, 1);
	model_serialize(&t, &b);
	write_file("other.txt", b.p, b.len);
	h = held_of(&t, 12, "");
	write_file("cpother.txt", h.note, h.note_len);
	model_free(&t);
	{
		const char *a[] = { other, "--public-key", key };

		check(run_cli(out, err, sizeof(out), NULL, a, 3) == 1);
		check(one_line(err, "audit verify: FAILED at checkpoint on "
		    "export line 4: no signature by the pinned key"));
	}
	/* a held checkpoint file signed by another key */
	{
		const char *a[] = { exp, "--public-key", key, "--checkpoint",
		    cpother };

		check(run_cli(out, err, sizeof(out), NULL, a, 5) == 1);
		check(one_line(err, "audit verify: FAILED at held checkpoint "));
	}

	/* usage errors: exit 2 */
	{
		const char *none[] = { NULL };
		const char *nokey[] = { exp };
		const char *two[] = { exp, exp, "--public-key", key };
		const char *unknown[] = { exp, "--public-key", key, "--frob" };
		const char *noarg[] = { exp, "--public-key" };

		check(run_cli(out, err, sizeof(out), NULL, none, 0) == 2);
		/* the usage: its two forms (an export, fetched tiles) */
		check(strncmp(err, "usage: corridor audit verify", 28) == 0);
		check(run_cli(out, err, sizeof(out), NULL, nokey, 1) == 2);
		check(run_cli(out, err, sizeof(out), NULL, two, 4) == 2);
		check(run_cli(out, err, sizeof(out), NULL, unknown, 4) == 2);
		check(run_cli(out, err, sizeof(out), NULL, noarg, 2) == 2);
	}
	{
		const char *help[] = { "--help" };

		check(run_cli(out, err, sizeof(out), NULL, help, 1) == 0);
		check(strncmp(out, "usage: corridor audit verify", 28) == 0);
	}
	/* operational errors: exit 1 */
	{
		char missing[256];
		const char *a[] = { missing, "--public-key", key };
		const char *b2[] = { exp, "--public-key", missing };
		const char *c[] = { exp, "--public-key", cp40 };
		const char *d[] = { exp, "--public-key", key, "--checkpoint",
		    missing };

		path_of(missing, sizeof(missing), "missing.txt");
		check(run_cli(out, err, sizeof(out), NULL, a, 3) == 1);
		check(one_line(err, "audit verify: cannot open export"));
		check(run_cli(out, err, sizeof(out), NULL, b2, 3) == 1);
		check(one_line(err, "audit verify: cannot read public key"));
		check(run_cli(out, err, sizeof(out), NULL, c, 3) == 1);
		check(one_line(err, "audit verify: "));
		check(run_cli(out, err, sizeof(out), NULL, d, 5) == 1);
		check(one_line(err, "audit verify: cannot read checkpoint"));
	}

	/* clean up the temporary directory */
	{
		static const char *const names[] = { "export.txt", "audit.pub",
		    "cp40.txt", "cp12.txt", "tampered.txt", "other.txt", "cpother.txt",
		    "stdout", "stderr" };
		char p[256];

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			path_of(p, sizeof(p), names[i]);
			unlink(p);
		}
		rmdir(tmpdir);
	}
	buf_free(&b);
	model_free(&m);
}


/* --- key rotation ---------------------------------------------------------- */

/* How build_rotated breaks the chain (0: a genuine handover). */
enum rot_break {
	ROT_OK = 0,
	ROT_NO_SEAL,		/* the next key signs without the old key's seal */
	ROT_OLD_AFTER,		/* the old key signs again after the handover */
	ROT_BAD_PREV,		/* the entry hands over from a key not in force */
	ROT_BAD_EXTRA,		/* the entry's extra is not two keys */
	ROT_TWICE,		/* a second rotation before the first is sealed */
	ROT_DENIED,		/* the rotation entry's outcome is "denied" */
};

static void
rotation_entry(struct audit_entry *e, uint64_t seq,
    const uint8_t *prev, const uint8_t *next)
{
	make_entry(e, seq, 0);
	e->action = AUDIT_AUDIT_KEY_ROTATE;
	e->outcome = AUDIT_ALLOWED;
	e->has_reason = 0;
	e->extra_len = AUDIT_ROTATE_EXTRA_BYTES;
	audit_entry_rotation_extra(e->extra, prev, next);
}

/*
 * A log of n entries whose entry r1 hands over from key 1 to key 2 and, if
 * r2 < n, entry r2 from key 2 to key 3, as rotate-key writes it: the old
 * key seals each rotation with a checkpoint right after it, then the new
 * key signs one of the same size (the next start-up), and every later
 * checkpoint. how breaks it at the first rotation.
 */
static void
build_rotated(struct model *m, uint64_t n, uint64_t r1, uint64_t r2,
    enum rot_break how)
{
	const uint8_t *sk = sk1;
	struct merkle_frontier f;
	struct audit_entry e;
	uint8_t enc[AUDIT_ENTRY_MAX], leaf[MERKLE_HASH_BYTES];
	size_t len = 0;

	memset(m, 0, sizeof(*m));
	m->header_key = &vk1;
	merkle_frontier_init(&f);
	push_checkpoint(m, &f, sk);
	for (uint64_t s = 0; s < n; s++) {
		if (s == r1)
			rotation_entry(&e, s, how == ROT_BAD_PREV ? pk3 : pk1,
			    pk2);
		else if (s == r2 || (how == ROT_TWICE && s == r1 + 1))
			rotation_entry(&e, s, pk2, pk3);
		else
			make_entry(&e, s, 0);
		if (s == r1 && how == ROT_BAD_EXTRA)
			e.extra_len = 33;
		if (s == r1 && how == ROT_DENIED)
			e.outcome = AUDIT_DENIED;
		check(audit_entry_encode(enc, sizeof(enc), &len, &e) == 0);
		model_push(m, L_ENTRY, enc, len, 0);
		merkle_leaf_hash(leaf, enc, len);
		check(merkle_frontier_append(&f, leaf) == 0);
		if (s == r1 && how == ROT_TWICE)
			continue;	/* the next entry rotates again */
		if (s == r1 || s == r2) {
			/* the seal by the old key, then the new key */
			if (!(s == r1 && how == ROT_NO_SEAL))
				push_checkpoint(m, &f, sk);
			sk = s == r1 ? sk2 : sk3;
			push_checkpoint(m, &f, sk);
			continue;
		}
		if ((s + 1) % EVERY == 0 || s + 1 == n)
			push_checkpoint(m, &f, how == ROT_OLD_AFTER && s > r1 &&
			    s < r2 ? sk1 : sk);
	}
}

static void
test_key_rotation(void)
{
	struct audit_verify_result res;
	struct audit_verify_held held[2];
	struct model m, t;
	char line[AUDIT_VERIFY_LINE_BYTES];

	/* one handover: verifies against the first key only */
	build_rotated(&m, N, 10, N, ROT_OK);
	check(verify_model(&m, NULL, 0, &res) == 0);
	check(res.rotations == 1 && res.entries == N);
	check(audit_verify_describe(line, sizeof(line), &res) == 0);
	check(strstr(line, ", 1 key rotation") != NULL);
	/* a held checkpoint of the new key, and one of the old key */
	held[0] = held_of(&m, 18, "new-key-18");
	held[1] = held_of(&m, 6, "old-key-6");
	check(verify_model(&m, held, 2, &res) == 0);
	check(res.held == 2);
	/* pinning the new key does not verify the history before it */
	{
		struct buf b = { NULL, 0, 0, -1 };
		struct audit_export_mem mem;

		model_serialize(&m, &b);
		mem.buf = b.p;
		mem.len = b.len;
		mem.off = 0;
		check(audit_verify_export(&vk2, audit_export_source_mem, &mem,
		    NULL, 0, &res) != 0);
		buf_free(&b);
	}
	/* every byte of the rotation entry matters */
	for (size_t off = 0; off < m.v[model_entry_line(&m, 10)].len; off++) {
		model_copy(&t, &m);
		t.v[model_entry_line(&t, 10)].data[off] ^= 0x20;
		check(verify_model(&t, NULL, 0, &res) != 0);
		model_free(&t);
	}
	/* truncated before the rotation: a held checkpoint of the new key
	 * cannot be followed, and the run fails */
	model_copy(&t, &m);
	while (t.n > model_entry_line(&t, 8) + 1)
		model_remove(&t, t.n - 1);
	{
		struct merkle_frontier f;
		uint8_t leaf[MERKLE_HASH_BYTES];

		merkle_frontier_init(&f);
		for (uint64_t s = 0; s < 9; s++) {
			size_t i = model_entry_line(&t, s);

			merkle_leaf_hash(leaf, t.v[i].data, t.v[i].len);
			check(merkle_frontier_append(&f, leaf) == 0);
		}
		push_checkpoint(&t, &f, sk1);
	}
	check(verify_model(&t, NULL, 0, &res) == 0);
	held[0] = held_of(&m, 18, "new-key-18");
	check(verify_model(&t, held, 1, &res) != 0);
	model_free(&t);
	model_free(&m);

	/* two handovers, 1 -> 2 -> 3 */
	build_rotated(&m, N, 10, 25, ROT_OK);
	check(verify_model(&m, NULL, 0, &res) == 0);
	check(res.rotations == 2);
	held[0] = held_of(&m, 30, "key3-30");
	check(verify_model(&m, held, 1, &res) == 0);
	model_free(&m);

	/* broken chains */
	build_rotated(&m, N, 10, N, ROT_NO_SEAL);
	check(verify_model(&m, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_CHECKPOINT &&
	    strstr(res.reason, "before the key rotation at seq 10") != NULL);
	model_free(&m);
	build_rotated(&m, N, 10, N, ROT_OLD_AFTER);
	check(verify_model(&m, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_CHECKPOINT);
	model_free(&m);
	build_rotated(&m, N, 10, N, ROT_BAD_PREV);
	check(verify_model(&m, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_SEQ && res.seq == 10);
	model_free(&m);
	build_rotated(&m, N, 10, N, ROT_BAD_EXTRA);
	check(verify_model(&m, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_SEQ && res.seq == 10);
	model_free(&m);
	build_rotated(&m, N, 10, N, ROT_DENIED);
	check(verify_model(&m, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_SEQ && res.seq == 10);
	model_free(&m);
	build_rotated(&m, N, 10, N, ROT_TWICE);
	check(verify_model(&m, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_SEQ && res.seq == 11);
	model_free(&m);
	/* a rotation at the very end that nothing sealed */
	build_rotated(&m, 12, 11, 12, ROT_NO_SEAL);
	model_remove(&m, m.n - 1);	/* the new key's checkpoint */
	check(verify_model(&m, NULL, 0, &res) != 0);
	check(res.at == AUDIT_AT_SEQ && res.seq == 11);
	model_free(&m);
}

int
main(void)
{
	if (secmem_init() != 0) {
		fail("secmem_init");
		return test_done("test_audit_export");
	}
	/* Fixed keys: every run tests the same bytes. */
	{
		uint8_t seed[NOTE_SEED_BYTES];

		memset(seed, 1, sizeof(seed));
		note_keypair_from_seed(pk1, sk1, seed);
		memset(seed, 2, sizeof(seed));
		note_keypair_from_seed(pk2, sk2, seed);
		memset(seed, 3, sizeof(seed));
		note_keypair_from_seed(pk3, sk3, seed);
		secmem_wipe(seed, sizeof(seed));
	}
	check(note_vkey_init(&vk1, ORIGIN, strlen(ORIGIN), pk1) == NOTE_OK);
	/* the other key uses the same name: only the key id differs */
	check(note_vkey_init(&vk2, ORIGIN, strlen(ORIGIN), pk2) == NOTE_OK);
	check(note_vkey_init(&vk3, ORIGIN, strlen(ORIGIN), pk3) == NOTE_OK);

	test_writer_matches_format();
	test_writer_refuses();
	test_parser();
	test_verify_genuine();
	test_tamper_bytes();
	test_tamper_delete_swap_insert();
	test_tamper_checkpoints();
	test_truncation_and_forks();
	test_cli();
	test_key_rotation();
	secmem_wipe(sk1, sizeof(sk1));
	secmem_wipe(sk2, sizeof(sk2));
	secmem_wipe(sk3, sizeof(sk3));
	return test_done("test_audit_export");
}
