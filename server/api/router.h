/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * router: the one routing table and the request dispatcher. For each
 * request: match the route, authenticate, check the role, parse the body,
 * run the handler, then append the audit entry and commit (fail closed),
 * and only then hand the response back to http.c.
 */
#ifndef CORRIDOR_ROUTER_H
#define CORRIDOR_ROUTER_H

#include <stdint.h>

#include "server/http/req.h"
#include "server/api/route.h"

/*
 * Handle r (method/url as libmicrohttpd gave them; body already read).
 * Fills r's output fields. Never fails: errors become problems.
 *
 * Unless the caller set r->sched.runner to REQ_RUN_INLINE, the router may
 * leave the wait for the audit entry's durability to the committer
 * (audit_batch.h): it then sets r->sched.fate to REQ_DEFERRED, and
 * r->sched.audit_job is ready but not submitted. The
 * caller sets audit_job.done and .arg, submits it, and must not send the
 * answer before done has run; done must call router_audited with its rc.
 * The request holds no database connection while it waits.
 */
void router_dispatch(struct req *r, const char *method, const char *url);

/* The end of a deferred request's audit: with rc != 0 the entry was not
 * written, and the answer becomes a 503 with no data. */
void router_audited(struct req *r, int rc);

/* A deferred request's audit, done on the calling thread instead (the
 * committer is not running): waits, then router_audited. */
void router_audit_now(struct req *r);

/*
 * Match method and url against the routing table: 0 with r->route and
 * r->params set, or 404/405 with the problem answered. Pure: touches no
 * connection, session or database (the fuzz target drives it).
 */
int router_lookup(struct req *r, const char *method, const char *url);

/* Where http.c runs a request (method, url). */
enum router_where {
	ROUTER_DISPATCH = 0,	/* may wait: on a dispatch thread */
	ROUTER_INLINE,		/* never waits and is not audited (GET
				 * /health, 404/405): on the worker */
	ROUTER_WORKER,		/* a quick audited read (ROUTE_WORKER): on
				 * the worker, as REQ_RUN_WORKER, so
				 * that its audit is deferred and a write
				 * sends it to a dispatch thread instead */
};
enum router_where router_where(const char *method, const char *url);

/* The body cap in bytes if (method, url) is a ROUTE_UPLOAD route (http.c
 * streams its body into a spool instead of memory), else 0. */
uint64_t router_upload(const char *method, const char *url);

/* Release what dispatch acquired (session, db, json, response). */
void router_finish(struct req *r);

/* Iterate every route (for the spec-coverage test and --routes). */
const struct route *router_next(const struct route *prev);

/* Parse a method name; 0 if unknown. */
int router_method(const char *m);
const char *router_method_name(int m);

#endif
