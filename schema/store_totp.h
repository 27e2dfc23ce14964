/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_totp: two-factor rows (schema/0010_totp.sql): each user's
 * encrypted TOTP secret and last accepted time step, their recovery code
 * hashes, and the two settings in meta (the server's two-factor keys and
 * the "every role must use two-factor login" policy). Prepared statements
 * only. Functions return a store_err.
 */
#ifndef CORRIDOR_STORE_TOTP_H
#define CORRIDOR_STORE_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"

/* the secret field: 20 bytes + nonce and tag (crypto/field.h) */
#define STORE_TOTP_SECRET_BYTES	60u
#define STORE_RECOVERY_HASH_BYTES 32u
#define STORE_TWOFACTOR_KEY_BYTES 32u

struct totp_row {
	uint8_t	 secret[STORE_TOTP_SECRET_BYTES];
	int	 confirmed;
	int64_t	 last_step;
};

/* STORE_ENOTFOUND if the user has no row (no enrolment, not even begun). */
int store_totp_get(struct store *s, const char *user_id, struct totp_row *t);
/* Replace the user's row with an unconfirmed one holding secret. */
int store_totp_begin(struct store *s, const char *user_id,
    const uint8_t secret[STORE_TOTP_SECRET_BYTES]);
/*
 * Accept a code of time step `step`: set last_step and mark the row
 * confirmed, only if step > last_step (and, when need_confirmed, only if
 * the row is already confirmed). STORE_ENOTFOUND when no row changed: a
 * replayed or older code, or no such row.
 */
int store_totp_use_step(struct store *s, const char *user_id, int64_t step,
    int need_confirmed);
/* Remove the user's two-factor login entirely (row and recovery codes). */
int store_totp_delete(struct store *s, const char *user_id);

/* Replace the user's recovery codes with n hashes. */
int store_recovery_replace(struct store *s, const char *user_id,
    const uint8_t (*hashes)[STORE_RECOVERY_HASH_BYTES], size_t n);
/* Delete one code by hash; STORE_ENOTFOUND if it is not (or no longer)
 * there. */
int store_recovery_use(struct store *s, const char *user_id,
    const uint8_t hash[STORE_RECOVERY_HASH_BYTES]);
/* *yes = 1 if the code of this hash is unused (a read, no write). */
int store_recovery_has(struct store *s, const char *user_id,
    const uint8_t hash[STORE_RECOVERY_HASH_BYTES], int *yes);
int store_recovery_count(struct store *s, const char *user_id, int64_t *n);

/*
 * A 32-byte key in meta under name ("twofactor_key",
 * "twofactor_recovery_key"). get: STORE_ENOTFOUND if absent. put: only if
 * absent (STORE_ECONFLICT otherwise), so two starts never race to two keys.
 */
int store_twofactor_key_get(struct store *s, const char *name,
    uint8_t key[STORE_TWOFACTOR_KEY_BYTES]);
int store_twofactor_key_put(struct store *s, const char *name,
    const uint8_t key[STORE_TWOFACTOR_KEY_BYTES]);
/* The policy: *required 1 if every account must use two-factor login. */
int store_twofactor_policy_get(struct store *s, int *required);
int store_twofactor_policy_set(struct store *s, int required);

#endif
