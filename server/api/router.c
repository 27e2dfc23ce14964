/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * router: route matching and the dispatcher. The dispatcher owns the
 * transaction and the audit entry of every routed request:
 *
 *   handler ok, in a write tx   -> append entry in that tx, commit
 *   handler failed, in a tx     -> roll back, then as below
 *   handler did not write       -> entry joins an audit batch (one tx on
 *                                  the writer connection, audit_batch.c)
 *   append or commit fails      -> drop the response, answer 503
 *   anonymous failure           -> counted only (audit_anon.h): one
 *                                  summary entry per interval
 *
 * and both commit paths end only once the entry is durable (group commit,
 * schema/store.c), so no response leaves before its audit entry is
 * durable, and a handler cannot skip the entry. When http.c allows it
 * (r->sched.runner is not REQ_RUN_INLINE), that last wait is the
 * committer thread's instead of the request thread's (audit_batch.c):
 * the router returns with r->sched.fate REQ_DEFERRED, and http.c sends
 * the answer only from the job's done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "crypto/secmem.h"
#include "server/audit/audit.h"
#include "server/audit/audit_anon.h"
#include "server/audit/audit_batch.h"
#include "server/core/anonlimit.h"
#include "server/core/diskspace.h"
#include "server/http/jsonin.h"
#include "server/limits.h"
#include "server/api/router.h"
#include "server/core/session.h"
#include "server/core/twofactor.h"
#include "schema/store_user.h"
#include "server/log/log.h"

/* The one routing table: each resource's rows, in order. */
static const struct route *const tables[] = {
	route_health_table,
	route_session_table,
	route_user_table,
	route_lookup_table,	/* before /cases/{id}: literal paths */
	route_case_table,
	route_contact_table,
	route_evac_table,
	route_audit_table,
	route_attach_table,
	route_account_table,
	route_twofactor_table,
	route_transfer_table,
};

static const char *const method_names[] = {
	[M_GET] = "GET", [M_POST] = "POST", [M_PUT] = "PUT",
	[M_PATCH] = "PATCH", [M_DELETE] = "DELETE",
};

int
router_method(const char *m)
{
	for (int i = M_GET; i <= M_DELETE; i++)
		if (strcmp(m, method_names[i]) == 0)
			return i;
	return 0;
}

const char *
router_method_name(int m)
{
	if (m < M_GET || m > M_DELETE)
		return "?";
	return method_names[m];
}

const struct route *
router_next(const struct route *prev)
{
	size_t t;

	if (prev == NULL)
		return tables[0];
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		const struct route *row = tables[t];

		for (; row->pattern != NULL; row++) {
			if (row != prev)
				continue;
			if ((row + 1)->pattern != NULL)
				return row + 1;
			return t + 1 < sizeof(tables) / sizeof(tables[0]) ?
			    tables[t + 1] : NULL;
		}
	}
	return NULL;
}

/*
 * Match path against pattern; capture {..} segments into r->params.
 * Returns 1 match, 0 no match, -1 the shape matches but a parameter is not
 * a well-formed id (so no such object can exist).
 */
static int
match(const char *pattern, const char *path, struct req *r)
{
	const char *p = pattern, *s = path;
	unsigned n = 0;
	int bad = 0;

	while (*p != '\0' && *s != '\0') {
		/* a trailing "*" takes the rest of the path, which the
		 * handler parses itself (the tlog tile paths) */
		if (p[0] == '*' && p[1] == '\0') {
			r->nparams = n;
			return 1;
		}
		if (*p == '{') {
			const char *pe = strchr(p, '}');
			size_t len = strcspn(s, "/");

			if (pe == NULL || n >= REQ_MAX_PARAMS)
				return 0;
			if (len > ID_CHARS)
				bad = 1;
			else {
				memcpy(r->params[n], s, len);
				r->params[n][len] = '\0';
				if (!jsonin_is_id(r->params[n]))
					bad = 1;
			}
			n++;
			p = pe + 1;
			s += len;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	if (*p != '\0' || *s != '\0')
		return 0;
	r->nparams = n;
	return bad ? -1 : 1;
}

/* Only unreserved characters and '/', no empty, '.' or '..' segments. */
static int
path_ok(const char *path)
{
	size_t n = strlen(path);

	if (n == 0 || n > MAX_PATH_BYTES || path[0] != '/')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = path[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '/' || c == '.'))
			return 0;
		if (c == '/' && (path[i + 1] == '/' || path[i + 1] == '.'))
			return 0;
	}
	return 1;
}

struct qcount {
	size_t	n, bytes;
};

static enum MHD_Result
count_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct qcount *q = cls;

	(void)kind;
	q->n++;
	q->bytes += strlen(key) + (value ? strlen(value) : 0) + 2;
	return MHD_YES;
}

static int
content_type_json(struct req *r)
{
	const char *ct = req_header(r, "Content-Type");
	size_t n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';';
}

/*
 * The gate for requests without a valid session, before any work is done
 * for them: the per-source rate limit (429), then the disk reserve (503
 * low-disk; logins still pass, so that signed-in work can start). 0 to go
 * on, -1 answered.
 */
static int
anonymous_gate(struct req *r, int is_login)
{
	unsigned retry;

	if (anonlimit_take(r->client_ip, &retry) != 0) {
		req_deny(r, 429, "rate-limited",
		    "Too many requests without a valid session from this "
		    "address; wait before trying again.");
		r->retry_after_s = retry;
		return -1;
	}
	if (!is_login && diskspace_low()) {
		req_problem(r, 503, "low-disk",
		    "The server is short of disk space; only signed-in work "
		    "continues.");
		r->retry_after_s = 60;
		return -1;
	}
	return 0;
}

/*
 * A duress login's decoy session (server/api/route_session.c): its caller
 * is authorized as a caseworker whatever their role, and case routes look
 * assignments up by an id nobody has, so every case route answers as for a
 * caseworker with no assignments and no role route (users, audit, org key)
 * is open to it. GET /me still reads the account's own row.
 */
static void
decoy_caller(struct req *r)
{
	if (!session_decoy(r->sess))
		return;
	r->decoy = 1;
	r->role = ROLE_CASEWORKER;
}

static unsigned role_bit(int role);

/*
 * A decoy of a coordinator or an admin opens their home screen: where it
 * costs nothing, the answer is a plausible empty one, not the 403 a
 * caseworker gets (which would tell the captor that the account's role
 * changed): GET /alerts shows no alert and nothing waiting. 1 answered,
 * 0 not a decoy's home route.
 */
static int
decoy_home(struct req *r, const struct route *row)
{
	if (!r->decoy || r->user_status != USER_ACTIVE ||
	    !(row->roles & role_bit(session_role(r->sess))))
		return 0;
	if (row->method == M_GET && strcmp(row->pattern, "/alerts") == 0) {
		req_json(r, 200, json_pack("{s:[], s:[]}", "alerts",
		    "waiting"));
		return 1;
	}
	return 0;
}

/* Authenticate from "Authorization: Bearer <token>". 0 ok, -1 answered. */
static int
authenticate(struct req *r)
{
	const char *h = req_header(r, "Authorization");

	/* the auth scheme is case-insensitive (RFC 9110 11.1) */
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 ||
	    (r->sess = session_lookup(h + 7, strlen(h + 7), r->sess_key)) ==
	    NULL) {
		if (anonymous_gate(r, 0) != 0)
			return -1;
		req_deny(r, 401, "unauthenticated",
		    "A valid session token is required.");
		return -1;
	}
	memcpy(r->actor_id, session_user_id(r->sess), sizeof(r->actor_id));
	r->role = session_role(r->sess);
	r->user_status = session_status(r->sess);
	decoy_caller(r);
	return 0;
}

static unsigned
role_bit(int role)
{
	switch (role) {
	case ROLE_ADMIN:	return R_ADMIN;
	case ROLE_COORDINATOR:	return R_COORD;
	case ROLE_CASEWORKER:	return R_CASEWORKER;
	case ROLE_AUDITOR:	return R_AUDITOR;
	}
	return R_ANON;
}

static int
derive_outcome(const struct req *r)
{
	if (r->audit_outcome != 0)
		return r->audit_outcome;
	if (r->status < 400)
		return AUDIT_ALLOWED;
	if (r->status == 401 || r->status == 403 || r->status == 404)
		return AUDIT_DENIED;
	return AUDIT_ERROR;
}

/* Leave the durability wait to the committer: the connection goes back
 * to the pool first, so waiting requests never hold one. */
static void
defer(struct req *r)
{
	if (r->db != NULL) {
		store_pool_release(r->db);
		r->db = NULL;
	}
	r->sched.fate = REQ_DEFERRED;
}

/*
 * Whether ev, about to be logged for r, is an anonymous failure that is
 * only counted (server/audit/audit_anon.h): no session, not allowed. A
 * failed login naming an existing account stays one entry, so its owner
 * and the auditors see attempts on it; the login throttle bounds those to
 * THROTTLE_FREE_FAILURES and then about one a minute per account -- and
 * below the disk reserve they are counted too.
 */
static int
anonymous_failure(const struct req *r, const struct audit_event *ev)
{
	if (r->actor_id[0] != '\0' || ev->outcome == AUDIT_ALLOWED)
		return 0;
	if (ev->action == AUDIT_SESSION_FAIL && ev->object_id != NULL &&
	    ev->object_type == AUDIT_OBJ_USER && !diskspace_low())
		return 0;
	return 1;
}

/*
 * The two-factor policy (server/core/twofactor.h): while every account
 * must use two-factor login, a session whose user has none may only set
 * it up (ROUTE_TWOFACTOR_SETUP), read /me and log out. 0 to go on, -1
 * answered.
 */
static int
twofactor_gate(struct req *r, const struct route *row)
{
	if (!twofactor_policy_required() || session_twofactor(r->sess) ||
	    (row->flags & ROUTE_TWOFACTOR_SETUP))
		return 0;
	req_deny(r, 403, "two-factor-required",
	    "Set up two-factor login (POST /me/totp) before doing anything "
	    "else.");
	return -1;
}

/* Two-factor changes that take effect only once durable: an enrolment
 * marks only the session that proved the code and ends the user's other
 * sessions (as a password change does: none of them gave a code, and one
 * may be the stolen token that is being locked out), a policy change
 * reaches the cache. */
static void
twofactor_after_audit(struct req *r)
{
	if (r->status >= 300)
		return;
	if (r->after.twofactor_user && r->sess != NULL &&
	    r->actor_id[0] != '\0') {
		session_set_twofactor(r->sess);
		session_end_user(r->actor_id, r->sess);
	}
	if (r->after.twofactor_policy != 0)
		twofactor_policy_cache(r->after.twofactor_policy == 2,
		    r->after.twofactor_policy_seq);
}

/* What a request may do only once its audit entry is durable and its
 * answer stands: a password confirmation opens the org key's window; a
 * duress login's erased key is pushed out of the WAL. */
static void
after_audit(struct req *r)
{
	if (r->after.confirm && r->status < 300 && r->sess != NULL)
		session_confirm(r->sess, 1);
	/* a duress login erased a key: its old page leaves the WAL soon */
	if (r->after.wal_truncate && r->status < 300)
		store_checkpoint_truncate_soon();
	twofactor_after_audit(r);
}

/* The audit step. See the comment at the top of the file. */
static void
audit_and_commit(struct req *r)
{
	struct audit_event ev;
	int ok = r->status < 400, rc;

	/* a refusal's writes are undone, but for a lockout's (route_session.c):
	 * the login is refused and the lock must stand */
	if (r->db != NULL && store_in_write(r->db) && !ok &&
	    !r->after.commit_failure) {
		(void)store_write_end(r->db, 0);
		req_write_done(r);
	}

	memset(&ev, 0, sizeof(ev));
	ev.actor_id = r->actor_id;
	ev.role = r->role;
	ev.action = r->audit_action ? r->audit_action : r->route->action;
	/* a login that made no session failed, whatever stopped it (a
	 * malformed body too): session.fail, never session.create/error */
	if (ev.action == AUDIT_SESSION_CREATE && !ok)
		ev.action = AUDIT_SESSION_FAIL;
	ev.object_type = r->audit_object_type ? r->audit_object_type :
	    r->route->object_type;
	ev.object_id = r->audit_object_id[0] ? r->audit_object_id : NULL;
	ev.outcome = derive_outcome(r);
	ev.request_id = r->request_id;
	ev.reason = r->audit_reason;
	ev.reason_len = r->audit_reason_len;
	ev.extra = r->audit_extra_len > 0 ? r->audit_extra : NULL;
	ev.extra_len = r->audit_extra_len;

	if (anonymous_failure(r, &ev)) {
		/* counted, and written as a summary by the committer
		 * (audit_anon.h); nothing was written or read for it */
		audit_anon_count(ev.action, ev.outcome, r->status);
		if (r->db != NULL)
			store_read_end(r->db);
		return;
	}
	if ((r->db == NULL || !store_in_write(r->db)) &&
	    store_pool_writer() != NULL) {
		/* nothing written: the entry joins a batch on the writer
		 * connection. The read snapshot ends first: held while
		 * waiting, it would stall a truncating WAL checkpoint, and
		 * with it every writer. */
		if (r->db != NULL)
			store_read_end(r->db);
		if (r->sched.runner != REQ_RUN_INLINE) {
			r->sched.audit_ev = ev;
			memset(&r->sched.audit_job, 0, sizeof(r->sched.audit_job));
			r->sched.audit_job.ev = &r->sched.audit_ev;
			defer(r);
			return;
		}
		if (audit_batch_commit(&ev) != 0)
			req_unavailable(r);
		else
			after_audit(r);
		return;
	}
	if (r->db == NULL)
		r->db = store_pool_acquire();
	if (!store_in_write(r->db) && store_write_begin(r->db) != STORE_OK)
		goto fail;
	if (audit_append(r->db, &ev) != 0)
		goto fail;
	if (r->sched.runner != REQ_RUN_INLINE && !r->after.checkpoint &&
	    !r->after.enrol) {
		/* committed here, made durable by the committer */
		memset(&r->sched.audit_job, 0, sizeof(r->sched.audit_job));
		rc = audit_commit_deferred(r->db, 1, &r->sched.audit_job.mark);
		req_write_done(r);
		if (rc != STORE_OK)
			goto fail_committed;
		defer(r);
		return;
	}
	rc = audit_commit(r->db);
	req_write_done(r);
	if (rc != STORE_OK)
		goto fail_committed;
	/* after a shred, an erased or a reset key: push the deleted pages
	 * out of the WAL. Checked and retried (store.h); the request has
	 * succeeded whatever this does, and a truncation still failing goes
	 * on in the background */
	if (r->after.checkpoint && ok &&
	    store_checkpoint_truncate_retry(r->db) != STORE_OK)
		log_line(LOG_WARN, "req=%s WAL truncation after a shred failed; "
		    "retrying in the background", r->request_id);
	/* a password change: the new key pair is live only once it is
	 * stored */
	if (r->after.enrol && ok && r->sess != NULL)
		session_set_keypair(r->sess, r->sess_key, r->after.enrol_pk,
		    r->after.enrol_sk);
	after_audit(r);
	return;
fail:
	(void)store_write_end(r->db, 0);
	req_write_done(r);
fail_committed:
	/* fail closed: whatever the handler produced does not leave */
	req_unavailable(r);
}

void
router_audit_now(struct req *r)
{
	int rc;

	if (r->sched.audit_job.ev != NULL)
		rc = audit_batch_commit(r->sched.audit_job.ev);
	else
		rc = audit_durable_wait(&r->sched.audit_job.mark) == STORE_OK ? 0 :
		    -1;
	router_audited(r, rc);
}

void
router_audited(struct req *r, int rc)
{
	if (rc != 0)
		req_unavailable(r);	/* nothing of the answer leaves */
	else
		after_audit(r);
}

enum router_where
router_where(const char *method, const char *url)
{
	const struct route *row;
	struct req scratch;
	int m;

	if (strncmp(url, "/api/v1/", 8) != 0 || !path_ok(url + 7))
		return ROUTER_INLINE;	/* 404 at once */
	m = router_method(method);
	for (row = router_next(NULL); row != NULL; row = router_next(row)) {
		if (row->method != m || match(row->pattern, url + 7, &scratch) == 0)
			continue;
		/* everything else (audited routes that may write or take
		 * long, GET /me for the flush barrier) goes to a dispatch
		 * thread */
		if (row->flags & ROUTE_INLINE)
			return ROUTER_INLINE;
		return (row->flags & ROUTE_WORKER) ? ROUTER_WORKER :
		    ROUTER_DISPATCH;
	}
	return ROUTER_INLINE;	/* 404 or 405 at once */
}

uint64_t
router_upload(const char *method, const char *url)
{
	const struct route *row;
	struct req scratch;
	int m;

	if (strncmp(url, "/api/v1/", 8) != 0 || !path_ok(url + 7))
		return 0;
	m = router_method(method);
	for (row = router_next(NULL); row != NULL; row = router_next(row))
		if (row->method == m && match(row->pattern, url + 7, &scratch) > 0)
			return !(row->flags & ROUTE_UPLOAD) ? 0 :
			    (row->flags & ROUTE_BUNDLE) ? MAX_BUNDLE_BYTES :
			    MAX_ATTACHMENT_BYTES;
	return 0;
}

int
router_lookup(struct req *r, const char *method, const char *url)
{
	const struct route *row, *path_hit = NULL;
	int m, rc;

	r->route = NULL;
	if (strncmp(url, "/api/v1/", 8) != 0 || !path_ok(url + 7)) {
		req_problem(r, 404, "not-found", "No such resource.");
		return 404;
	}
	r->path = url + 7;
	m = router_method(method);
	for (row = router_next(NULL); row != NULL; row = router_next(row)) {
		rc = match(row->pattern, r->path, r);
		if (rc == 0)
			continue;
		path_hit = row;
		if (row->method != m)
			continue;
		if (rc < 0) {
			/* well-formed route, ill-formed id: cannot exist */
			req_problem(r, 404, "not-found", "No such object.");
			return 404;
		}
		r->route = row;
		return 0;
	}
	if (path_hit != NULL) {
		req_problem(r, 405, "method-not-allowed",
		    "This method is not allowed on this resource.");
		return 405;
	}
	req_problem(r, 404, "not-found", "No such resource.");
	return 404;
}

/*
 * Wipe every key the request opened: K_s from its token, the org key, a
 * new key pair. Runs before router_dispatch returns, on every path, so
 * no key outlives the handler and the commit, whichever thread then sends
 * the answer (a deferred answer leaves from the committer's callback,
 * after this).
 */
static void
wipe_request_keys(struct req *r)
{
	secmem_wipe(r->sess_key, sizeof(r->sess_key));
	secmem_wipe(r->org_sk, sizeof(r->org_sk));
	r->org_open = 0;
	secmem_wipe(r->after.enrol_pk, sizeof(r->after.enrol_pk));
	secmem_wipe(r->after.enrol_sk, sizeof(r->after.enrol_sk));
}

static void dispatch(struct req *, const char *, const char *);

void
router_dispatch(struct req *r, const char *method, const char *url)
{
	dispatch(r, method, url);
	wipe_request_keys(r);
}

static void
dispatch(struct req *r, const char *method, const char *url)
{
	const struct route *row;
	struct qcount q = { 0, 0 };

	r->status = 0;
	if (router_lookup(r, method, url) != 0)
		return;
	row = r->route;
	/* a denial below concerns the object named in the path: an auditor
	 * must see which case an admin or a stranger tried to open, not only
	 * that they tried (the handler may name another object, or none) */
	if (r->nparams > 0)
		req_audit_object(r, row->object_type, r->params[0]);
	if (row->action == AUDIT_NONE && !(row->roles & R_ANON) &&
	    authenticate(r) != 0)
		return;	/* unaudited route (/me): nothing to record */

	/* Everything from here on is audited. */
	if ((row->roles & R_ANON) && row->action != AUDIT_NONE &&
	    anonymous_gate(r, row->action == AUDIT_SESSION_CREATE) != 0)
		goto audit;	/* /health (unaudited) is never gated */
	if (!(row->roles & R_ANON)) {
		if (r->sess == NULL && authenticate(r) != 0)
			goto audit;
		if (!(row->roles & role_bit(r->role))) {
			if (decoy_home(r, row))
				goto audit;
			req_deny(r, 403, "forbidden",
			    "Your role may not do this.");
			goto audit;
		}
		if (r->user_status != USER_ACTIVE &&
		    !(r->user_status == USER_PENDING &&
		    (row->flags & ROUTE_PENDING))) {
			req_deny(r, 403, "account-not-active",
			    "This account is not active.");
			goto audit;
		}
		if (!session_enrolled(r->sess) && !(row->flags & ROUTE_PENDING)) {
			req_deny(r, 403, "enrolment-required",
			    "Replace your first password (PUT /me/password) "
			    "before doing anything else.");
			goto audit;
		}
		if (twofactor_gate(r, row) != 0)
			goto audit;
	}
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, count_arg, &q);
	if (q.n > 0 && (!(row->flags & ROUTE_QUERY) || q.n > 8 ||
	    q.bytes > MAX_QUERY_BYTES)) {
		req_problem(r, 400, "invalid-query",
		    "This resource does not take these query parameters.");
		goto audit;
	}
	if (row->flags & ROUTE_BODY) {
		if (!content_type_json(r)) {
			req_problem(r, 415, "unsupported-media-type",
			    "Send the body as application/json.");
			goto audit;
		}
		switch (jsonin_parse(r->body, r->body_len, &r->json)) {
		case JSONIN_OK:
			break;
		case JSONIN_ELIMIT:
			req_problem(r, 400, "json-limits",
			    "The JSON body is nested too deeply or has too many "
			    "or too long members.");
			goto audit;
		default:
			req_problem(r, 400, "malformed-json",
			    "The body is not valid JSON, or repeats a member.");
			goto audit;
		}
		if (!json_is_object(r->json)) {
			req_bad_body(r);
			goto audit;
		}
	} else if (r->body_len > 0 && !(row->flags & ROUTE_UPLOAD)) {
		req_problem(r, 400, "unexpected-body",
		    "This resource does not take a request body.");
		goto audit;
	}

	if ((r->db = store_pool_acquire()) == NULL) {
		req_unavailable(r);
		goto audit;
	}
	row->handler(r);
	if (r->sched.fate == REQ_BOUNCED)
		return;		/* nothing written; http.c runs it again */
	if (r->status == 0)
		req_internal(r);	/* invariant: handlers always answer */
audit:
	if (row->action == AUDIT_NONE) {
		/* unaudited rows never write; what they read may be a commit
		 * not yet flushed (group commit), which must not leave the
		 * process before it is durable */
		if (r->db != NULL) {
			(void)store_write_end(r->db, 0);
			req_write_done(r);
			if (!(row->flags & ROUTE_INLINE) &&
			    store_durable_barrier() != STORE_OK)
				req_unavailable(r);
		}
		return;
	}
	audit_and_commit(r);
}

void
router_finish(struct req *r)
{
	wipe_request_keys(r);	/* already done; cheap, and kept for safety */
	if (r->db_parked != NULL) {
		/* invariant: the dispatcher has ended the transaction. Rolling
		 * back here could end a transaction that is no longer ours */
		log_line(LOG_ERROR, "internal error: req=%s finished "
		    "inside a write transaction; stopping", r->request_id);
		abort();
	}
	if (r->db != NULL) {
		store_pool_release(r->db);
		r->db = NULL;
	}
	session_release(r->sess);
	r->sess = NULL;
	json_decref(r->json);
	r->json = NULL;
	json_decref(r->resp);
	r->resp = NULL;
	req_raw_free(r);
	req_stream_drop(r->resp_stream);
	r->resp_stream = NULL;
}
