/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * twofactor: the second factor of a login, TOTP (RFC 6238: SHA-1, 6
 * digits, 30 s) or a single-use recovery code, and the policy that can
 * require it of every account. See docs/crypto.md "Two-factor login".
 *
 * Secrets are encrypted under a server key (meta 'twofactor_key', inside
 * SQLCipher), not under the user's key pair, so that a code is checked
 * without the user's secret key: the same way after any password (a
 * coerced or duress one too), after a password change that made a new key
 * pair, and before an unenrolled account has a key pair of its own.
 * Recovery codes are kept only as keyed BLAKE2b hashes under a second
 * server key.
 *
 * The keys live in one locked allocation for the life of the server.
 * Functions that touch the store must run inside the request's write
 * transaction: a code is used up in the same transaction as the login's
 * audit entry.
 */
#ifndef CORRIDOR_TWOFACTOR_H
#define CORRIDOR_TWOFACTOR_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/totp.h"
#include "schema/store.h"
#include "server/limits.h"

/*
 * Load the two server keys from the store, making them on first use, and
 * the policy. Call once at start-up, before any thread starts, on a
 * store not in a transaction. 0, or -1.
 */
int twofactor_init(struct store *s) __attribute__((warn_unused_result));
void twofactor_shutdown(void);		/* wipes the keys */

/* The policy, as stored and cached: 1 if every account needs two-factor. */
int twofactor_policy_required(void);
/*
 * Store the policy (in the caller's write transaction, so under the write
 * lock). 0 or -1; *seq gets the write's place in commit order. The cache
 * follows with twofactor_policy_cache(required, seq) once the write is
 * durable; a value older than the one cached is ignored, so two changes
 * whose requests finish out of order leave the later commit's value.
 */
int twofactor_policy_store(struct store *s, int required, uint64_t *seq);
void twofactor_policy_cache(int required, uint64_t seq);

enum twofactor_state {
	TWOFACTOR_NONE = 0,	/* no confirmed enrolment */
	TWOFACTOR_ON = 1,	/* confirmed: every login needs a code */
	TWOFACTOR_EIO = -1,
};
/* Whether user_id has two-factor login; *recovery_left (may be NULL)
 * gets the number of unused recovery codes. */
int twofactor_state(struct store *s, const char *user_id,
    int64_t *recovery_left);

/* 1 if code is well-formed: 6 digits, or a recovery code. */
int twofactor_code_wellformed(const char *code);

enum twofactor_check {
	TWOFACTOR_OK = 0,
	TWOFACTOR_BAD = -1,	/* wrong, replayed, used up, or missing */
	TWOFACTOR_FAIL = -2,	/* store or key failure */
};

/*
 * A login's second factor for user_id (who has TWOFACTOR_ON), at Unix
 * time now: a TOTP code of step now/30 +-TOTP_SKEW_STEPS newer than the
 * last one accepted, or an unused recovery code, which is used up. code
 * may be NULL (TWOFACTOR_BAD). *used_recovery set to 1 for a recovery
 * code. In the caller's write transaction.
 */
int twofactor_login_check(struct store *s, const char *user_id,
    const char *code, int64_t now, int *used_recovery)
    __attribute__((warn_unused_result));

/*
 * Begin (or restart) an enrolment: a fresh secret, stored unconfirmed.
 * secret_b32 gets its base32 form (TOTP_SECRET_B32_CHARS + 1), uri the
 * otpauth:// URI (MAX_OTPAUTH_URI_BYTES). The caller wipes both.
 * TWOFACTOR_OK; TWOFACTOR_BAD if the user already has a confirmed
 * enrolment; TWOFACTOR_FAIL.
 */
int twofactor_begin(struct store *s, const char *user_id,
    const char *username, char secret_b32[TOTP_SECRET_B32_CHARS + 1],
    char uri[MAX_OTPAUTH_URI_BYTES]) __attribute__((warn_unused_result));

/*
 * Complete an enrolment with a code of the unconfirmed secret; on success
 * makes RECOVERY_CODES fresh recovery codes into codes (shown once; the
 * caller wipes them) and stores only their hashes. TWOFACTOR_BAD: no
 * enrolment begun, already confirmed, or a wrong or replayed code.
 */
int twofactor_confirm(struct store *s, const char *user_id,
    const char *code, int64_t now,
    char codes[RECOVERY_CODES][RECOVERY_CODE_SHOWN_BYTES])
    __attribute__((warn_unused_result));

#endif
