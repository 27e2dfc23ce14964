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

/* A code that matched, before it is used up: a TOTP code's time step, or
 * a recovery code's hash. Wipe with twofactor_match_wipe. */
struct twofactor_match {
	int	 recovery;		/* 1: a recovery code */
	int64_t	 step;			/* a TOTP code's step, or -1 */
	uint8_t	 hash[RECOVERY_HASH_BYTES];
};
void twofactor_match_wipe(struct twofactor_match *m);

/*
 * Check a second-factor code of user_id (who has TWOFACTOR_ON) at Unix
 * time now, with reads only: a TOTP code of step now/30 +-TOTP_SKEW_STEPS
 * newer than the last one accepted, or (allow_recovery) an unused
 * recovery code. code may be NULL (TWOFACTOR_BAD). On TWOFACTOR_OK, m
 * says what matched; nothing is used up until twofactor_code_use.
 *
 * Reads only so that a wrong code, like a wrong password, takes no write
 * lock and writes nothing (review L1: the difference was a timing oracle
 * that the password was right).
 */
int twofactor_code_check(struct store *s, const char *user_id,
    const char *code, int64_t now, int allow_recovery,
    struct twofactor_match *m) __attribute__((warn_unused_result));

/*
 * Use up what twofactor_code_check matched, in the caller's write
 * transaction: the TOTP step becomes the last accepted one, or the
 * recovery code is deleted. TWOFACTOR_BAD if another request used it
 * between the check and this write.
 */
int twofactor_code_use(struct store *s, const char *user_id,
    const struct twofactor_match *m) __attribute__((warn_unused_result));

/*
 * Make RECOVERY_CODES fresh recovery codes into codes (shown once; the
 * caller wipes them) and, if s is not NULL, replace user_id's stored
 * hashes with theirs, in the caller's write transaction (the old codes
 * stop working). s NULL: a decoy session's answer, stored nowhere.
 */
int twofactor_recovery_new(struct store *s, const char *user_id,
    char codes[RECOVERY_CODES][RECOVERY_CODE_SHOWN_BYTES])
    __attribute__((warn_unused_result));

/*
 * A decoy session's enrolment (server/api/route_twofactor.c): 1 if code
 * is a code of secret (kept in the session, never stored) at now +-
 * TOTP_SKEW_STEPS. TWOFACTOR_OK or TWOFACTOR_BAD.
 */
int twofactor_decoy_confirm(const uint8_t secret[TOTP_SECRET_BYTES],
    const char *code, int64_t now) __attribute__((warn_unused_result));

/*
 * Begin (or restart) an enrolment: a fresh secret, stored unconfirmed.
 * secret_b32 gets its base32 form (TOTP_SECRET_B32_CHARS + 1), uri the
 * otpauth:// URI (MAX_OTPAUTH_URI_BYTES). The caller wipes both.
 * unstored: NULL to store the secret; otherwise (a decoy session) the
 * TOTP_SECRET_BYTES secret goes there and nothing is written.
 * TWOFACTOR_OK; TWOFACTOR_BAD if the user already has a confirmed
 * enrolment; TWOFACTOR_FAIL.
 */
int twofactor_begin(struct store *s, const char *user_id,
    const char *username, char secret_b32[TOTP_SECRET_B32_CHARS + 1],
    char uri[MAX_OTPAUTH_URI_BYTES], uint8_t *unstored)
    __attribute__((warn_unused_result));

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
