/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route: the one routing table's row type, and each resource's table.
 * Every row names its audit action: the dispatcher writes that entry for
 * every request the row matches, allowed or denied, so no handler can skip
 * it. Only AUDIT_NONE rows (health, /me) go unaudited, by design.
 */
#ifndef CORRIDOR_ROUTE_H
#define CORRIDOR_ROUTE_H

#include "server/http/req.h"

struct user_row;

/* roles bitmask */
#define R_ANON		(1u << 0)
#define R_ADMIN		(1u << 1)
#define R_COORD		(1u << 2)
#define R_CASEWORKER	(1u << 3)
#define R_AUDITOR	(1u << 4)
#define R_ANY_USER	(R_ADMIN | R_COORD | R_CASEWORKER | R_AUDITOR)

/* flags */
#define ROUTE_BODY	(1u << 0)	/* takes a JSON body */
#define ROUTE_PENDING	(1u << 1)	/* open to pending coordinators and
					 * to unenrolled users */
#define ROUTE_QUERY	(1u << 2)	/* accepts a query string */
#define ROUTE_INLINE	(1u << 3)	/* unaudited, reads nothing it
					 * answers with, never waits: runs
					 * on the libmicrohttpd worker */
#define ROUTE_WORKER	(1u << 4)	/* a quick audited read: runs on
					 * the worker, its audit entry is
					 * left to the committer; a write
					 * sends it to a dispatch thread */
#define ROUTE_UPLOAD	(1u << 5)	/* a raw body up to
					 * MAX_ATTACHMENT_BYTES, streamed into
					 * an encrypted spool as it arrives
					 * (http.c, spool.h): r->upload; the
					 * handler checks its Content-Type */
#define ROUTE_TWOFACTOR_SETUP (1u << 6)	/* open to a session that must
					 * still set up two-factor login
					 * (the policy requires it) */
#define ROUTE_BUNDLE	(1u << 7)	/* with ROUTE_UPLOAD: a transfer
					 * bundle, up to MAX_BUNDLE_BYTES */

struct route {
	int		 method;
	const char	*pattern;	/* "/cases/{id}/contacts" */
	unsigned	 roles;
	unsigned	 flags;
	int		 action;	/* enum audit_action */
	int		 object_type;	/* enum audit_object */
	void		(*handler)(struct req *r);
};

/* Each resource file exports a table ending in a row with pattern NULL. */
extern const struct route route_health_table[];
extern const struct route route_session_table[];
extern const struct route route_user_table[];
extern const struct route route_case_table[];
extern const struct route route_contact_table[];
extern const struct route route_evac_table[];
extern const struct route route_audit_table[];
extern const struct route route_attach_table[];
extern const struct route route_twofactor_table[];
extern const struct route route_lookup_table[];
extern const struct route route_transfer_table[];
extern const struct route route_account_table[];

/*
 * route_account.c's pieces of other routes (issue 14). me_fields adds to
 * GET /me's object o what a decoy session must also show plausibly:
 * duress_set, cases_waiting, and (coordinators, admins) alerts. 0, or -1
 * (o untouched for the caller to drop; r answered or not).
 * decoy_busy: in a decoy session, burn a login's Argon2 work on pw and
 * answer 503 busy, as a loaded server would (1); else 0. For the routes a
 * decoy must not run (a password or duress change).
 */
int route_account_me_fields(struct req *r, const struct user_row *u,
    json_t *o) __attribute__((warn_unused_result));
int route_account_decoy_busy(struct req *r, const char *pw);
/*
 * Inside r's write transaction, before storing a key pair or a duress
 * verifier prepared (outside it, around an Argon2 run) from before, a row
 * of the account read earlier: 0 if the account is unchanged (same key
 * pair and sealed blob, status, role, enrolment: an erasure or a reset
 * writes a new blob); else -1
 * after answering 409 account-changed (or 404/503).
 */
int route_account_unchanged(struct req *r, const struct user_row *before)
    __attribute__((warn_unused_result));

/* route_user.c's account JSON ({id, username, role, status, enrolled};
 * a new reference) and lookup (user id into u, or answer 404 or 503;
 * 0 or -1), shared with route_account.c. */
json_t *route_user_json(const struct user_row *u);
int route_user_load(struct req *r, const char *id, struct user_row *u)
    __attribute__((warn_unused_result));

#endif
