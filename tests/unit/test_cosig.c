/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_cosig: witness cosignatures and the add-checkpoint request body
 * (crypto/cosig.h). The golden cosignature of docs/audit.md section 14.4
 * is reproduced byte for byte (Ed25519 is deterministic), and
 * tests/interop/audit_verify.py checks the same line independently. Then
 * every way a cosignature can fail to count: another body, another
 * witness's key, a truncated line, a timestamp above 2^63 - 1, the same
 * witness twice; and the request parser's bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crypto/cosig.h"
#include "crypto/encode.h"
#include "crypto/note.h"
#include "crypto/secmem.h"
#include "testutil.h"

/* docs/audit.md section 4.4: the one-entry log of the fuzz key */
static const char cp_note[] =
    "corridor.example/audit/fuzz\n1\n"
    "YVPMwQM2ZR3MOfVWeiZjfW5rHxaEO28RUQaoupjo3SU=\n\n"
    "\xe2\x80\x94 corridor.example/audit/fuzz CYhMyzRmXtZGG5ctp4CWG8R2np6dYDk"
    "LykJcpOk03BzwMsKG2Po1Z5yP0DV8HO9alWARlAYz7WB0Ozv0e8pObgI9pwA=\n";

#define WNAME	"witness.example/w1"
#define WTIME	1700000000u

/* docs/audit.md section 14.4 */
static const char golden_vkey[] =
    "witness.example/w1+df1c0a35+BIE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU";
static const char golden_line[] =
    "\xe2\x80\x94 witness.example/w1 3xwKNQAAAABlU/EATBp0S8/OQBBXnwSKXbp+KxT"
    "G4x+GUkv/Af/XWfeLUOLUrLkIlY2fBsaig/UlKc7Ew0Q+cv9fFN8aaJ7YlCH8Dg==\n";

static void
witness_key(struct note_vkey *vk, uint8_t sk[NOTE_SK_BYTES], uint8_t fill)
{
	uint8_t seed[NOTE_SEED_BYTES], pk[NOTE_PK_BYTES];
	char name[32];

	memset(seed, fill, sizeof(seed));
	note_keypair_from_seed(pk, sk, seed);
	snprintf(name, sizeof(name), "witness.example/w%u", (unsigned)fill - 1);
	if (note_vkey_init_alg(vk, name, strlen(name), NOTE_ALG_COSIG_V1, pk) !=
	    NOTE_OK)
		fail("vkey init");
}

static size_t
text_len(void)
{
	return cosig_note_text_len(cp_note, sizeof(cp_note) - 1);
}

static void
test_golden(void)
{
	struct note_vkey vk, parsed;
	uint8_t sk[NOTE_SK_BYTES];
	char line[COSIG_LINE_MAX_BYTES], text[NOTE_VKEY_MAX_BYTES];
	size_t len = 0;
	uint64_t ts = 0;

	witness_key(&vk, sk, 2);	/* seed 32 x 0x02, name ".../w1" */
	check(strcmp(vk.name, WNAME) == 0);
	check(note_vkey_format(text, sizeof(text), &vk) == NOTE_OK);
	if (strcmp(text, golden_vkey) != 0)
		fail("vkey: %s", text);
	check(note_vkey_parse_alg(&parsed, golden_vkey, strlen(golden_vkey),
	    NOTE_ALG_COSIG_V1) == NOTE_OK && note_vkey_equal(&parsed, &vk));
	/* a log key line is not a witness key, nor the reverse */
	check(note_vkey_parse(&parsed, golden_vkey, strlen(golden_vkey)) !=
	    NOTE_OK);
	check(text_len() == 75);
	check(cosig_sign(line, sizeof(line), &len, cp_note, text_len(), WTIME,
	    &vk, sk) == NOTE_OK);
	if (len != strlen(golden_line) || memcmp(line, golden_line, len) != 0)
		fail("cosignature: %.*s", (int)len, line);
	check(cosig_verify_line(&ts, golden_line, strlen(golden_line), cp_note,
	    text_len(), &vk) == NOTE_OK && ts == WTIME);
	/* a log key cannot make a cosignature */
	{
		struct note_vkey logk = vk;

		logk.alg = NOTE_ALG_ED25519;
		check(cosig_sign(line, sizeof(line), &len, cp_note, text_len(),
		    WTIME, &logk, sk) == NOTE_EFORMAT);
	}
	check(cosig_sign(line, 10, &len, cp_note, text_len(), WTIME, &vk, sk) ==
	    NOTE_ESPACE);
	check(cosig_sign(line, sizeof(line), &len, cp_note, text_len(),
	    (uint64_t)INT64_MAX + 1, &vk, sk) == NOTE_EFORMAT);
	secmem_wipe(sk, sizeof(sk));
}

static void
test_refused(void)
{
	struct note_vkey w1, w2;
	uint8_t sk1[NOTE_SK_BYTES], sk2[NOTE_SK_BYTES];
	char line[COSIG_LINE_MAX_BYTES], other[sizeof(cp_note)];
	char note[NOTE_MAX_BYTES], bad[COSIG_LINE_MAX_BYTES];
	size_t len = 0, n;
	unsigned valid, nbad;
	int have[2];
	uint64_t ts;
	struct note_vkey both[2];

	witness_key(&w1, sk1, 2);
	witness_key(&w2, sk2, 3);
	both[0] = w1;
	both[1] = w2;
	check(cosig_sign(line, sizeof(line), &len, cp_note, text_len(), WTIME,
	    &w1, sk1) == NOTE_OK);
	/* another witness's key: not this witness's line */
	check(cosig_verify_line(&ts, line, len, cp_note, text_len(), &w2) ==
	    NOTE_EUNSIGNED);
	/* over another body: the size changed */
	memcpy(other, cp_note, sizeof(cp_note));
	other[28] = '2';
	check(cosig_verify_line(&ts, line, len, other, text_len(), &w1) ==
	    NOTE_EBADSIG);
	/* a truncated line */
	check(cosig_verify_line(&ts, line, len - 6, cp_note, text_len(), &w1)
	    != NOTE_OK);
	/* a flipped timestamp byte */
	memcpy(bad, line, len);
	bad[len - 100] ^= 1;
	check(cosig_verify_line(&ts, bad, len, cp_note, text_len(), &w1) !=
	    NOTE_OK);

	/* the count: each witness once, another body counted as bad */
	n = sizeof(cp_note) - 1;
	memcpy(note, cp_note, n);
	memcpy(note + n, line, len);
	memcpy(note + n + len, line, len);	/* the same line twice */
	check(cosig_count(&valid, &nbad, have, note, n + 2 * len, both, 2) ==
	    NOTE_OK && valid == 1 && nbad == 0 && have[0] && !have[1]);
	check(cosig_sign(bad, sizeof(bad), &len, other, text_len(), WTIME, &w2,
	    sk2) == NOTE_OK);	/* w2 over another body */
	memcpy(note + n + 2 * strlen(line), bad, len);
	check(cosig_count(&valid, &nbad, have, note, n + 2 * strlen(line) + len,
	    both, 2) == NOTE_OK && valid == 1 && nbad == 1 && !have[1]);
	/* a truncated note */
	check(cosig_count(&valid, &nbad, have, note, n + 2 * strlen(line) - 5,
	    both, 2) == NOTE_EFORMAT);
	check(cosig_count(&valid, &nbad, have, note, 40, both, 2) ==
	    NOTE_EFORMAT);
	secmem_wipe(sk1, sizeof(sk1));
	secmem_wipe(sk2, sizeof(sk2));
}

static void
test_request(void)
{
	static char body[COSIG_REQUEST_MAX_BYTES + 64];
	struct cosig_request rq;
	uint8_t proof[64 * 32];
	size_t len = 0, n = sizeof(cp_note) - 1;
	static const char *const bad[] = {
		"old 01\n\n", "old -1\n\n", "old 1\n", "old  1\n\n",
		"old 1\nAAAA\n\n", "old 9223372036854775808\n\n",
		"olD 1\n\n", "old 1\r\n\r\n",
		"old 1\nYVPMwQM2ZR3MOfVWeiZjfW5rHxaEO28RUQaoupjo3SV=\n\n",
	};

	for (size_t i = 0; i < sizeof(proof); i++)
		proof[i] = (uint8_t)i;
	check(cosig_request_format(body, sizeof(body), &len, 7, proof, 3 * 32,
	    cp_note, n) == 0);
	check(cosig_request_parse(&rq, body, len) == 0 && rq.old_size == 7 &&
	    rq.proof_len == 96 && memcmp(rq.proof, proof, 96) == 0 &&
	    rq.note_len == n && memcmp(rq.note, cp_note, n) == 0);
	/* 63 lines are the most; 64 are refused both ways */
	check(cosig_request_format(body, sizeof(body), &len, 7, proof, 63 * 32,
	    cp_note, n) == 0 && cosig_request_parse(&rq, body, len) == 0);
	check(cosig_request_format(body, sizeof(body), &len, 7, proof, 64 * 32,
	    cp_note, n) != 0);
	{
		char *p = body;
		size_t off;

		off = (size_t)snprintf(p, sizeof(body), "old 7\n");
		for (int i = 0; i < 64; i++)
			off += (size_t)snprintf(p + off, sizeof(body) - off,
			    "YVPMwQM2ZR3MOfVWeiZjfW5rHxaEO28RUQaoupjo3SU=\n");
		p[off++] = '\n';
		memcpy(p + off, cp_note, n);
		check(cosig_request_parse(&rq, body, off + n) != 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t bl = strlen(bad[i]);

		memcpy(body, bad[i], bl);
		memcpy(body + bl, cp_note, n);
		if (cosig_request_parse(&rq, body, bl + n) == 0)
			fail("accepted: %s", bad[i]);
	}
	/* a truncated note, and none */
	check(cosig_request_format(body, sizeof(body), &len, 0, NULL, 0,
	    cp_note, n) == 0);
	check(cosig_request_parse(&rq, body, len - 1) != 0);
	check(cosig_request_parse(&rq, body, 7) != 0);
	check(cosig_request_parse(&rq, body, len) == 0 && rq.proof_len == 0);
}

int
main(void)
{
	if (secmem_init() != 0)
		return 1;
	test_golden();
	test_refused();
	test_request();
	return test_done("test_cosig");
}
