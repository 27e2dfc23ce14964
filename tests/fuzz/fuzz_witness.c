/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_witness: the witness's request path without its disk, run on any
 * bytes a log (or anyone) can POST to add-checkpoint: the body parser
 * (crypto/cosig.c), then what `corridor witness serve` does with a parsed
 * body: the log's signature against the pinned fuzz key, the consistency
 * proof against a fixed held state, and the cosignature count of the note
 * against a fixed witness key. Invariants: a body that parses formats
 * back to exactly the input; the proof is whole hashes, at most 63; the
 * note lies inside the body; a cosignature this target makes over a
 * parsed note verifies and counts once, and never counts on a note whose
 * text differs.
 */
#include "fuzz_common.h"

#include "crypto/cosig.h"
#include "crypto/merkle.h"

static struct note_vkey log_vk, wit_vk;
static uint8_t wit_sk[NOTE_SK_BYTES];
static int ready;

static void
setup(void)
{
	uint8_t sk[NOTE_SK_BYTES], seed[NOTE_SEED_BYTES], pk[NOTE_PK_BYTES];

	fuzz_key(&log_vk, sk);
	secmem_wipe(sk, sizeof(sk));
	memset(seed, 0x02, sizeof(seed));
	note_keypair_from_seed(pk, wit_sk, seed);
	if (note_vkey_init_alg(&wit_vk, "witness.example/w1", 18,
	    NOTE_ALG_COSIG_V1, pk) != NOTE_OK)
		abort();
	ready = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char again[COSIG_REQUEST_MAX_BYTES];
	static char note[NOTE_MAX_BYTES + COSIG_LINE_MAX_BYTES];
	const char *body = (const char *)data;
	struct cosig_request rq;
	struct note_checkpoint cp;
	uint8_t held_root[MERKLE_HASH_BYTES];
	char line[COSIG_LINE_MAX_BYTES];
	size_t len = 0, line_len = 0, text_len;
	unsigned valid, bad;
	uint64_t ts;
	int have[1];

	if (!ready)
		setup();
	if (cosig_request_parse(&rq, body, size) != 0)
		return 0;
	if (rq.proof_len % MERKLE_HASH_BYTES != 0 ||
	    rq.proof_len > COSIG_PROOF_MAX_HASHES * MERKLE_HASH_BYTES ||
	    rq.note < body || rq.note + rq.note_len != body + size)
		abort();
	if (cosig_request_format(again, sizeof(again), &len, rq.old_size,
	    rq.proof, rq.proof_len, rq.note, rq.note_len) != 0 ||
	    len != size || memcmp(again, body, size) != 0)
		abort();
	/* the witness's checks, against a held state of size old_size */
	if (note_checkpoint_verify(&cp, rq.note, rq.note_len, &log_vk) ==
	    NOTE_OK && (cp.origin_len != strlen(FUZZ_ORIGIN) ||
	    memcmp(cp.origin, FUZZ_ORIGIN, cp.origin_len) != 0))
		abort();	/* signed by the pinned key: its origin */
	if (note_checkpoint_parse(&cp, rq.note, rq.note_len) != NOTE_OK)
		abort();	/* the request parser checked the framing */
	memset(held_root, 0x5a, sizeof(held_root));
	/* the same size with another root never verifies */
	if (rq.old_size == cp.size && memcmp(held_root, cp.root,
	    sizeof(held_root)) != 0 && merkle_consistency_verify(rq.old_size,
	    cp.size, held_root, cp.root, rq.proof, rq.proof_len) == 0)
		abort();
	if (cosig_count(&valid, &bad, have, rq.note, rq.note_len, &wit_vk, 1)
	    != NOTE_OK)
		abort();
	/* cosign it, append, count: exactly our witness, once */
	text_len = cosig_note_text_len(rq.note, rq.note_len);
	if (text_len == 0 || cosig_sign(line, sizeof(line), &line_len,
	    rq.note, text_len, 1700000000u, &wit_vk, wit_sk) != NOTE_OK)
		abort();
	memcpy(note, rq.note, rq.note_len);
	memcpy(note + rq.note_len, line, line_len);
	if (rq.note_len + line_len <= NOTE_MAX_BYTES &&
	    cosig_count(&valid, &bad, have, note, rq.note_len + line_len,
	    &wit_vk, 1) == NOTE_OK && (valid != 1 || !have[0]))
		abort();
	/* and ours does not hold over another text: change the size line's
	 * first digit (lines already on the note may, for that text) */
	note[cp.origin_len + 1] = note[cp.origin_len + 1] == '1' ? '2' : '1';
	if (cosig_verify_line(&ts, line, line_len, note, text_len, &wit_vk) !=
	    NOTE_EBADSIG)
		abort();
	return 0;
}
