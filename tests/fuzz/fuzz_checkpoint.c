/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_checkpoint: the signed-note and checkpoint parsers, signature
 * verification against the pinned key, and the verifier-key parser.
 * Invariants: a note that verifies also parses to the same checkpoint; a
 * parsed verifier key formats to text that parses back to the same key.
 */
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct note_vkey vk;
	static int ready;
	struct note_checkpoint parsed, verified;
	struct note_vkey k, k2;
	char text[NOTE_VKEY_MAX_BYTES];
	const char *s = (const char *)data;
	size_t text_len;
	int p, v;

	if (!ready) {
		uint8_t sk[NOTE_SK_BYTES];

		fuzz_key(&vk, sk);
		secmem_wipe(sk, sizeof(sk));
		ready = 1;
	}
	p = note_checkpoint_parse(&parsed, s, size);
	v = note_checkpoint_verify(&verified, s, size, &vk);
	if (v == NOTE_OK && (p != NOTE_OK || parsed.size != verified.size ||
	    memcmp(parsed.root, verified.root, sizeof(parsed.root)) != 0))
		abort();
	/* a verified checkpoint is a note that opens */
	if (v == NOTE_OK && note_open(&text_len, s, size, &vk) != NOTE_OK)
		abort();

	if (note_vkey_parse(&k, s, size) == NOTE_OK) {
		if (note_vkey_format(text, sizeof(text), &k) != NOTE_OK ||
		    note_vkey_parse(&k2, text, strlen(text)) != NOTE_OK ||
		    !note_vkey_equal(&k, &k2))
			abort();
	}
	return 0;
}
