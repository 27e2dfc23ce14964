/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* field: per-field authenticated encryption bound to its place. */
#include <sodium.h>

#include <stdio.h>

#include "crypto/field.h"

#define NONCE	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES

static int
make_ad(char *ad, size_t ad_max, size_t *ad_len, const char *table,
    const char *row_id, const char *field, uint32_t key_version)
{
	int n = snprintf(ad, ad_max, "corridor/v1|%s|%s|%s|%u", table, row_id,
	    field, (unsigned)key_version);

	if (n < 0 || (size_t)n >= ad_max)
		return -1;
	*ad_len = (size_t)n;
	return 0;
}

int
field_encrypt(uint8_t *out, size_t out_max, size_t *out_len,
    const uint8_t key[FIELD_KEY_BYTES], const char *table, const char *row_id,
    const char *field, uint32_t key_version, const void *pt, size_t pt_len)
{
	char ad[256];
	size_t ad_len;

	if (pt_len > SIZE_MAX - FIELD_OVERHEAD || out_max < pt_len + FIELD_OVERHEAD)
		return -1;
	if (make_ad(ad, sizeof(ad), &ad_len, table, row_id, field,
	    key_version) != 0)
		return -1;
	randombytes_buf(out, NONCE);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE, NULL, pt,
	    pt_len, (const uint8_t *)ad, ad_len, NULL, out, key) != 0)
		return -1;
	*out_len = pt_len + FIELD_OVERHEAD;
	return 0;
}

int
field_decrypt(void *out, size_t out_max, size_t *out_len,
    const uint8_t key[FIELD_KEY_BYTES], const char *table, const char *row_id,
    const char *field, uint32_t key_version, const uint8_t *ct, size_t ct_len)
{
	char ad[256];
	size_t ad_len;

	if (ct_len < FIELD_OVERHEAD || out_max < ct_len - FIELD_OVERHEAD)
		return -1;
	if (make_ad(ad, sizeof(ad), &ad_len, table, row_id, field,
	    key_version) != 0)
		return -1;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL,
	    ct + NONCE, ct_len - NONCE, (const uint8_t *)ad, ad_len, ct,
	    key) != 0) {
		sodium_memzero(out, ct_len - FIELD_OVERHEAD);
		return -1;
	}
	*out_len = ct_len - FIELD_OVERHEAD;
	return 0;
}
