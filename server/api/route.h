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

#endif
