/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* skey: session-key boxes for secrets held between requests. */
#include <sodium.h>

#include "crypto/skey.h"

/* the layout's sizes are checked against libsodium in crypto/sizes.c */
#define NONCE_BYTES	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES

void
skey_new(uint8_t ks[SKEY_KEY_BYTES])
{
	crypto_aead_xchacha20poly1305_ietf_keygen(ks);
}

void
skey_seal(uint8_t box[SKEY_BOX_BYTES], const uint8_t ks[SKEY_KEY_BYTES],
    const uint8_t *ad, size_t ad_len, const uint8_t secret[SKEY_SECRET_BYTES])
{
	randombytes_buf(box, NONCE_BYTES);
	/* cannot fail for these sizes */
	(void)crypto_aead_xchacha20poly1305_ietf_encrypt(box + NONCE_BYTES,
	    NULL, secret, SKEY_SECRET_BYTES, ad, ad_len, NULL, box, ks);
}

int
skey_open(uint8_t secret[SKEY_SECRET_BYTES], const uint8_t ks[SKEY_KEY_BYTES],
    const uint8_t *ad, size_t ad_len, const uint8_t box[SKEY_BOX_BYTES])
{
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret, NULL, NULL,
	    box + NONCE_BYTES, SKEY_BOX_BYTES - NONCE_BYTES, ad, ad_len, box,
	    ks) != 0) {
		sodium_memzero(secret, SKEY_SECRET_BYTES);
		return -1;
	}
	return 0;
}
