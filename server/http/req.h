/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * req: one HTTP request as route handlers see it, and the helpers they use
 * to answer. A handler never commits, never audits and never writes to the
 * socket: the dispatcher (router.c) does all three, in that order, so a
 * response leaves only after its audit entry is durable.
 */
#ifndef CORRIDOR_REQ_H
#define CORRIDOR_REQ_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "crypto/skey.h"
#include "schema/store.h"
#include "server/audit/audit_batch.h"
#include "server/audit/audit_entry.h"
#include "server/limits.h"

struct session;
struct spool;
struct MHD_Connection;

/* Longest Content-Disposition value an answer may carry: "attachment;
 * filename=" plus an ASCII fallback and a percent-encoded UTF-8 filename
 * (3 x MAX_FILENAME_BYTES), with room. */
#define REQ_DISPOSITION_BYTES	1152u

/*
 * A streamed body, for answers too large to build in memory (the audit
 * export). read fills buf with up to max bytes and returns how many it
 * wrote (> 0), 0 at the end, or -1 to cut the connection, so the client
 * sees a truncated body, never a complete-looking one. It runs on
 * libmicrohttpd's thread, after the dispatcher has committed the request's
 * audit entry. free runs exactly once: when the body is done or abandoned,
 * or when the answer is replaced (a 503 after a failed commit).
 */
struct req_stream {
	ssize_t	(*read)(void *arg, char *buf, size_t max);
	void	(*free)(void *arg);
	void	 *arg;
};

/*
 * A cap on the streamed bodies of one kind running at once (downloads,
 * exports): each holds a pooled connection for as long as the client
 * reads. Initialise with REQ_STREAMS_INIT(max).
 */
struct req_streams {
	pthread_mutex_t	mu;
	unsigned	running;
	unsigned	max;
};
#define REQ_STREAMS_INIT(max)	{ PTHREAD_MUTEX_INITIALIZER, 0, (max) }

enum req_method {
	M_GET = 1, M_POST, M_PUT, M_PATCH, M_DELETE,
};

#define REQ_MAX_PARAMS	3

/*
 * Where a request runs, set by http.c before router_dispatch (the states
 * and who moves a request between them: docs/architecture.md, "A
 * request's life").
 */
enum req_runner {
	REQ_RUN_INLINE = 0,	/* waits for its own audit entry (shutdown) */
	REQ_RUN_DISPATCH,	/* a dispatch thread: the durability wait may
				 * go to the committer */
	REQ_RUN_WORKER,		/* a libmicrohttpd worker: a quick read that
				 * must neither wait nor write */
};

/* What became of it, set by the router and req.c, read by http.c. */
enum req_fate {
	REQ_ANSWERED = 0,	/* the answer is ready to send */
	REQ_DEFERRED,		/* its audit entry is with the committer; the
				 * answer leaves from the job's done */
	REQ_BOUNCED,		/* on a worker it wanted to write: nothing was
				 * done or audited; run it on a dispatch thread */
};

struct req_sched {
	enum req_runner		 runner;
	enum req_fate		 fate;
	struct audit_event	 audit_ev;	/* the entry, if audit_job.ev */
	struct audit_job	 audit_job;
};

/* Work that may happen only once the request's commit is durable. */
struct req_after {
	int			 checkpoint;	/* truncate the WAL (a shred, an
						 * erased or reset key) before
						 * answering */
	int			 wal_truncate;	/* queue that truncation on the
						 * checkpoint thread instead (a
						 * duress login: the answer must
						 * not wait for it) */
	int			 enrol;		/* swap the session's key pair (a
						 * password change made a new
						 * one) */
	uint8_t			 enrol_pk[32];
	uint8_t			 enrol_sk[32];	/* wiped with sess_key */
	int			 confirm;	/* a password confirmation: live
						 * once its entry is durable */
	int			 twofactor_user; /* an enrolment completed:
						 * mark this session, end the
						 * user's others */
	int			 twofactor_policy; /* 1 off, 2 on: the
						 * cached policy follows */
	uint64_t		 twofactor_policy_seq; /* its commit order */
	int			 commit_failure; /* a refused request whose
						 * writes stand: a two-factor
						 * lockout, written in the
						 * failed login's transaction */
};

struct req {
	/* --- input, filled by http.c and the router --------------------- */
	int			 method;
	const char		*path;		/* below /api/v1, no query */
	struct MHD_Connection	*conn;
	const uint8_t		*body;
	size_t			 body_len;
	struct spool		*upload;	/* a ROUTE_UPLOAD body, sealed and
						 * ready to read (http.c owns it);
						 * NULL if it was not kept */
	json_t			*json;		/* parsed body, or NULL */
	char			 params[REQ_MAX_PARAMS][ID_CHARS + 1];
	unsigned		 nparams;
	char			 request_id[ID_CHARS + 1];
	char			 client_ip[64];	/* for throttling only; never logged */
	const struct route	*route;

	/* --- caller, filled by authentication ------------------------------ */
	struct session		*sess;		/* NULL: anonymous */
	uint8_t			 sess_key[SKEY_KEY_BYTES];	/* the token's K_s:
						 * opens the session's secrets;
						 * wiped when the router is done
						 * (router_dispatch) */
	uint8_t			 org_sk[32];	/* the org secret key, opened for
						 * this request only (access.c);
						 * wiped with sess_key */
	int			 org_open;	/* org_sk holds the key */
	char			 actor_id[ID_CHARS + 1];
	int			 role;		/* enum role */
	int			 user_status;
	int			 decoy;		/* a duress login's session: case
						 * routes answer as for a
						 * caseworker with no assignments
						 * (role is ROLE_CASEWORKER) */

	/* --- database ----------------------------------------------------- */
	struct store		*db;
	struct store		*db_parked;	/* the pool connection, while db
						 * is the writer (req_write_begin) */

	/* --- output ------------------------------------------------------- */
	int			 status;
	json_t			*resp;		/* JSON body (owned) */
	char			*resp_raw;	/* or raw body (malloc'd, owned) */
	size_t			 resp_raw_len;
	int			 resp_raw_secmem; /* resp_raw is a
						 * secmem_buf_alloc buffer */
	const char		*resp_type;	/* content type for resp_raw */
	struct req_stream	*resp_stream;	/* or a streamed body (owned) */
	uint64_t		 resp_stream_len; /* its length if known, + 1
						 * (0: unknown, sent chunked) */
	char			 resp_disposition[REQ_DISPOSITION_BYTES];
						/* Content-Disposition, or "" */
	const unsigned char	*resp_static;	/* or bytes that live for ever
						 * (the UI's files; not owned) */
	size_t			 resp_static_len;
	int			 resp_immutable; /* a hashed asset: cacheable for
						 * ever, not Cache-Control:
						 * no-store */
	const char		*log_route;	/* unrouted answers (the UI's
						 * files): a fixed template for
						 * the request log */
	const char		*problem_type;	/* slug, for errors */
	const char		*problem_detail;
	unsigned		 retry_after_s;	/* 429/503: Retry-After */

	/* --- audit (the dispatcher writes the entry) ------------------------ */
	int			 audit_object_type;
	char			 audit_object_id[ID_CHARS + 1];
	int			 audit_outcome;	/* 0: derived from status */
	const char		*audit_reason;	/* break-glass reason (points into
						 * request headers) */
	size_t			 audit_reason_len;
	int			 audit_action;	/* 0: the route's action */
	uint8_t			 audit_extra[AUDIT_SUBJECT_EXTRA_MAX >
				    AUDIT_BUNDLE_EXTRA_BYTES ?
				    AUDIT_SUBJECT_EXTRA_MAX :
				    AUDIT_BUNDLE_EXTRA_BYTES];
	size_t			 audit_extra_len;	/* 0: no extra */

	/* --- after the commit: what router_finish does once durable ------ */
	struct req_after	 after;

	/* --- scheduling: where it runs, and what became of it --------------- */
	struct req_sched	 sched;
};

/* The id case routes look assignments up by: the caller's, or (a decoy
 * session) one no account has, so nothing is assigned. */
#define REQ_DECOY_SUBJECT	"~decoy~"
#define req_case_subject(r)	((r)->decoy ? REQ_DECOY_SUBJECT : (r)->actor_id)

/* Answer with JSON (steals obj). Status 2xx. */
void req_json(struct req *r, int status, json_t *obj);
/* Answer 204 No Content. */
void req_no_content(struct req *r);
/* Answer with a raw body (steals buf, a malloc'd buffer, wiped before it
 * is freed). */
void req_raw(struct req *r, int status, const char *type, char *buf,
    size_t len);
/* Answer with the JSON text o holds (server/http/jsonout.h), taking its
 * buffer; a failed writer answers 500 instead. Status 2xx. */
struct jsonout;
void req_json_text(struct req *r, int status, struct jsonout *o);
/* Wipe and free r->resp_raw (router_finish, and a replaced answer). */
void req_raw_free(struct req *r);

/* Answer 200 with bytes that outlive the request (not copied, never freed
 * or wiped): the UI's embedded files. immutable: a hashed asset, which
 * the browser may cache for ever. */
void req_static(struct req *r, const char *type, const unsigned char *data,
    size_t len, int immutable);

/* Answer with a streamed body (takes st's contents; on failure to allocate
 * calls st->free and answers 500). Status 2xx. */
void req_stream(struct req *r, int status, const char *type,
    const struct req_stream *st);
/* Drop a stream (runs its free); NULL is fine. For http.c and router.c. */
void req_stream_drop(struct req_stream *st);

/* Take a place among s: 0, or -1 after answering 503 busy with detail
 * (a fixed sentence) and Retry-After 5. */
int req_streams_take(struct req *r, struct req_streams *s,
    const char *detail) __attribute__((warn_unused_result));
/* Give back a place taken with req_streams_take. */
void req_streams_give(struct req_streams *s);

/*
 * Answer with a problem. type is a slug ("not-found"), detail a fixed
 * sentence that never holds user data, SQLite text or paths.
 * req_deny also marks the audit outcome "denied".
 */
void req_problem(struct req *r, int status, const char *type,
    const char *detail);
void req_deny(struct req *r, int status, const char *type, const char *detail);

/* Shorthands for common answers. */
void req_bad_body(struct req *r);	/* 422 invalid-body */
void req_not_found(struct req *r);	/* 404, audited as denied */
void req_internal(struct req *r);	/* 500 */
void req_unavailable(struct req *r);	/* 503 */

/* Record which object the request concerns, for the audit entry. */
void req_audit_object(struct req *r, int type, const char *id);
/* Name the other party of a grant in the entry's extra (a user for
 * case.assign/unassign, a case for evacuation.add_case). An id that is not
 * one we could have issued (jsonin_is_id) is not recorded. */
void req_audit_subject(struct req *r, int type, const char *id);
/* Record a two-byte flag extra, tag || value (audit_entry.h: the second
 * factor of a login, the two-factor policy set). */
void req_audit_flag(struct req *r, unsigned tag, unsigned value);
/* Record a transfer bundle's id and hash in the entry's extra
 * (case.transfer, case.import; audit_entry.h). */
void req_audit_bundle(struct req *r, const uint8_t id[AUDIT_BUNDLE_ID_BYTES],
    const uint8_t hash[32]);

/*
 * Start the request's write transaction (BEGIN IMMEDIATE under the process
 * write lock). The dispatcher appends the audit entry and commits it after
 * the handler returns. 0, or -1 after answering 503.
 */
int req_write_begin(struct req *r) __attribute__((warn_unused_result));

/* For the dispatcher, once r's write transaction has ended (committed or
 * rolled back): r->db is the request's pool connection again. */
void req_write_done(struct req *r);

/* Query parameter, or NULL. Only after the router checked the query. */
const char *req_query(struct req *r, const char *name);
/* Request header, or NULL. */
const char *req_header(struct req *r, const char *name);

/*
 * Parse an unsigned decimal query parameter into *out. Absent: *out = def.
 * 0 ok; -1 invalid (after answering 400).
 */
int req_query_u64(struct req *r, const char *name, uint64_t def,
    uint64_t max, uint64_t *out) __attribute__((warn_unused_result));

/*
 * Refuse query parameters outside the NULL-terminated allowed list.
 * 0 ok; -1 after answering 400 invalid-query.
 */
int req_query_only(struct req *r, const char *const *allowed)
    __attribute__((warn_unused_result));

/*
 * Keyset paging: ?limit= (1..MAX_PAGE_LIMIT, default def_limit) and
 * ?after= (an id; *after is "" when absent), and no other parameter.
 * 0 ok; -1 after answering 400 invalid-query.
 */
int req_page(struct req *r, unsigned def_limit, unsigned *limit,
    const char **after) __attribute__((warn_unused_result));
/* req_page for a listing that also takes filters: allowed lists every
 * parameter, "limit" and "after" included. */
int req_page_filtered(struct req *r, const char *const *allowed,
    unsigned def_limit, unsigned *limit, const char **after)
    __attribute__((warn_unused_result));

/*
 * A text query parameter: 1..max bytes of UTF-8 without NUL or control
 * characters (what jsonin_string asks of a JSON member). 1 present (*out
 * set), 0 absent (*out NULL), -1 after answering 400 invalid-query.
 */
int req_query_text(struct req *r, const char *name, size_t max,
    const char **out) __attribute__((warn_unused_result));
/* A query parameter that must be one of the NULL-terminated names; *out
 * is the matching entry of names. Returns as req_query_text. */
int req_query_enum(struct req *r, const char *name,
    const char *const *names, const char **out)
    __attribute__((warn_unused_result));


#endif
