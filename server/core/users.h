/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * users: account logic shared by the HTTP routes and `corridor init`:
 * username rules, making a new user with a sealed key pair, and the hook
 * that removes a revoked user's key grants.
 */
#ifndef CORRIDOR_USERS_H
#define CORRIDOR_USERS_H

#include <stddef.h>

#include "schema/store_user.h"

struct req;

/* 1 if name is 3..64 bytes of [A-Za-z0-9._-]. */
int users_name_ok(const char *name);

/*
 * Fill u with a new user: fresh id and X25519 key pair, secret key sealed
 * under password (one Argon2id run: hold the gate). Coordinators start
 * pending, and every new user is unenrolled until they replace the first
 * password (see users_enrol). 0 or -1. u holds no plaintext secret.
 */
/*
 * The strength rule (server/core/password.h) for pw, a password username
 * chooses (old: the one it replaces, or NULL). 0 acceptable; -1 after
 * answering r with 422 weak-password (detail: which rule failed) or 500.
 */
int users_password_ok(struct req *r, const char *pw, const char *username,
    const char *old) __attribute__((warn_unused_result));

int users_new(struct user_row *u, const char *username, const char *pw,
    size_t pw_len, int role) __attribute__((warn_unused_result));

/*
 * Inside r's write transaction: delete every case and evacuation key grant
 * held by user_id and rotate the keys of the affected objects. 0, or -1
 * after answering r.
 */
int users_revoke_grants(struct req *r, const char *user_id)
    __attribute__((warn_unused_result));

/* The same for a reset (issue 14): the assignments stay
 * (casefile_reset_user). */
int users_reset_grants(struct req *r, const char *user_id)
    __attribute__((warn_unused_result));

/*
 * Before user_id loses their key pair (revocation, reset, panic, a duress
 * password that could erase it): the org key exists only in coordinators'
 * grants, so if user_id holds a usable grant (store_org_grant_usable) and
 * fewer than two usable grants exist, answer r 409 last-coordinator with
 * detail (a string literal: it is sent after this returns) and return -1;
 * -1 too after answering 503; 0 to go on.
 */
int users_org_holder_check(struct req *r, const char *user_id,
    const char *detail) __attribute__((warn_unused_result));
#endif
