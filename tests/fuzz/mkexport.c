/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_mkexport: write a genuine audit export (and its verifier key, and
 * single checkpoints) signed with the fixed fuzz key. It makes the seed
 * corpora under corpus/ and the large exports used to measure
 * `corridor audit verify` (docs/audit.md, "Performance"). Test tooling
 * only: the key is public.
 *
 *   audit_mkexport export N EVERY EXPORT [PUBKEY]
 *   audit_mkexport checkpoint N NOTE
 *   audit_mkexport rotated N R EVERY EXPORT
 *
 * "rotated" hands the log over at entry R from the fuzz key to a second
 * fixed key (seed = 32 bytes of 0x02), as `corridor audit rotate-key`
 * does: the old key seals the rotation with a checkpoint right after it,
 * then the new key signs one of the same size and every later one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/merkle.h"
#include "fuzz_common.h"
#include "server/audit/audit_export.h"

static int
file_sink(void *arg, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : -1;
}

/* A varied, deterministic entry; times never decrease. */
static void
make_entry(struct audit_entry *e, uint64_t seq)
{
	int n;

	memset(e, 0, sizeof(*e));
	e->seq = seq;
	e->time_ms = 1718000000000ull + seq * 37;
	n = snprintf(e->actor_id, sizeof(e->actor_id), "user%07llu",
	    (unsigned long long)(seq % 1000));
	if (seq % 11 == 0)
		e->actor_id[0] = '\0';		/* anonymous */
	e->role = seq % 11 == 0 ? AUDIT_ROLE_ANONYMOUS :
	    (uint8_t)(1 + seq % 4);
	/* 1..28: the corpus as before attachments */
	e->action = (uint16_t)(1 + seq % AUDIT_SESSION_CONFIRM);
	if (e->action == AUDIT_AUDIT_KEY_ROTATE)	/* means a handover */
		e->action = AUDIT_AUDIT_READ;
	e->object_type = (uint8_t)(seq % (AUDIT_OBJECT_MAX + 1));
	if (e->object_type != AUDIT_OBJ_NONE)
		n |= snprintf(e->object_id, sizeof(e->object_id),
		    "case%018llu", (unsigned long long)(seq * 7919 % 100003));
	e->outcome = (uint8_t)(1 + seq % 3);
	n |= snprintf(e->request_id, sizeof(e->request_id), "req%019llu",
	    (unsigned long long)seq);
	if (n < 0)
		abort();
	if (seq % 13 == 5) {
		e->has_reason = 1;
		memset(e->reason_hash, (int)(seq & 0xff), AUDIT_HASH_BYTES);
	}
}

static int
checkpoint(char *note, size_t *len, const struct merkle_frontier *f,
    const uint8_t sk[NOTE_SK_BYTES])
{
	struct note_checkpoint cp;

	memset(&cp, 0, sizeof(cp));
	memcpy(cp.origin, FUZZ_ORIGIN, strlen(FUZZ_ORIGIN));
	cp.origin_len = strlen(FUZZ_ORIGIN);
	cp.size = f->size;
	merkle_frontier_root(f, cp.root);
	return note_checkpoint_sign(note, NOTE_MAX_BYTES, len, &cp, sk);
}

/* Stream n entries through the frontier (and the writer, if w). With
 * rot_at < n, entry rot_at hands over from sk to sk2 (public key pk2). */
static int
generate_rotated(uint64_t n, uint64_t every, struct audit_export_writer *w,
    struct merkle_frontier *f, const uint8_t sk[NOTE_SK_BYTES],
    uint64_t rot_at, const uint8_t sk2[NOTE_SK_BYTES],
    const uint8_t pk2[NOTE_PK_BYTES]);

static int
generate(uint64_t n, uint64_t every, struct audit_export_writer *w,
    struct merkle_frontier *f, const uint8_t sk[NOTE_SK_BYTES])
{
	return generate_rotated(n, every, w, f, sk, UINT64_MAX, NULL, NULL);
}

static int
generate_rotated(uint64_t n, uint64_t every, struct audit_export_writer *w,
    struct merkle_frontier *f, const uint8_t sk[NOTE_SK_BYTES],
    uint64_t rot_at, const uint8_t sk2[NOTE_SK_BYTES],
    const uint8_t pk2[NOTE_PK_BYTES])
{
	struct audit_entry e;
	uint8_t enc[AUDIT_ENTRY_MAX], leaf[MERKLE_HASH_BYTES];
	char note[NOTE_MAX_BYTES];
	size_t len = 0, note_len = 0;

	merkle_frontier_init(f);
	if (w != NULL && (checkpoint(note, &note_len, f, sk) != NOTE_OK ||
	    audit_export_put_checkpoint(w, note, note_len) != 0))
		return -1;
	for (uint64_t s = 0; s < n; s++) {
		make_entry(&e, s);
		if (s == rot_at) {
			uint8_t pk[NOTE_PK_BYTES];

			memcpy(pk, sk + NOTE_SEED_BYTES, sizeof(pk));
			e.action = AUDIT_AUDIT_KEY_ROTATE;
			e.outcome = AUDIT_ALLOWED;
			e.has_reason = 0;
			e.extra_len = AUDIT_ROTATE_EXTRA_BYTES;
			audit_entry_rotation_extra(e.extra, pk, pk2);
		}
		if (audit_entry_encode(enc, sizeof(enc), &len, &e) != 0)
			return -1;
		merkle_leaf_hash(leaf, enc, len);
		if (merkle_frontier_append(f, leaf) != 0)
			return -1;
		if (w == NULL)
			continue;
		if (audit_export_put_entry(w, enc, len) != 0)
			return -1;
		if (s == rot_at) {
			/* the seal by the old key, then the new key's */
			if (checkpoint(note, &note_len, f, sk) != NOTE_OK ||
			    audit_export_put_checkpoint(w, note, note_len) != 0)
				return -1;
			sk = sk2;
			if (checkpoint(note, &note_len, f, sk) != NOTE_OK ||
			    audit_export_put_checkpoint(w, note, note_len) != 0)
				return -1;
			continue;
		}
		if ((s + 1) % every == 0 || s + 1 == n) {
			if (checkpoint(note, &note_len, f, sk) != NOTE_OK ||
			    audit_export_put_checkpoint(w, note, note_len) != 0)
				return -1;
		}
	}
	return 0;
}

static int
write_all(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(buf, 1, len, f) != len) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static struct audit_export_writer w;
	struct merkle_frontier fr;
	struct note_vkey vk;
	uint8_t sk[NOTE_SK_BYTES];
	char note[NOTE_MAX_BYTES], vkey[NOTE_VKEY_MAX_BYTES];
	size_t note_len = 0;
	uint64_t n, every;
	FILE *f;
	int rc = 1;

	fuzz_key(&vk, sk);
	if (argc >= 5 && strcmp(argv[1], "export") == 0) {
		n = strtoull(argv[2], NULL, 10);
		every = strtoull(argv[3], NULL, 10);
		if (every == 0 || (f = fopen(argv[4], "wb")) == NULL)
			goto out;
		if (audit_export_begin(&w, file_sink, f, &vk) != 0 ||
		    generate(n, every, &w, &fr, sk) != 0 ||
		    audit_export_finish(&w) != 0) {
			fclose(f);
			goto out;
		}
		if (fclose(f) != 0)
			goto out;
		if (argc >= 6) {
			char line[NOTE_VKEY_MAX_BYTES + 1];
			int ln;

			if (note_vkey_format(vkey, sizeof(vkey), &vk) != 0)
				goto out;
			ln = snprintf(line, sizeof(line), "%s\n", vkey);
			if (ln < 0 || (size_t)ln >= sizeof(line) ||
			    write_all(argv[5], line, (size_t)ln) != 0)
				goto out;
		}
		rc = 0;
	} else if (argc == 4 && strcmp(argv[1], "checkpoint") == 0) {
		n = strtoull(argv[2], NULL, 10);
		if (generate(n, 1, NULL, &fr, sk) != 0 ||
		    checkpoint(note, &note_len, &fr, sk) != NOTE_OK ||
		    write_all(argv[3], note, note_len) != 0)
			goto out;
		rc = 0;
	} else if (argc == 6 && strcmp(argv[1], "rotated") == 0) {
		uint8_t seed[NOTE_SEED_BYTES], pk2[NOTE_PK_BYTES];
		uint8_t sk2[NOTE_SK_BYTES];

		memset(seed, 0x02, sizeof(seed));
		note_keypair_from_seed(pk2, sk2, seed);
		n = strtoull(argv[2], NULL, 10);
		every = strtoull(argv[4], NULL, 10);
		if (every == 0 || (f = fopen(argv[5], "wb")) == NULL)
			goto out;
		if (audit_export_begin(&w, file_sink, f, &vk) != 0 ||
		    generate_rotated(n, every, &w, &fr, sk,
		    strtoull(argv[3], NULL, 10), sk2, pk2) != 0 ||
		    audit_export_finish(&w) != 0) {
			fclose(f);
			goto out;
		}
		if (fclose(f) != 0)
			goto out;
		secmem_wipe(sk2, sizeof(sk2));
		rc = 0;
	} else {
		fprintf(stderr, "usage: audit_mkexport export N EVERY EXPORT "
		    "[PUBKEY]\n       audit_mkexport checkpoint N NOTE\n"
		    "       audit_mkexport rotated N R EVERY EXPORT\n");
		rc = 2;
	}
out:
	if (rc == 1)
		fprintf(stderr, "audit_mkexport: failed\n");
	secmem_wipe(sk, sizeof(sk));
	return rc;
}
