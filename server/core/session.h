/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * session: live logins, in memory only. A token is a 32-byte random id
 * followed by the 32-byte session key K_s, sent as base64url; the table
 * keeps only the id's keyed BLAKE2b hash, and never K_s. Each session's
 * secrets (the user's X25519 secret key and a small cache of unwrapped
 * case and evacuation keys) are held only boxed under K_s (crypto/skey.h),
 * in one locked, guarded slab wiped on logout, expiry, revocation and
 * shutdown. A request opens what it needs with the K_s its token carries
 * and wipes it before its answer leaves (server/api/router.c), so a memory
 * image taken between requests holds no usable key. The org secret key is
 * never held for a session at all (server/core/access.c opens it per
 * request). A restart logs everyone out, by design.
 */
#ifndef CORRIDOR_SESSION_H
#define CORRIDOR_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/skey.h"
#include "crypto/token.h"
#include "schema/store_user.h"
#include "server/limits.h"

struct session;

/* Allocate the slab and the token key. idle_s: idle timeout (<= 15 min).
 * 0 or -1. */
int session_init(unsigned idle_s) __attribute__((warn_unused_result));
void session_shutdown(void);		/* wipes every session */

/*
 * Create a session for u holding sk, boxed under a fresh K_s; twofactor
 * is 1 only if this login proved a second-factor code. token_out
 * gets the base64url token id || K_s (TOKEN_B64_CHARS + NUL); the caller
 * wipes it after sending. 0, or -1 if the table is full.
 */
int session_create(const struct user_row *u, const uint8_t sk[32],
    int twofactor, char *token_out, size_t token_out_len,
    int64_t *expires_at)
    __attribute__((warn_unused_result));

/*
 * session_create with what a login may add (issue 14): decoy marks a
 * duress login's session (server/api/router.c answers its case routes as
 * for a caseworker with no assignments; sk is then a throwaway key), and
 * label (NULL or at most MAX_CLIENT_LABEL_BYTES) is the coarse client
 * label the user's session list shows; twofactor as for session_create.
 */
struct session_opts {
	int		 twofactor;
	int		 decoy;
	const char	*label;
};
int session_create_opts(const struct user_row *u, const uint8_t sk[32],
    const struct session_opts *o, char *token_out, size_t token_out_len,
    int64_t *expires_at) __attribute__((warn_unused_result));

/* 1 if s is a duress login's decoy session. */
int session_decoy(const struct session *s);

/* One of a user's sessions, as GET /me/sessions shows it. */
struct session_info {
	char	 id[ID_CHARS + 1];	/* public id, not the token */
	char	 label[MAX_CLIENT_LABEL_BYTES + 1];
	int64_t	 created, last_seen;
	int	 current;
};
/* Fill out (at most max) with user_id's live sessions, oldest first;
 * current marks cur. Returns how many. */
unsigned session_list(const char *user_id, const struct session *cur,
    struct session_info *out, unsigned max);
/* End user_id's session with public id sid. 0, or -1 if there is none. */
int session_end_id(const char *user_id, const char *sid);

/*
 * Find the live session for a bearer token (tok_len chars) and take a
 * reference; touches its idle timer. ks gets the token's K_s, which the
 * caller wipes when the request ends. NULL if unknown, malformed, expired
 * or carrying a K_s that does not open the session (ks untouched).
 * Release with session_release.
 */
struct session *session_lookup(const char *tok, size_t tok_len,
    uint8_t ks[SKEY_KEY_BYTES]);
void session_release(struct session *s);

/* End one session, or all of a user's sessions (except one, or NULL).
 * Secrets are wiped as soon as the last reference is released. */
void session_end(struct session *s);
void session_end_user(const char *user_id, const struct session *except);
/*
 * End every session of user_id but its decoy sessions (a duress login's,
 * session_opts.decoy): a second duress login must not end the decoy the
 * captor already holds, which would show that something happened. For
 * the duress branch of the login (server/api/route_session.c).
 */
void session_end_user_except_decoys(const char *user_id);

/* Expire idle and over-age sessions. */
void session_sweep(void);
unsigned session_count(void);

const char *session_user_id(const struct session *s);
int session_role(const struct session *s);
int session_status(const struct session *s);
int session_enrolled(const struct session *s);

/*
 * Two-factor login (server/core/twofactor.h): 1 if this session itself
 * proved a code, at its login or by completing an enrolment. Never set
 * for a user's other sessions: a session that gave no code stays limited
 * under a policy requiring two-factor login (server/api/router.c).
 */
int session_twofactor(const struct session *s);
void session_set_twofactor(struct session *s);

/*
 * A password change made a fresh key pair (enrolment or any later
 * change): box it into this live session under ks and mark the session
 * enrolled. The old box is overwritten.
 */
void session_set_keypair(struct session *s, const uint8_t ks[SKEY_KEY_BYTES],
    const uint8_t pk[32], const uint8_t sk[32]);

/* Open the user's secret key with the request's K_s into sk (the caller
 * wipes it after use). 0, or -1 (sk wiped). */
int session_sk_open(struct session *s, const uint8_t ks[SKEY_KEY_BYTES],
    uint8_t sk[32]) __attribute__((warn_unused_result));
const uint8_t *session_pk(const struct session *s);

/*
 * Password re-confirmation (POST /session/confirm) for the requests that
 * open the org key. session_confirm records a success (ok = 1) or clears
 * the record (ok = 0, a wrong password). session_confirmed: 1 if the last
 * success is less than REAUTH_WINDOW_S old. session_confirm_fresh is the
 * rule itself, apart from the clock, for the unit tests.
 */
void session_confirm(struct session *s, int ok);
int session_confirmed(struct session *s);
int session_confirm_fresh(int64_t confirmed_at, int64_t now);

/* Case/evacuation key cache, keyed by (object id, key version), each entry
 * boxed under K_s. get: 0 hit (key copied), -1 miss. */
int session_key_get(struct session *s, const uint8_t ks[SKEY_KEY_BYTES],
    const char *object_id, uint32_t version, uint8_t key[32]);
void session_key_put(struct session *s, const uint8_t ks[SKEY_KEY_BYTES],
    const char *object_id, uint32_t version, const uint8_t key[32]);
/* Wipe object_id's cached keys in every session (after a rotation or
 * shred). */
void session_key_forget(const char *object_id);

#endif
