/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_common: the fixed audit key every fuzz target pins, so that the
 * committed seed corpus (made by audit_mkexport with the same seed) is
 * validly signed and the fuzzer starts deep inside the verifier.
 */
#ifndef CORRIDOR_FUZZ_COMMON_H
#define CORRIDOR_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/note.h"
#include "crypto/secmem.h"

#define FUZZ_ORIGIN	"corridor.example/audit/fuzz"
#define FUZZ_SEED_BYTE	0x01	/* seed = 32 bytes of this value */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The pinned key (and, for the generator, the signing key). Aborts if
 * libsodium cannot start: a fuzz run without it would test nothing. */
static inline void
fuzz_key(struct note_vkey *vk, uint8_t sk[NOTE_SK_BYTES])
{
	uint8_t seed[NOTE_SEED_BYTES], pk[NOTE_PK_BYTES];

	if (secmem_init() != 0)
		abort();
	memset(seed, FUZZ_SEED_BYTE, sizeof(seed));
	note_keypair_from_seed(pk, sk, seed);
	if (note_vkey_init(vk, FUZZ_ORIGIN, strlen(FUZZ_ORIGIN), pk) !=
	    NOTE_OK)
		abort();
}

#endif
