/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_user: users, their sealed key pairs, and the org key grants.
 * Prepared statements only. Functions return a store_err.
 */
#ifndef CORRIDOR_STORE_USER_H
#define CORRIDOR_STORE_USER_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/userkey.h"
#include "schema/store.h"

enum role {
	ROLE_NONE = 0,		/* anonymous */
	ROLE_ADMIN,
	ROLE_COORDINATOR,
	ROLE_CASEWORKER,
	ROLE_AUDITOR,
};

enum user_status {
	USER_ACTIVE = 1,
	USER_PENDING,
	USER_DISABLED,
	USER_REVOKED,
};

const char *role_name(int role);		/* "anonymous" for ROLE_NONE */
int role_parse(const char *s);			/* ROLE_NONE if unknown */
const char *user_status_name(int status);

#define USER_ID_CHARS	22u

struct user_row {
	char	 id[USER_ID_CHARS + 1];
	char	 username[64 + 1];
	int	 role;
	int	 status;
	uint8_t	 pk[USERKEY_PK_BYTES];
	uint8_t	 sk_sealed[USERKEY_BLOB_BYTES];
	int	 enrolled;	/* has replaced the first password */
	int64_t	 created_at;
};

int store_user_insert(struct store *s, const struct user_row *u);
int store_user_by_name(struct store *s, const char *username,
    struct user_row *u);
int store_user_by_id(struct store *s, const char *id, struct user_row *u);
int store_user_set_status(struct store *s, const char *id, int status);
int store_user_set_sealed(struct store *s, const char *id,
    const uint8_t blob[USERKEY_BLOB_BYTES]);
/* Enrolment: replace the key pair and mark the user enrolled. */
int store_user_enrol(struct store *s, const char *id,
    const uint8_t pk[USERKEY_PK_BYTES],
    const uint8_t blob[USERKEY_BLOB_BYTES]);
/* A later password change: replace an enrolled user's key pair. */
int store_user_rekey(struct store *s, const char *id,
    const uint8_t pk[USERKEY_PK_BYTES],
    const uint8_t blob[USERKEY_BLOB_BYTES]);
/* A reset (recovery): a new key pair, unenrolled, with status. */
int store_user_reset(struct store *s, const char *id,
    const uint8_t pk[USERKEY_PK_BYTES],
    const uint8_t blob[USERKEY_BLOB_BYTES], int status);
/* Calls cb for each user in username order; cb returns 0 to go on. */
int store_user_each(struct store *s,
    int (*cb)(void *arg, const struct user_row *u), void *arg);
int store_user_count(struct store *s, int64_t *n);

int store_org_pk_get(struct store *s, uint8_t pk[32]);
int store_org_pk_set(struct store *s, const uint8_t pk[32]);
int store_org_grant_put(struct store *s, const char *user_id,
    const uint8_t *sealed, size_t sealed_len, const char *granted_by);
/* out receives at most out_max bytes; *out_len the stored length. */
int store_org_grant_get(struct store *s, const char *user_id, uint8_t *out,
    size_t out_max, size_t *out_len);
/* Replace the sealed blob of user_id's grant, keeping who granted it and
 * when (a password change re-seals it to a new key pair). */
int store_org_grant_reseal(struct store *s, const char *user_id,
    const uint8_t *sealed, size_t sealed_len);
int store_org_grant_delete(struct store *s, const char *user_id);
/* Number of usable org key grants: held by active users whose key pair
 * is not erased or reset (account_erased), so that a last-holder check
 * never counts a grant nobody can open. */
int store_org_grant_count(struct store *s, int64_t *n);
/* *yes = 1 if user_id holds a usable org key grant (as counted above). */
int store_org_grant_usable(struct store *s, const char *user_id, int *yes);

#endif
