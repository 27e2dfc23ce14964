/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* token: keyed hashing of bearer tokens, and random ids. */
#include <sodium.h>

#include "crypto/token.h"

void
token_key_new(uint8_t key[TOKEN_KEY_BYTES])
{
	crypto_generichash_keygen(key);
}

void
token_hash(uint8_t out[TOKEN_HASH_BYTES], const uint8_t key[TOKEN_KEY_BYTES],
    const uint8_t *tok, size_t tok_len)
{
	crypto_generichash(out, TOKEN_HASH_BYTES, tok, tok_len, key,
	    TOKEN_KEY_BYTES);
}

void
token_new_id(char out[ID_CHARS + 1])
{
	uint8_t raw[16];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, 23, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
