/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * session: live logins, in memory only. A token is 32 random bytes sent as
 * base64url; the table keeps only its keyed BLAKE2b hash. Each session's
 * secrets (the user's X25519 secret key, the org secret key for confirmed
 * coordinators, and a small cache of unwrapped case keys) live in one
 * locked, guarded slab and are wiped on logout, expiry, revocation and
 * shutdown. A restart logs everyone out, by design.
 */
#ifndef CORRIDOR_SESSION_H
#define CORRIDOR_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store_user.h"

struct session;

/* Allocate the slab and the token key. idle_s: idle timeout (<= 15 min).
 * 0 or -1. */
int session_init(unsigned idle_s) __attribute__((warn_unused_result));
void session_shutdown(void);		/* wipes every session */

/*
 * Create a session for u holding sk (and org_sk, or NULL). token_out gets
 * the base64url token (TOKEN_B64_CHARS + NUL); the caller wipes it after
 * sending. 0, or -1 if the table is full.
 */
int session_create(const struct user_row *u, const uint8_t sk[32],
    const uint8_t *org_sk, char *token_out, size_t token_out_len,
    int64_t *expires_at) __attribute__((warn_unused_result));

/*
 * Find the live session for a bearer token (tok_len chars) and take a
 * reference; touches its idle timer. NULL if unknown, malformed or expired.
 * Release with session_release.
 */
struct session *session_lookup(const char *tok, size_t tok_len);
void session_release(struct session *s);

/* End one session, or all of a user's sessions (except one, or NULL).
 * Secrets are wiped as soon as the last reference is released. */
void session_end(struct session *s);
void session_end_user(const char *user_id, const struct session *except);

/* Expire idle and over-age sessions. */
void session_sweep(void);
unsigned session_count(void);

const char *session_user_id(const struct session *s);
int session_role(const struct session *s);
int session_status(const struct session *s);
int session_enrolled(const struct session *s);

/*
 * Enrolment: the user replaced the first password, which made a fresh key
 * pair. Swap it into this live session (the old secret key is wiped).
 */
void session_enrol(struct session *s, const uint8_t pk[32],
    const uint8_t sk[32]);

/* The session's secrets. Valid while a reference is held. org_sk is NULL
 * unless the user is a confirmed coordinator. */
const uint8_t *session_sk(const struct session *s);
const uint8_t *session_pk(const struct session *s);
const uint8_t *session_org_sk(const struct session *s);

/* Case/evacuation key cache, keyed by (object id, key version).
 * get: 0 hit (key copied), -1 miss. */
int session_key_get(struct session *s, const char *object_id,
    uint32_t version, uint8_t key[32]);
void session_key_put(struct session *s, const char *object_id,
    uint32_t version, const uint8_t key[32]);
/* Wipe object_id's cached keys in every session (after a rotation or
 * shred). */
void session_key_forget(const char *object_id);

#endif
