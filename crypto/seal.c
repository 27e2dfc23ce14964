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

/* The prefix of a message seal: as make_prefix, without the room check
 * for a key (the message's room is checked by the callers). */
#define SEAL_MSG_PT_MAX	(SEAL_MSG_BLOB_MAX - crypto_box_SEALBYTES)

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
