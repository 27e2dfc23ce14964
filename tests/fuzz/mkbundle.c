/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_bundle_gen: write the seed corpus of fuzz_bundle into DIR: genuine
 * bundles signed and sealed with the fixed public test keys of
 * fuzz_bundle.h (mode 0), the same records in plaintext (mode 1) and a
 * header (mode 2). Test tooling only: the keys are public.
 *
 *   fuzz_bundle_gen DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_bundle.h"
#include "server/core/bundle.h"

static struct fuzz_bundle_keys K;

struct buf {
	uint8_t	*p;
	size_t	 len, cap;
};

static int
put(void *arg, const uint8_t *p, size_t len)
{
	struct buf *b = arg;

	if (b->len + len > b->cap) {
		size_t cap = (b->len + len) * 2;
		uint8_t *np = realloc(b->p, cap);

		if (np == NULL)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	return 0;
}

static int
sign(uint8_t sig[XFER_SIG_BYTES], const uint8_t digest[XFER_HASH_BYTES])
{
	return xfer_sign(sig, digest, K.sender_sk);
}

static void
write_file(const char *dir, const char *name, uint8_t mode,
    const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(&mode, 1, 1, f) != 1 ||
	    (len > 0 && fwrite(p, 1, len, f) != len) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* The records of a case with n contacts and attachments of the sizes in
 * att (0-terminated), for bundle id_hex, through emit. */
static void
records(const char *id_hex, unsigned n, const unsigned *att,
    void (*emit)(void *, int, const uint8_t *, size_t), void *arg)
{
	char rec[2048];
	unsigned na = 0;
	uint8_t data[4096];
	int len;

	while (att[na] != 0)
		na++;
	len = snprintf(rec, sizeof(rec), "{\"format\":\"corridor-transfer/1\","
	    "\"bundle_id\":\"%s\",\"origin\":\"%s\",\"recipient\":\"%s\","
	    "\"codename\":\"amber-heron-7\",\"audit\":{\"size\":42,\"root\":"
	    "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"},\"sent_at\":"
	    "1767225600,\"reason\":\"resettlement\",\"case\":{\"status\":"
	    "\"verified\",\"risk\":\"high\",\"region\":\"Grozny\","
	    "\"household_size\":2,\"created_at\":1767000000,\"person\":"
	    "{\"name\":\"Test\",\"aliases\":[\"T\"],\"age\":30},\"notes\":"
	    "\"n\\nm\"},\"contacts\":%u,\"attachments\":%u}", id_hex,
	    FUZZ_BUNDLE_SENDER, FUZZ_BUNDLE_RECIPIENT, n, na);
	emit(arg, BUNDLE_REC_CASE, (const uint8_t *)rec, (size_t)len);
	for (unsigned i = 0; i < n; i++) {
		len = snprintf(rec, sizeof(rec), "{\"created_at\":1767000%03u,"
		    "\"entry\":{\"at\":1767000000,\"channel\":\"signal\","
		    "\"summary\":\"s%u\",\"next_steps\":%s}}", i, i,
		    i % 2 ? "null" : "\"call\"");
		emit(arg, BUNDLE_REC_CONTACT, (const uint8_t *)rec, (size_t)len);
	}
	memset(data, 'x', sizeof(data));
	for (unsigned i = 0; i < na; i++) {
		len = snprintf(rec, sizeof(rec), "{\"filename\":\"f%u.txt\","
		    "\"media_type\":\"text/plain\",\"size\":%u,\"created_at\":"
		    "1767000000}", i, att[i]);
		emit(arg, BUNDLE_REC_ATTACH, (const uint8_t *)rec, (size_t)len);
		for (unsigned off = 0; off < att[i]; off += sizeof(data)) {
			unsigned k = att[i] - off < sizeof(data) ?
			    att[i] - off : (unsigned)sizeof(data);

			emit(arg, BUNDLE_REC_DATA, data, k);
		}
	}
	emit(arg, BUNDLE_REC_END, NULL, 0);
}

static void
emit_bundle(void *arg, int type, const uint8_t *p, size_t len)
{
	if (bundle_writer_put(arg, type, p, len) != BUNDLE_OK)
		abort();
}

static void
emit_plain(void *arg, int type, const uint8_t *p, size_t len)
{
	uint8_t hdr[3] = { (uint8_t)type, (uint8_t)(len >> 8), (uint8_t)len };

	if (put(arg, hdr, 3) != 0 || (len > 0 && put(arg, p, len) != 0))
		abort();
}

static int
key_of(void *arg, const char *origin, uint8_t pk[XFER_ED_PK_BYTES])
{
	(void)arg;
	if (strcmp(origin, FUZZ_BUNDLE_SENDER) != 0)
		return -1;
	memcpy(pk, K.sender_pk, XFER_ED_PK_BYTES);
	return 0;
}

/* The seed must reach the end in the target: verify, open, read every
 * record up to FINAL. Returns the number of records. */
static unsigned
check(const uint8_t *p, size_t len)
{
	struct bundle_mem m;
	struct bundle_source src;
	struct bundle_header h;
	struct bundle_reader rd;
	uint8_t hash[XFER_HASH_BYTES];
	const uint8_t *rp;
	size_t rl;
	unsigned n = 0;
	int type, final = 0;

	bundle_source_mem(&src, &m, p, len);
	if (bundle_verify(&src, &h, key_of, NULL, hash) != BUNDLE_OK ||
	    bundle_reader_open(&rd, &src, &h, K.recipient_x_pk,
	    K.recipient_x_sk) != BUNDLE_OK)
		abort();
	while (!final) {
		if (bundle_reader_next(&rd, &type, &rp, &rl, &final) !=
		    BUNDLE_OK)
			abort();
		n++;
	}
	bundle_reader_free(&rd);
	return n;
}

static void
one(const char *dir, const char *name, unsigned n, const unsigned *att)
{
	struct bundle_writer w;
	struct buf b = { NULL, 0, 0 };
	uint8_t hash[XFER_HASH_BYTES];
	char id_hex[2 * BUNDLE_ID_BYTES + 1], file[256];
	struct bundle_header h;

	if (bundle_writer_begin(&w, put, &b, FUZZ_BUNDLE_SENDER,
	    FUZZ_BUNDLE_RECIPIENT, K.recipient_pk) != BUNDLE_OK ||
	    bundle_header_parse(&h, b.p, b.len) != BUNDLE_OK)
		abort();
	memcpy(id_hex, h.id_hex, sizeof(id_hex));
	records(id_hex, n, att, emit_bundle, &w);
	if (bundle_writer_finish(&w, sign, hash) != BUNDLE_OK)
		abort();
	bundle_writer_free(&w);
	printf("%s: %zu bytes, %u records\n", name, b.len, check(b.p, b.len));
	snprintf(file, sizeof(file), "bundle-%s", name);
	write_file(dir, file, 0, b.p, b.len);
	snprintf(file, sizeof(file), "header-%s", name);
	write_file(dir, file, 2, b.p, h.len);
	/* one byte altered, and cut short: refused, by the signature */
	b.p[b.len / 2] ^= 0x01;
	snprintf(file, sizeof(file), "altered-%s", name);
	write_file(dir, file, 0, b.p, b.len);
	snprintf(file, sizeof(file), "cut-%s", name);
	write_file(dir, file, 0, b.p, b.len - 1);
	b.len = 0;
	records(FUZZ_BUNDLE_ID_HEX, n, att, emit_plain, &b);
	snprintf(file, sizeof(file), "plain-%s", name);
	write_file(dir, file, 1, b.p, b.len);
	free(b.p);
}

int
main(int argc, char **argv)
{
	static const unsigned none[] = { 0 };
	static const unsigned some[] = { 100, 9000, 1, 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_bundle_gen DIR\n");
		return 2;
	}
	fuzz_bundle_keys(&K);
	one(argv[1], "empty", 0, none);
	one(argv[1], "full", 3, some);
	return 0;
}
