/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_reason: sealing break-glass reasons to the auditors, opening an
 * auditor's copy, and sealing the plain-text reasons of a database made
 * before schema 0006. See audit_reason.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "crypto/seal.h"
#include "crypto/secmem.h"
#include "schema/store_audit.h"
#include "schema/store_user.h"
#include "server/audit/audit_reason.h"

/* 1 if u may receive sealed reasons: an active auditor whose key pair was
 * made under their own password (not the admin-chosen first one). */
static int
recipient(const struct user_row *u)
{
	return u->role == ROLE_AUDITOR && u->status == USER_ACTIVE &&
	    u->enrolled;
}

static int
count_one(void *arg, const struct user_row *u)
{
	if (recipient(u))
		(*(int64_t *)arg)++;
	return 0;
}

int
audit_reason_recipients(struct store *s, int64_t *n)
{
	*n = 0;
	return store_user_each(s, count_one, n);
}

struct seal_ctx {
	struct store	*s;
	uint64_t	 seq;
	const uint8_t	*msg;
	size_t		 msg_len;
	unsigned	 sealed;
	int		 failed;
};

static int
seal_one(void *arg, const struct user_row *u)
{
	struct seal_ctx *c = arg;
	uint8_t blob[SEAL_MSG_BLOB_MAX];
	char seqs[24];
	size_t blob_len = 0;

	if (!recipient(u))
		return 0;
	snprintf(seqs, sizeof(seqs), "%" PRIu64, c->seq);
	if (seal_msg(blob, sizeof(blob), &blob_len, SEAL_KIND_REASON, seqs,
	    u->id, c->msg, c->msg_len, u->pk) != 0 ||
	    store_audit_reason_seal_put(c->s, c->seq, u->id, blob, blob_len)
	    != STORE_OK) {
		c->failed = 1;
		return 1;
	}
	c->sealed++;
	return 0;
}

/* Seal msg (salt || reason) of entry seq to every recipient. 0 or -1. */
static int
seal_all(struct store *s, uint64_t seq, const uint8_t *msg, size_t msg_len)
{
	struct seal_ctx c = { s, seq, msg, msg_len, 0, 0 };

	if (store_user_each(s, seal_one, &c) != STORE_OK || c.failed ||
	    c.sealed == 0)
		return -1;
	return 0;
}

int
audit_reason_seal(struct store *s, uint64_t seq, const uint8_t salt[16],
    const void *reason, size_t reason_len)
{
	uint8_t msg[AUDIT_REASON_SALT_BYTES + AUDIT_REASON_MAX_BYTES];
	int rc = -1;

	if (reason_len == 0 || reason_len > AUDIT_REASON_MAX_BYTES)
		return -1;
	memcpy(msg, salt, AUDIT_REASON_SALT_BYTES);
	memcpy(msg + AUDIT_REASON_SALT_BYTES, reason, reason_len);
	if (store_audit_reason_insert_sealed(s, seq) != STORE_OK)
		goto done;
	rc = seal_all(s, seq, msg, AUDIT_REASON_SALT_BYTES + reason_len);
done:
	secmem_wipe(msg, sizeof(msg));
	return rc;
}

int
audit_reason_open(struct store *s, uint64_t seq, const char *auditor_id,
    const uint8_t pk[32], const uint8_t sk[32], uint8_t salt[16],
    uint8_t reason[AUDIT_REASON_MAX_BYTES], size_t *reason_len)
{
	uint8_t blob[SEAL_MSG_BLOB_MAX];
	uint8_t msg[AUDIT_REASON_SALT_BYTES + AUDIT_REASON_MAX_BYTES];
	char seqs[24];
	size_t blob_len = 0, msg_len = 0;
	int rc;

	*reason_len = 0;
	rc = store_audit_reason_seal_get(s, seq, auditor_id, blob,
	    sizeof(blob), &blob_len);
	if (rc == STORE_ENOTFOUND)
		return 1;
	if (rc != STORE_OK)
		return -1;
	snprintf(seqs, sizeof(seqs), "%" PRIu64, seq);
	if (seal_msg_open(msg, sizeof(msg), &msg_len, SEAL_KIND_REASON, seqs,
	    auditor_id, pk, sk, blob, blob_len) != 0 ||
	    msg_len <= AUDIT_REASON_SALT_BYTES) {
		rc = 1;
		goto done;
	}
	memcpy(salt, msg, AUDIT_REASON_SALT_BYTES);
	*reason_len = msg_len - AUDIT_REASON_SALT_BYTES;
	memcpy(reason, msg + AUDIT_REASON_SALT_BYTES, *reason_len);
	rc = 0;
done:
	secmem_wipe(msg, sizeof(msg));
	return rc;
}

int
audit_reason_rekey(struct store *s, const char *auditor_id,
    const uint8_t old_pk[32], const uint8_t old_sk[32],
    const uint8_t new_pk[32])
{
	uint8_t blob[SEAL_MSG_BLOB_MAX];
	uint8_t msg[AUDIT_REASON_SALT_BYTES + AUDIT_REASON_MAX_BYTES];
	uint64_t *seqs = NULL;
	size_t n = 0, len, blob_len;
	char seqs_s[24];
	int rc = -1, o;

	if (store_audit_reason_seal_seqs(s, auditor_id, &seqs, &n) != STORE_OK)
		return -1;
	for (size_t i = 0; i < n; i++) {
		o = store_audit_reason_seal_get(s, seqs[i], auditor_id, blob,
		    sizeof(blob), &blob_len);
		if (o != STORE_OK)
			goto done;
		snprintf(seqs_s, sizeof(seqs_s), "%" PRIu64, seqs[i]);
		if (seal_msg_open(msg, sizeof(msg), &len, SEAL_KIND_REASON,
		    seqs_s, auditor_id, old_pk, old_sk, blob, blob_len) != 0)
			continue;	/* never readable by this key pair */
		if (seal_msg(blob, sizeof(blob), &blob_len, SEAL_KIND_REASON,
		    seqs_s, auditor_id, msg, len, new_pk) != 0 ||
		    store_audit_reason_seal_replace(s, seqs[i], auditor_id,
		    blob, blob_len) != STORE_OK)
			goto done;
		secmem_wipe(msg, sizeof(msg));
	}
	rc = 0;
done:
	secmem_wipe(msg, sizeof(msg));
	free(seqs);
	return rc;
}

int
audit_reason_seal_plain(struct store *s, unsigned *sealed, unsigned *left)
{
	uint8_t msg[AUDIT_REASON_SALT_BYTES + AUDIT_REASON_MAX_BYTES];
	size_t len = 0;
	uint64_t seq = 0;
	int64_t n = 0;
	int rc = -1, src;

	*sealed = *left = 0;
	if (store_write_begin(s) != STORE_OK)
		return -1;
	if (audit_reason_recipients(s, &n) != STORE_OK)
		goto done;
	for (;;) {
		src = store_audit_reason_plain_first(s, &seq, msg,
		    msg + AUDIT_REASON_SALT_BYTES, AUDIT_REASON_MAX_BYTES, &len);
		if (src == STORE_ENOTFOUND)
			break;
		if (src != STORE_OK)
			goto done;
		if (n == 0) {
			/* nobody to seal to: count them and leave them */
			secmem_wipe(msg, sizeof(msg));
			if (store_audit_reason_plain_count(s, &n) != STORE_OK)
				goto done;
			*left = (unsigned)n;
			return store_write_end(s, 0) == STORE_OK ? 0 : -1;
		}
		if (seal_all(s, seq, msg, AUDIT_REASON_SALT_BYTES + len) != 0 ||
		    store_audit_reason_mark_sealed(s, seq) != STORE_OK)
			goto done;
		(*sealed)++;
	}
	secmem_wipe(msg, sizeof(msg));
	return store_write_end(s, 1) == STORE_OK ? 0 : -1;
done:
	secmem_wipe(msg, sizeof(msg));
	(void)store_write_end(s, 0);
	*sealed = 0;
	return rc;
}
