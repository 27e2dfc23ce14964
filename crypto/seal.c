/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* seal: sealed-box key wrapping with ids inside the plaintext. */
#include <sodium.h>

#include <stdio.h>
#include <string.h>

#include "crypto/seal.h"

#define SEAL_PT_MAX	(SEAL_BLOB_MAX - crypto_box_SEALBYTES)
#define SEAL_MSG_PT_MAX	(SEAL_MSG_BLOB_MAX - crypto_box_SEALBYTES)

/* "corridor/seal/v1|kind|object|recipient|" into p; its length in
 * *out_len. 0, or -1 if it does not fit p_len. */
static int
msg_prefix(char *p, size_t p_len, size_t *out_len, const char *kind,
    const char *object_id, const char *recipient_id)
{
	int n = snprintf(p, p_len, "corridor/seal/v1|%s|%s|%s|", kind,
	    object_id, recipient_id);

	if (n < 0 || (size_t)n >= p_len)
		return -1;
	*out_len = (size_t)n;
	return 0;
}

/* A key wrap is a message of SEAL_KEY_BYTES whose blob fits in
 * SEAL_BLOB_MAX: the length of its prefix, or -1 if that does not fit. */
static int
key_prefix_len(const char *kind, const char *object_id,
    const char *recipient_id, size_t *pre)
{
	char p[SEAL_PT_MAX];

	if (msg_prefix(p, sizeof(p), pre, kind, object_id, recipient_id) != 0 ||
	    *pre + SEAL_KEY_BYTES > sizeof(p))
		return -1;
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
	size_t pre;

	if (key_prefix_len(kind, object_id, recipient_id, &pre) != 0)
		return -1;
	return seal_msg(out, out_max, out_len, kind, object_id, recipient_id,
	    key, SEAL_KEY_BYTES, pk);
}

int
seal_open(uint8_t key[SEAL_KEY_BYTES], const char *kind, const char *object_id,
    const char *recipient_id, const uint8_t pk[32], const uint8_t sk[32],
    const uint8_t *blob, size_t blob_len)
{
	size_t pre, n = 0;

	if (key_prefix_len(kind, object_id, recipient_id, &pre) != 0 ||
	    blob_len != pre + SEAL_KEY_BYTES + crypto_box_SEALBYTES ||
	    seal_msg_open(key, SEAL_KEY_BYTES, &n, kind, object_id,
	    recipient_id, pk, sk, blob, blob_len) != 0 || n != SEAL_KEY_BYTES) {
		sodium_memzero(key, SEAL_KEY_BYTES);
		return -1;
	}
	return 0;
}

int
seal_msg(uint8_t *out, size_t out_max, size_t *out_len, const char *kind,
    const char *object_id, const char *recipient_id, const uint8_t *msg,
    size_t msg_len, const uint8_t pk[32])
{
	uint8_t pt[SEAL_MSG_PT_MAX];
	size_t pre = 0;
	int rc = -1;

	if (msg_len == 0 || msg_len > SEAL_MSG_MAX ||
	    msg_prefix((char *)pt, sizeof(pt), &pre, kind, object_id,
	    recipient_id) != 0 || pre + msg_len > sizeof(pt) ||
	    out_max < pre + msg_len + crypto_box_SEALBYTES)
		goto done;
	memcpy(pt + pre, msg, msg_len);
	if (crypto_box_seal(out, pt, pre + msg_len, pk) != 0)
		goto done;
	*out_len = pre + msg_len + crypto_box_SEALBYTES;
	rc = 0;
done:
	sodium_memzero(pt, sizeof(pt));
	return rc;
}

int
seal_msg_open(uint8_t *msg, size_t msg_max, size_t *msg_len,
    const char *kind, const char *object_id, const char *recipient_id,
    const uint8_t pk[32], const uint8_t sk[32], const uint8_t *blob,
    size_t blob_len)
{
	uint8_t pt[SEAL_MSG_PT_MAX];
	char want[SEAL_MSG_PT_MAX];
	size_t pre = 0, n;
	int rc = -1;

	*msg_len = 0;
	if (msg_prefix(want, sizeof(want), &pre, kind, object_id,
	    recipient_id) != 0 ||
	    blob_len <= pre + crypto_box_SEALBYTES ||
	    blob_len - crypto_box_SEALBYTES > sizeof(pt))
		goto done;
	n = blob_len - crypto_box_SEALBYTES - pre;
	if (n > msg_max || n > SEAL_MSG_MAX)
		goto done;
	if (crypto_box_seal_open(pt, blob, blob_len, pk, sk) != 0)
		goto done;
	/* the ids are not secret */
	if (memcmp(pt, want, pre) != 0)
		goto done;
	memcpy(msg, pt + pre, n);
	*msg_len = n;
	rc = 0;
done:
	sodium_memzero(pt, sizeof(pt));
	if (rc != 0)
		sodium_memzero(msg, msg_max);
	return rc;
}
