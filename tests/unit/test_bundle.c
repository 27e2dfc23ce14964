/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_bundle: transfer bundles (server/core/bundle.h, crypto/xfer.h).
 * A bundle verifies only under its sender's key and opens only with its
 * recipient's: every single byte altered is refused before anything is
 * opened, a bundle sealed to one instance does not open with another's
 * key, and the record order is enforced. The fingerprint is six groups of
 * five digits, stable for a key and different between keys.
 */
#include <string.h>

#include "crypto/note.h"
#include "crypto/secmem.h"
#include "crypto/xfer.h"
#include "server/core/bundle.h"
#include "testutil.h"

struct inst {
	const char	*origin;
	uint8_t		 pk[NOTE_PK_BYTES], sk[NOTE_SK_BYTES];
	uint8_t		 x_pk[XFER_X_PK_BYTES], x_sk[XFER_X_SK_BYTES];
};
static struct inst A, B, C;

static void
inst_init(struct inst *i, const char *origin, uint8_t seed_byte)
{
	uint8_t seed[NOTE_SEED_BYTES];

	i->origin = origin;
	memset(seed, seed_byte, sizeof(seed));
	note_keypair_from_seed(i->pk, i->sk, seed);
	check(xfer_x25519_pk(i->x_pk, i->pk) == 0);
	check(xfer_x25519_sk(i->x_sk, i->sk) == 0);
}

static uint8_t file[8192];
static size_t file_len;

static int
sink(void *arg, const uint8_t *p, size_t len)
{
	(void)arg;
	if (len > sizeof(file) - file_len)
		return -1;
	memcpy(file + file_len, p, len);
	file_len += len;
	return 0;
}

static int
sign_a(uint8_t sig[XFER_SIG_BYTES], const uint8_t digest[XFER_HASH_BYTES])
{
	return xfer_sign(sig, digest, A.sk);
}

/* key_of: A's key under A's origin, or the key in arg for any origin. */
static int
key_of(void *arg, const char *origin, uint8_t pk[XFER_ED_PK_BYTES])
{
	if (arg != NULL) {
		memcpy(pk, arg, XFER_ED_PK_BYTES);
		return 0;
	}
	if (strcmp(origin, A.origin) != 0)
		return -1;
	memcpy(pk, A.pk, XFER_ED_PK_BYTES);
	return 0;
}

static int
verify(const uint8_t *p, size_t len, const uint8_t *pk, uint8_t hash[32],
    struct bundle_header *h)
{
	struct bundle_mem m;
	struct bundle_source src;

	bundle_source_mem(&src, &m, p, len);
	return bundle_verify(&src, h, key_of, (void *)(uintptr_t)pk, hash);
}

static const char case_rec[] = "{\"case\":1}";
static const char contact_rec[] = "{\"contact\":1}";

/* Begin a bundle from A to `to` in file[] with its CASE and CONTACT
 * records. */
static void
begin(struct bundle_writer *w, const struct inst *to)
{
	file_len = 0;
	check(bundle_writer_begin(w, sink, NULL, A.origin, to->origin,
	    to->pk) == BUNDLE_OK);
	check(bundle_writer_put(w, BUNDLE_REC_CASE,
	    (const uint8_t *)case_rec, strlen(case_rec)) == BUNDLE_OK);
	check(bundle_writer_put(w, BUNDLE_REC_CONTACT,
	    (const uint8_t *)contact_rec, strlen(contact_rec)) == BUNDLE_OK);
}

static void
make(const struct inst *to, uint8_t hash[XFER_HASH_BYTES])
{
	struct bundle_writer w;

	begin(&w, to);
	/* not finished before END */
	check(bundle_writer_finish(&w, sign_a, hash) == BUNDLE_EFORMAT);
	bundle_writer_free(&w);

	begin(&w, to);
	check(bundle_writer_put(&w, BUNDLE_REC_END, NULL, 0) == BUNDLE_OK);
	/* nothing after END */
	check(bundle_writer_put(&w, BUNDLE_REC_CONTACT,
	    (const uint8_t *)contact_rec, 1) == BUNDLE_EFORMAT);
	bundle_writer_free(&w);

	/* again, cleanly (the failed put poisoned the writer) */
	begin(&w, to);
	check(bundle_writer_put(&w, BUNDLE_REC_END, NULL, 0) == BUNDLE_OK);
	check(bundle_writer_finish(&w, sign_a, hash) == BUNDLE_OK);
	bundle_writer_free(&w);
}

static void
test_round_trip_and_hash(void)
{
	struct bundle_header h;
	struct bundle_reader rd;
	struct xfer_hash xh;
	struct bundle_mem m;
	struct bundle_source src;
	uint8_t hash[32], hash2[32], whole[32];
	const uint8_t *p;
	size_t len;
	int type, final;

	make(&B, hash);
	xfer_hash_init(&xh);
	xfer_hash_update(&xh, file, file_len);
	xfer_hash_final(&xh, whole);
	check(memcmp(hash, whole, 32) == 0);	/* hash of the whole file */
	check(verify(file, file_len, NULL, hash2, &h) == BUNDLE_OK);
	check(memcmp(hash2, hash, 32) == 0);
	check(strcmp(h.sender, A.origin) == 0 &&
	    strcmp(h.recipient, B.origin) == 0);
	bundle_source_mem(&src, &m, file, file_len);
	check(bundle_reader_open(&rd, &src, &h, B.x_pk, B.x_sk) == BUNDLE_OK);
	check(bundle_reader_next(&rd, &type, &p, &len, &final) == BUNDLE_OK &&
	    type == BUNDLE_REC_CASE && !final && len == strlen(case_rec) &&
	    memcmp(p, case_rec, len) == 0);
	check(bundle_reader_next(&rd, &type, &p, &len, &final) == BUNDLE_OK &&
	    type == BUNDLE_REC_CONTACT && !final &&
	    memcmp(p, contact_rec, len) == 0);
	check(bundle_reader_next(&rd, &type, &p, &len, &final) == BUNDLE_OK &&
	    type == BUNDLE_REC_END && final && len == 0);
	check(bundle_reader_next(&rd, &type, &p, &len, &final) ==
	    BUNDLE_EFORMAT);
	bundle_reader_free(&rd);

	/* sealed to B: C's key does not open it */
	m.off = 0;
	check(bundle_reader_open(&rd, &src, &h, C.x_pk, C.x_sk) ==
	    BUNDLE_ESEAL);
	bundle_reader_free(&rd);
	/* nor does A's, the sender's own */
	check(bundle_reader_open(&rd, &src, &h, A.x_pk, A.x_sk) ==
	    BUNDLE_ESEAL);
	bundle_reader_free(&rd);
}

static void
test_every_byte(void)
{
	struct bundle_header h;
	uint8_t hash[32], bad[sizeof(file)];
	size_t refused = 0;

	make(&B, hash);
	for (size_t i = 0; i < file_len; i++) {
		memcpy(bad, file, file_len);
		bad[i] ^= 0x01;
		if (verify(bad, file_len, NULL, hash, &h) != BUNDLE_OK)
			refused++;
		else
			fail("byte %zu altered and still verified", i);
	}
	check(refused == file_len);
	/* cut anywhere, or one byte more */
	for (size_t n = 0; n < file_len; n += 7)
		check(verify(file, n, NULL, hash, &h) != BUNDLE_OK);
	memcpy(bad, file, file_len);
	bad[file_len] = 0;
	check(verify(bad, file_len + 1, NULL, hash, &h) == BUNDLE_EFORMAT);
	/* another sender's key, or an unknown origin */
	check(verify(file, file_len, C.pk, hash, &h) == BUNDLE_ESIG);
	A.origin = "corridor/not-a";
	check(verify(file, file_len, NULL, hash, &h) == BUNDLE_ESIG);
	A.origin = "corridor/a";
}

static void
test_order(void)
{
	struct bundle_order o;

	memset(&o, 0, sizeof(o));
	check(bundle_order_next(&o, BUNDLE_REC_CONTACT, 1, 0, 0) ==
	    BUNDLE_EFORMAT);		/* CASE first */
	memset(&o, 0, sizeof(o));
	check(bundle_order_next(&o, BUNDLE_REC_CASE, 1, 0, 0) == BUNDLE_OK);
	check(bundle_order_next(&o, BUNDLE_REC_CASE, 1, 0, 0) ==
	    BUNDLE_EFORMAT);		/* only once */
	memset(&o, 0, sizeof(o));
	check(bundle_order_next(&o, BUNDLE_REC_CASE, 1, 0, 0) == BUNDLE_OK);
	check(bundle_order_next(&o, BUNDLE_REC_DATA, 1, 0, 0) ==
	    BUNDLE_EFORMAT);		/* no attachment open */
	memset(&o, 0, sizeof(o));
	check(bundle_order_next(&o, BUNDLE_REC_CASE, 1, 0, 0) == BUNDLE_OK);
	check(bundle_order_next(&o, BUNDLE_REC_ATTACH, 1, 0, 0) ==
	    BUNDLE_EFORMAT);		/* empty attachment */
	memset(&o, 0, sizeof(o));
	check(bundle_order_next(&o, BUNDLE_REC_CASE, 1, 0, 0) == BUNDLE_OK);
	check(bundle_order_next(&o, BUNDLE_REC_ATTACH, 1, 0, 10) == BUNDLE_OK);
	check(bundle_order_next(&o, BUNDLE_REC_DATA, 11, 0, 0) ==
	    BUNDLE_EFORMAT);		/* past its size */
	memset(&o, 0, sizeof(o));
	check(bundle_order_next(&o, BUNDLE_REC_CASE, 1, 0, 0) == BUNDLE_OK);
	check(bundle_order_next(&o, BUNDLE_REC_ATTACH, 1, 0, 10) == BUNDLE_OK);
	check(bundle_order_next(&o, BUNDLE_REC_DATA, 4, 0, 0) == BUNDLE_OK);
	check(bundle_order_next(&o, BUNDLE_REC_END, 0, 1, 0) ==
	    BUNDLE_EFORMAT);		/* attachment cut short */
	memset(&o, 0, sizeof(o));
	check(bundle_order_next(&o, BUNDLE_REC_CASE, 1, 0, 0) == BUNDLE_OK);
	check(bundle_order_next(&o, BUNDLE_REC_END, 0, 0, 0) ==
	    BUNDLE_EFORMAT);		/* END must be FINAL */
	check(bundle_order_next(&o, BUNDLE_REC_CONTACT, 1, 1, 0) ==
	    BUNDLE_EFORMAT);		/* and only END is */
	check(bundle_order_next(&o, BUNDLE_REC_ATTACH, 1, 0, 4) == BUNDLE_OK);
	check(bundle_order_next(&o, BUNDLE_REC_DATA, 4, 0, 0) == BUNDLE_OK);
	check(bundle_order_next(&o, BUNDLE_REC_END, 0, 1, 0) == BUNDLE_OK);
	check(bundle_order_next(&o, BUNDLE_REC_END, 0, 1, 0) ==
	    BUNDLE_EFORMAT);		/* nothing after END */
	check(o.attachments == 1 && o.contacts == 0);
}

static void
test_fingerprint(void)
{
	char fa[XFER_FP_CHARS], fa2[XFER_FP_CHARS], fb[XFER_FP_CHARS];

	xfer_fingerprint(fa, A.pk);
	xfer_fingerprint(fa2, A.pk);
	xfer_fingerprint(fb, B.pk);
	check(strlen(fa) == XFER_FP_CHARS - 1);
	for (size_t i = 0; i < XFER_FP_CHARS - 1; i++)
		check(i % 6 == 5 ? fa[i] == ' ' : fa[i] >= '0' && fa[i] <= '9');
	check(strcmp(fa, fa2) == 0 && strcmp(fa, fb) != 0);
}

int
main(void)
{
	if (secmem_init() != 0)
		return 1;
	inst_init(&A, "corridor/a", 0x01);
	inst_init(&B, "corridor/b", 0x02);
	inst_init(&C, "corridor/c", 0x03);
	test_round_trip_and_hash();
	test_every_byte();
	test_order();
	test_fingerprint();
	return test_done("test_bundle");
}
