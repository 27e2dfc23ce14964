/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_bundle: the fixed instance keys of the bundle fuzz target and its
 * seed generator (public test keys: sender seed 32 x 0x01, recipient seed
 * 32 x 0x02), so that the committed seeds verify and open.
 */
#ifndef CORRIDOR_FUZZ_BUNDLE_H
#define CORRIDOR_FUZZ_BUNDLE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/note.h"
#include "crypto/secmem.h"
#include "crypto/xfer.h"

#define FUZZ_BUNDLE_SENDER	"corridor/fuzz-sender"
#define FUZZ_BUNDLE_RECIPIENT	"corridor/fuzz-recipient"
#define FUZZ_BUNDLE_ID_HEX	"00112233445566778899aabbccddeeff"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_bundle_keys {
	uint8_t	sender_pk[NOTE_PK_BYTES];
	uint8_t	sender_sk[NOTE_SK_BYTES];
	uint8_t	recipient_pk[NOTE_PK_BYTES];
	uint8_t	recipient_sk[NOTE_SK_BYTES];
	uint8_t	recipient_x_pk[XFER_X_PK_BYTES];
	uint8_t	recipient_x_sk[XFER_X_SK_BYTES];
};

static inline void
fuzz_bundle_keys(struct fuzz_bundle_keys *k)
{
	uint8_t seed[NOTE_SEED_BYTES];

	if (secmem_init() != 0)
		abort();
	memset(seed, 0x01, sizeof(seed));
	note_keypair_from_seed(k->sender_pk, k->sender_sk, seed);
	memset(seed, 0x02, sizeof(seed));
	note_keypair_from_seed(k->recipient_pk, k->recipient_sk, seed);
	if (xfer_x25519_pk(k->recipient_x_pk, k->recipient_pk) != 0 ||
	    xfer_x25519_sk(k->recipient_x_sk, k->recipient_sk) != 0)
		abort();
}

#endif
