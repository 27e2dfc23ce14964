/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * blind: keyed BLAKE2b blind indexes (see blind.h). The domain prefix
 * separates the kinds and the format version.
 */
#include <sodium.h>

#include <string.h>

#include "crypto/blind.h"

_Static_assert(BLIND_KEY_BYTES == crypto_generichash_KEYBYTES,
    "K_idx is a BLAKE2b key");
_Static_assert(BLIND_HASH_BYTES >= crypto_generichash_BYTES_MIN &&
    BLIND_HASH_BYTES <= crypto_generichash_BYTES_MAX,
    "a blind index is a BLAKE2b output");

void
blind_new_key(uint8_t key[BLIND_KEY_BYTES])
{
	crypto_generichash_keygen(key);
}

int
blind_hash(uint8_t out[BLIND_HASH_BYTES], const uint8_t key[BLIND_KEY_BYTES],
    int kind, const char *v, size_t v_len)
{
	static const char *const prefix[] = {
		[BLIND_CHECK] = "corridor/blind/v1|check|",
		[BLIND_PHONE] = "corridor/blind/v1|phone|",
		[BLIND_NAME] = "corridor/blind/v1|name|",
	};
	crypto_generichash_state st;

	if (kind < BLIND_CHECK || kind > BLIND_NAME)
		return -1;
	crypto_generichash_init(&st, key, BLIND_KEY_BYTES, BLIND_HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)prefix[kind],
	    strlen(prefix[kind]));
	if (v_len > 0)
		crypto_generichash_update(&st, (const unsigned char *)v, v_len);
	crypto_generichash_final(&st, out, BLIND_HASH_BYTES);
	sodium_memzero(&st, sizeof(st));	/* holds the keyed state */
	return 0;
}
