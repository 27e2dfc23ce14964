/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_twofactor: the steps of other routes that concern two-factor
 * login (the routes of its own are in route_twofactor_table, route.h).
 */
#ifndef CORRIDOR_ROUTE_TWOFACTOR_H
#define CORRIDOR_ROUTE_TWOFACTOR_H

#include <jansson.h>

#include "schema/store_user.h"
#include "server/http/req.h"

/*
 * The second factor of a login (POST /session), once the password has
 * opened the user's key and the account may log in. A user without
 * two-factor login passes (a code, if sent, is ignored); one with it must
 * send a fresh TOTP code or an unused recovery code, which this uses up
 * in the request's write transaction. 0 passed (*twofactor 1 if the user
 * has two-factor login); -1 a missing, wrong or replayed code (the caller
 * answers its one 401 and counts a failure); -2 answered (503).
 */
int route_twofactor_login_step(struct req *r, const char *user_id,
    const char *code, int *twofactor) __attribute__((warn_unused_result));

/*
 * A login's second factor was wrong (given, after the right password or
 * the duress password): one more in user_id's run (server/core/lockout.h).
 * At TWOFACTOR_LOCKOUT_FAILURES the account is locked, a coordinators'
 * alert opened and account.lockout written, in r's write transaction,
 * which commits although the login is refused (the caller still answers
 * its one 401). 0, or -1 after answering 503.
 */
int route_twofactor_login_failed(struct req *r, const char *user_id)
    __attribute__((warn_unused_result));

/* Add {"two_factor": {"enabled", "required", "recovery_codes_left"}} to
 * GET /me's object. 0, or -1 (a store failure). */
int route_twofactor_me(struct req *r, json_t *me)
    __attribute__((warn_unused_result));

/*
 * From route_session.c: prove the caller's current password, as POST
 * /session/confirm does (the login throttle, the Argon2 work on the
 * kdfpool, the session's key pair; in a decoy session, the duress
 * password that opened it). u gets the caller's row; the caller wipes it.
 * 0 right; -1 wrong (counted as a throttle failure; the caller answers);
 * -2 answered (503 or 429).
 */
int route_session_password_proof(struct req *r, const char *password,
    struct user_row *u) __attribute__((warn_unused_result));

#endif
