/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * account: what happens to an account under coercion (issue 14), apart
 * from HTTP: erasing its sealed secret key (panic, a duress login),
 * resetting it for recovery, and re-sealing the case keys it is still
 * assigned to once it has enrolled again. Every function runs inside the
 * request's write transaction and answers r itself when it fails.
 *
 * WARNING: erasing is final. The sealed key's nonce and ciphertext become
 * random bytes (crypto/userkey.h, userkey_erase) and secure_delete zeroes
 * the old page in the database file; the WAL still holds a copy of the
 * old page until it is truncated, which the router does after the commit
 * (req_after: checkpoint for a panic or reset, wal_truncate, queued on the
 * checkpoint thread, for a duress login). A copy of the files taken
 * before that truncation still holds the old sealed key. Every wrap to
 * the old public key (cases, evacuations, the org key) is deleted with
 * it. Only a reset and a new enrolment give the person access again. The
 * cases stay readable through the org key and the other assignees.
 */
#ifndef CORRIDOR_ACCOUNT_H
#define CORRIDOR_ACCOUNT_H

#include "schema/store_user.h"
#include "server/http/req.h"

/*
 * Erase u's sealed secret key and record why (kind "duress" or "panic"),
 * which opens an alert for coordinators; delete every case and evacuation
 * wrap and the org grant sealed to u's public key, mark the affected keys
 * rotate_pending (the assignments stay, for a reset and re-seal), and ask
 * the router to truncate the WAL after the commit. Sessions are the
 * caller's to end (after this succeeds). 0, or -1 after answering.
 */
int account_erase(struct req *r, const struct user_row *u, const char *kind)
    __attribute__((warn_unused_result));

/*
 * Append one more audit entry to r's write transaction, through the one
 * audit path (audit_append), with r's actor, role and request id: action
 * on the user object_id, allowed. For the second entry of a duress login.
 * 0, or -1 after answering 503 (the dispatcher then rolls back).
 */
int account_audit_also(struct req *r, int action, const char *object_id)
    __attribute__((warn_unused_result));

/*
 * Reset u: a new key pair sealed under password (Argon2id: run on the
 * kdfpool by the caller, who passes the result in pk and blob), unenrolled,
 * no duress password, no two-factor login (TOTP and recovery codes), the
 * erased mark, a two-factor lockout and open alerts gone, every case and evacuation wrap
 * dropped and the affected keys rotated (a coordinator caller) or marked
 * for rotation (an admin), the assignments kept. A
 * confirmed coordinator loses their org grant and is pending again. 0, or
 * -1 after answering.
 */
int account_reset(struct req *r, const struct user_row *u,
    const uint8_t pk[USERKEY_PK_BYTES], const uint8_t blob[USERKEY_BLOB_BYTES])
    __attribute__((warn_unused_result));

/*
 * A password change stored a new key pair for user_id (in r's write
 * transaction): a reset account has enrolled again (its cases now wait
 * for re-sealing), and the duress verifier, bound to the old blob's salt,
 * goes. 0 or -1 (the caller answers 503).
 */
int account_password_changed(struct req *r, const char *user_id)
    __attribute__((warn_unused_result));

/*
 * Seal the current keys of the cases user_id (NULL: every account) is
 * assigned to but holds no wrap of, through the org key (a confirmed
 * coordinator's request, within its confirmation window), and their
 * evacuations' keys. *done gets how many cases. 0, or -1 after answering.
 */
int account_reseal(struct req *r, const char *user_id, unsigned *done)
    __attribute__((warn_unused_result));

#endif
