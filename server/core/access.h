/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * access: who may touch which case or evacuation, decided in one place for
 * every route, and the key that goes with the decision.
 *
 *   caseworker   only assigned cases; any other case is 404 (audited as
 *                denied), so a caseworker cannot learn that it exists.
 *                Evacuations only through a live member case, else 404.
 *   coordinator  every case's metadata. Content (person, notes, contacts)
 *                of a case they are not assigned to (only caseworkers are
 *                ever assigned) is break-glass: it needs X-Access-Reason,
 *                else 403 reason-required; with it the audit entry carries
 *                the reason. K_case then comes from the org wrap. Every
 *                evacuation.
 *   admin,       no case route admits them (the route's role mask answers
 *   auditor      403 before any handler runs).
 *
 * A shredded case answers 410 to those who may know it exists.
 *
 * Keys come from the session's cache (boxed under the request's K_s) or
 * the caller's own wrap, else (coordinators) the org wrap, the org key
 * opened for the request (needs a fresh password confirmation; keys
 * reached this way are never cached); an object whose rotation is pending is
 * rotated on the spot, inside the request's write transaction.
 */
#ifndef CORRIDOR_ACCESS_H
#define CORRIDOR_ACCESS_H

#include <stdint.h>

#include "schema/store_case.h"
#include "schema/store_evac.h"
#include "server/core/casefile.h"
#include "server/http/req.h"

/* flags */
#define ACCESS_CONTENT	(1u << 0)	/* reads or writes content: needs the
					 * key; break-glass for coordinators */
#define ACCESS_WRITE	(1u << 1)	/* in the request's write transaction */
#define ACCESS_ASSIGNED	(1u << 2)	/* the caller must be assigned, whatever
					 * their role (logging a contact) */
#define ACCESS_MANAGE	(1u << 3)	/* coordinator management (assign,
					 * unassign): the key through the org
					 * wrap, no reason (it never leaves the
					 * server) */

struct access_case {
	struct case_row	c;
	int		assigned;	/* the caller is an assignee */
	int		break_glass;	/* content read through the org key */
	int		have_key;
	uint8_t		key[CASEFILE_KEY_BYTES];
};

struct access_evac {
	struct evac_row	e;
	int		have_key;
	uint8_t		key[CASEFILE_KEY_BYTES];
};

/*
 * Load case id for r's caller and decide. On success a holds the row (and
 * the key when the flags ask for it), a read snapshot or the write
 * transaction is open, and the audit object is set. -1 after answering
 * (404, 403, 410, 400, 500 or 503). Call access_case_close on both paths.
 */
int access_case_open(struct req *r, const char *id, unsigned flags,
    struct access_case *a) __attribute__((warn_unused_result));
/* Wipe the key and end a read snapshot (a write transaction stays open for
 * the dispatcher to commit). */
void access_case_close(struct req *r, struct access_case *a);

/* The same for evacuations. ACCESS_CONTENT asks for K_evac. */
int access_evac_open(struct req *r, const char *id, unsigned flags,
    struct access_evac *a) __attribute__((warn_unused_result));
void access_evac_close(struct req *r, struct access_evac *a);

/*
 * After a change of membership or assignment (inside the write
 * transaction, coordinator only): re-wrap K_evac of evac_id ("" or NULL:
 * nothing to do) to exactly the caseworkers of its live member cases,
 * rotating it when someone lost access (or force). If a is not NULL and
 * the key rotated, a's row and key are brought up to date. 0, or -1 after
 * answering.
 */
int access_evac_sync(struct req *r, const char *evac_id, int force,
    struct access_evac *a) __attribute__((warn_unused_result));

/*
 * The caller's org holder (a confirmed coordinator), the org key opened
 * for this request only from the caller's org grant (r->org_sk, wiped by
 * the router). Needs a password confirmation less than REAUTH_WINDOW_S
 * old. 0, or -1 after answering 403 not-confirmed, 403 reauth-required,
 * 500 or 503.
 */
int access_org_holder(struct req *r, struct casefile_holder *h)
    __attribute__((warn_unused_result));

/*
 * The X-Access-Reason header: 1 present and valid (*out, *out_len point
 * into the request headers), 0 absent, -1 invalid (answered 400). Valid
 * is 1 to MAX_REASON_BYTES bytes of printable UTF-8, not all blanks. Used
 * by break-glass reads and by a panic on another account.
 */
int access_reason_get(struct req *r, const char **out, size_t *out_len)
    __attribute__((warn_unused_result));

/* Answer r for a casefile_err. */
void access_fail(struct req *r, int casefile_rc);

#endif
