/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* seal: sealed-box key wrapping with ids inside the plaintext. */
#include <sodium.h>

#include <stdio.h>
#include <string.h>

#include "crypto/seal.h"

#define SEAL_PT_MAX	(SEAL_BLOB_MAX - crypto_box_SEALBYTES)

static int
make_prefix(char *p, size_t p_len, size_t *out_len, const char *kind,
    const char *object_id, const char *recipient_id)
{
	int n = snprintf(p, p_len, "corridor/seal/v1|%s|%s|%s|", kind,
	    object_id, recipient_id);

	if (n < 0 || (size_t)n + SEAL_KEY_BYTES > p_len)
		return -1;
	*out_len = (size_t)n;
	return 0;
}

void
seal_new_key(uint8_t key[SEAL_KEY_BYTES])
{
	randombytes_buf(key, SEAL_KEY_BYTES);
}

int
seal_key(uint8_t *out, size_t out_max, size_t *out_len, const char *kind,
    const char *object_id, const char *recipient_id,
    const uint8_t key[SEAL_KEY_BYTES], const uint8_t pk[32])
{
	uint8_t pt[SEAL_PT_MAX];
	size_t pre;
	int rc = -1;

	if (make_prefix((char *)pt, sizeof(pt), &pre, kind, object_id,
	    recipient_id) != 0)
		return -1;
	if (out_max < pre + SEAL_KEY_BYTES + crypto_box_SEALBYTES)
		goto done;
	memcpy(pt + pre, key, SEAL_KEY_BYTES);
	if (crypto_box_seal(out, pt, pre + SEAL_KEY_BYTES, pk) != 0)
		goto done;
	*out_len = pre + SEAL_KEY_BYTES + crypto_box_SEALBYTES;
	rc = 0;
done:
	sodium_memzero(pt, sizeof(pt));
	return rc;
}

int
seal_open(uint8_t key[SEAL_KEY_BYTES], const char *kind, const char *object_id,
    const char *recipient_id, const uint8_t pk[32], const uint8_t sk[32],
    const uint8_t *blob, size_t blob_len)
{
	uint8_t pt[SEAL_PT_MAX];
	char want[SEAL_PT_MAX];
	size_t pre;
	int rc = -1;

	if (make_prefix(want, sizeof(want), &pre, kind, object_id,
	    recipient_id) != 0)
		goto done;
	if (blob_len != pre + SEAL_KEY_BYTES + crypto_box_SEALBYTES)
		goto done;
	if (crypto_box_seal_open(pt, blob, blob_len, pk, sk) != 0)
		goto done;
	/* the ids are not secret; the key is never compared */
	if (memcmp(pt, want, pre) != 0)
		goto done;
	memcpy(key, pt + pre, SEAL_KEY_BYTES);
	rc = 0;
done:
	sodium_memzero(pt, sizeof(pt));
	if (rc != 0)
		sodium_memzero(key, SEAL_KEY_BYTES);
	return rc;
}
