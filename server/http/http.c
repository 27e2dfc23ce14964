/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * http: the daemon and its limits. libmicrohttpd runs its own polling
 * thread over epoll with a pool of worker threads. Limits enforced here:
 *   - header memory per connection, total connections, per-IP connections
 *     and idle timeout, through libmicrohttpd options;
 *   - body size, counted as it streams in (chunked bodies have no
 *     Content-Length, so the count is the only guard);
 *   - a whole-request deadline from accept (server/http/deadline.c cuts
 *     connections whose headers or body drip), since libmicrohttpd's
 *     timeout counts idle time only and sees no request before its
 *     headers are complete;
 *   - two Content-Length headers, or Content-Length with Transfer-Encoding,
 *     are rejected (libmicrohttpd would pick one silently).
 * Normal responses are queued only after the first callback: answering on
 * the first callback makes libmicrohttpd close a keep-alive connection.
 *
 * Shutdown drains: http_stop closes the listening socket, lets every request
 * already in flight finish (up to SHUTDOWN_GRACE_S), answers them with
 * "Connection: close", and only then stops the daemon. MHD_stop_daemon on
 * its own would close connections whose response is still unsent.
 *
 * Uploads (ROUTE_UPLOAD rows: attachments) are the one body not held in
 * memory: up to MAX_ATTACHMENT_BYTES, counted as they arrive (413 the
 * moment the cap is crossed), under ATTACHMENT_DEADLINE_S, written into
 * an encrypted unnamed spool file (spool.h) that the route reads once the
 * request is complete. A body is spooled only for a live session token
 * and an allowed media type, at most MAX_CONCURRENT_UPLOADS at once;
 * otherwise it is counted and dropped, and the router answers (401, 415)
 * and audits as for any request. An abandoned upload's spool vanishes
 * with its connection.
 *
 * Requests that may block -- every audited route waits for a durable
 * commit, and logins wait for Argon2 (which runs on the low-priority
 * threads of server/kdfpool.c) -- do not run on the libmicrohttpd
 * workers: in thread-pool mode each worker owns its connections, so a
 * worker blocked on Argon2 stalls every other client it serves. Such a
 * request's connection is suspended and the request queued for a dispatch
 * thread (HTTP_DISPATCH_THREADS). When the router is done, the request's
 * audit entry (or the commit its handler made) still has to become
 * durable: the dispatch thread hands that wait to the committer thread
 * (audit_batch.c) and takes the next request. The committer resumes the
 * connection once the entry is durable, and the worker queues the answer
 * on its next callback. /health, unrouted paths and the UI's files
 * (static.c, everything outside /api/v1/) run inline.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "crypto/secmem.h"
#include "crypto/token.h"
#include "server/audit/audit_batch.h"
#include "server/http/deadline.h"
#include "server/http/http.h"
#include "server/limits.h"
#include "server/http/problem.h"
#include "server/http/spool.h"
#include "server/http/static.h"
#include "server/core/session.h"
#include "server/api/router.h"
#include "server/log/log.h"
#include "server/log/worker.h"

enum cs_phase {
	CS_READING = 0,		/* headers and body arriving */
	CS_DISPATCHED,		/* suspended, queued or running on a thread */
	CS_DONE,		/* r holds the answer; queue it */
};

struct conn_state {
	struct timespec	 start;
	uint8_t		*body;
	size_t		 body_len;
	size_t		 body_cap;
	int		 reject;	/* answered early: read no more */
	int		 upload;	/* a ROUTE_UPLOAD body (spool.h) */
	uint64_t	 upload_cap;	/* its cap in bytes */
	int		 upload_slot;	/* holds one of uploads_ */
	struct spool	*spool;		/* NULL: the body is dropped */
	uint64_t	 upload_len;
	enum cs_phase	 phase;
	struct req	 r;		/* the request, once complete */
	const char	*method;	/* libmicrohttpd's, valid until completed */
	const char	*url;
	struct conn_state *next;	/* dispatch queue */
};

/*
 * The TLS suites offered (GnuTLS priority string). Only forward-secret
 * AEAD: TLS 1.3, and in TLS 1.2 ECDHE (RSA or ECDSA certificates) with
 * AES-GCM or ChaCha20-Poly1305. No RSA key exchange (a seized key would
 * decrypt recorded traffic), no finite-field DHE (slow, and weak groups in
 * the wild), no CBC or SHA-1 MACs. %SERVER_PRECEDENCE makes the server's
 * order win, so a client cannot pick the weakest suite on the list; the
 * order is GnuTLS's NORMAL order (AES-256-GCM first where AES-NI exists).
 */
#define HTTP_TLS_PRIORITIES						\
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"			\
	"-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"				\
	"-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:"	\
	"-MAC-ALL:+AEAD:%SERVER_PRECEDENCE"

static struct MHD_Daemon *daemon_;
static int quiet_;
/* Requests begun (first callback) and not yet completed (response sent or
 * connection gone), and whether shutdown has begun. */
static atomic_uint in_flight_;
static atomic_int draining_;
/* Uploads spooling now (MAX_CONCURRENT_UPLOADS), and where they spool. */
static atomic_uint uploads_;
static const char *spool_dir_;

const char *
http_spool_dir(void)
{
	return spool_dir_;
}

/* The dispatch queue and its threads. */
static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct conn_state *head, *tail;
	int		 stop;
	unsigned	 n;
	pthread_t	 threads[HTTP_DISPATCH_THREADS];
} dq = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0,
    0, { 0 } };

static double
elapsed_s(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Response body memory: [len][bytes], in a secmem_buf (MADV_DONTDUMP:
 * never in a core file); wiped and freed by libmicrohttpd's callback,
 * because case content passes through it. */
struct wiped {
	size_t	len;
	char	data[];
};

static void
free_wiped(void *cls)
{
	struct wiped *w = (struct wiped *)((char *)cls - offsetof(struct wiped,
	    data));

	secmem_buf_free(w);	/* wipes the whole buffer */
}

static struct MHD_Response *
response_from(const char *data, size_t len)
{
	struct wiped *w;
	struct MHD_Response *resp;

	if ((w = secmem_buf_alloc(sizeof(*w) + len + 1)) == NULL)
		return NULL;
	w->len = len;
	memcpy(w->data, data, len);
	resp = MHD_create_response_from_buffer_with_free_callback(len, w->data,
	    free_wiped);
	if (resp == NULL)
		free_wiped(w->data);
	return resp;
}

/* json_dump_callback sink: appends to a struct wiped, growing it; an old
 * buffer is wiped before it is freed. */
struct dump_buf {
	struct wiped	*w;
	size_t		 cap;
};

static int
dump_append(const char *p, size_t n, void *arg)
{
	struct dump_buf *d = arg;
	struct wiped *nw;
	size_t cap;

	if (n > MAX_RESPONSE_BYTES - d->w->len)
		return -1;
	if (d->w->len + n > d->cap) {
		for (cap = d->cap * 2; cap < d->w->len + n; cap *= 2)
			;
		if ((nw = secmem_buf_alloc(sizeof(*nw) + cap)) == NULL)
			return -1;
		nw->len = d->w->len;
		memcpy(nw->data, d->w->data, d->w->len);
		secmem_buf_free(d->w);	/* wipes */
		d->w = nw;
		d->cap = cap;
	}
	memcpy(d->w->data + d->w->len, p, n);
	d->w->len += n;
	return 0;
}

/* A response holding v as compact JSON, serialized once straight into
 * the buffer libmicrohttpd sends and then wipes. NULL on error. */
static struct MHD_Response *
response_json(const json_t *v)
{
	struct dump_buf d;
	struct MHD_Response *resp;

	d.cap = 3968;	/* with the headers, one page */
	if ((d.w = secmem_buf_alloc(sizeof(*d.w) + d.cap)) == NULL)
		return NULL;
	d.w->len = 0;
	if (json_dump_callback(v, dump_append, &d, JSON_COMPACT) != 0 ||
	    d.w->len == 0) {
		free_wiped(d.w->data);
		return NULL;
	}
	resp = MHD_create_response_from_buffer_with_free_callback(d.w->len,
	    d.w->data, free_wiped);
	if (resp == NULL)
		free_wiped(d.w->data);
	return resp;
}

/*
 * The headers every answer carries, in this one place: JSON, problems,
 * the UI's files, streams and empty answers all pass through here (the
 * ones libmicrohttpd writes on its own for malformed HTTP cannot: see
 * docs/ui.md). The policy is the browser's part of the threat model: only
 * our own scripts and styles run, nothing inline, nothing from another
 * origin, no framing, Trusted Types for every DOM sink, no referrer, no
 * sniffing, and no cache holding case data. immutable: a hashed asset
 * (static.c), the one thing a browser may keep.
 */
static void
add_common_headers(struct MHD_Response *resp, int immutable)
{
	MHD_add_response_header(resp, "Content-Security-Policy",
	    "default-src 'none'; script-src 'self'; style-src 'self'; "
	    "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
	    "frame-ancestors 'none'; base-uri 'none'; "
	    "require-trusted-types-for 'script'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy",
	    "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy",
	    "same-origin");
	MHD_add_response_header(resp, "Permissions-Policy",
	    "camera=(), microphone=(), geolocation=()");
	MHD_add_response_header(resp, "Cache-Control", immutable ?
	    "public, max-age=31536000, immutable" : "no-store");
	/* shutting down: no further request on this connection */
	if (atomic_load(&draining_))
		MHD_add_response_header(resp, "Connection", "close");
}

static enum MHD_Result
queue_problem(struct MHD_Connection *c, int status, const char *type,
    const char *detail, unsigned retry_after)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *body, ra[16];
	size_t len = 0;

	if ((body = problem_body(status, type, detail, &len)) == NULL)
		return MHD_NO;
	resp = response_from(body, len);
	free(body);
	if (resp == NULL)
		return MHD_NO;
	add_common_headers(resp, 0);
	MHD_add_response_header(resp, "Content-Type", "application/problem+json");
	if (retry_after > 0) {
		snprintf(ra, sizeof(ra), "%u", retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	if (status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
	ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A streamed body (req_stream): libmicrohttpd pulls it in blocks. Our read
 * says 0 at the end; libmicrohttpd's 0 would mean "nothing yet". */
static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct req_stream *st = cls;
	ssize_t n;

	(void)pos;
	n = st->read(st->arg, buf, max);
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void
stream_free(void *cls)
{
	req_stream_drop(cls);
}

/* Serialize r's answer and queue it. */
static enum MHD_Result
queue_req(struct req *r)
{
	struct MHD_Response *resp = NULL;
	enum MHD_Result ret;
	char ra[16];

	if (r->problem_type != NULL || r->status >= 400)
		return queue_problem(r->conn, r->status, r->problem_type,
		    r->problem_detail, r->retry_after_s);
	if (r->resp != NULL) {
		if ((resp = response_json(r->resp)) != NULL)
			MHD_add_response_header(resp, "Content-Type",
			    "application/json");
	} else if (r->resp_stream != NULL) {
		struct req_stream *st = r->resp_stream;

		r->resp_stream = NULL;	/* libmicrohttpd owns it now */
		resp = MHD_create_response_from_callback(r->resp_stream_len ?
		    r->resp_stream_len - 1 : MHD_SIZE_UNKNOWN,
		    HTTP_STREAM_BLOCK_BYTES, stream_read, st, stream_free);
		if (resp == NULL)
			req_stream_drop(st);
		else
			MHD_add_response_header(resp, "Content-Type",
			    r->resp_type ? r->resp_type : "text/plain");
	} else if (r->resp_static != NULL) {
		/* the embedded bytes live as long as the process */
		resp = MHD_create_response_from_buffer(r->resp_static_len,
		    (void *)(uintptr_t)r->resp_static, MHD_RESPMEM_PERSISTENT);
		if (resp != NULL)
			MHD_add_response_header(resp, "Content-Type",
			    r->resp_type);
	} else if (r->resp_raw != NULL) {
		resp = response_from(r->resp_raw, r->resp_raw_len);
		if (resp != NULL)
			MHD_add_response_header(resp, "Content-Type",
			    r->resp_type ? r->resp_type : "text/plain");
	} else {
		resp = response_from("", 0);
	}
	if (resp == NULL)
		goto fail;
	add_common_headers(resp, r->resp_immutable);
	if (r->resp_disposition[0] != '\0')
		MHD_add_response_header(resp, "Content-Disposition",
		    r->resp_disposition);
	if (r->retry_after_s > 0) {
		snprintf(ra, sizeof(ra), "%u", r->retry_after_s);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
fail:
	return queue_problem(r->conn, 500, "internal",
	    "The server could not complete the request.", 0);
}

struct hdr_count {
	unsigned	content_length;
	unsigned	transfer_encoding;
};

static enum MHD_Result
count_headers(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct hdr_count *h = cls;

	(void)kind;
	(void)value;
	if (strcasecmp(key, "Content-Length") == 0)
		h->content_length++;
	else if (strcasecmp(key, "Transfer-Encoding") == 0)
		h->transfer_encoding++;
	return MHD_YES;
}

static void
log_request(const struct req *r, const char *method, double secs)
{
	static const char *const known[] = {
		"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
	};
	const char *m = "-";

	if (quiet_)
		return;
	/* the method is client text: log it only if it is a known one */
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(method, known[i]) == 0)
			m = known[i];
	/* ids of requests and route templates only: never people's ids,
	 * names, tokens, paths as sent, or bodies */
	log_line(LOG_INFO, "req=%s %s %s status=%d ms=%.1f",
	    r->request_id, m,
	    r->route ? r->route->pattern : r->log_route ? r->log_route : "-",
	    r->status, secs * 1000.0);
}

/* The peer address, for per-address throttling only (never logged). */
static void
client_ip(struct MHD_Connection *c, char *out, size_t out_len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(out, out_len, "?");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    out, (socklen_t)out_len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    out, (socklen_t)out_len);
}

/* Queue the answer the router left in cs->r, log it, release it. */
static enum MHD_Result
answer(struct conn_state *cs, const char *method)
{
	enum MHD_Result ret;

	ret = queue_req(&cs->r);
	log_request(&cs->r, method, elapsed_s(&cs->start));
	router_finish(&cs->r);
	return ret;
}

/* A fresh request in cs from what libmicrohttpd has read. */
static void
request_init(struct conn_state *cs, struct MHD_Connection *c)
{
	struct req *r = &cs->r;

	memset(r, 0, sizeof(*r));
	r->conn = c;
	r->body = cs->body;
	r->body_len = cs->body_len;
	r->upload = cs->spool;
	token_new_id(r->request_id);
	client_ip(c, r->client_ip, sizeof(r->client_ip));
}

static void on_audited(struct audit_job *, int);

/* Hand a deferred request's audit wait to the committer, which resumes
 * the (suspended) connection once the entry is durable: 0. If no
 * committer runs (shutting down), wait here instead and return -1: the
 * caller resumes the connection itself. */
static int
to_committer(struct conn_state *cs)
{
	cs->r.sched.audit_job.done = on_audited;
	cs->r.sched.audit_job.arg = cs;
	if (audit_batch_submit(&cs->r.sched.audit_job) == 0)
		return 0;
	router_audit_now(&cs->r);
	return -1;
}

/*
 * A ROUTE_WORKER read, here on the worker: the handler reads, and the wait
 * for its audit entry is the committer's, so the worker never blocks.
 * Returns 0 if the request is answered (*ret) or suspended until its
 * entry is durable (*ret MHD_YES), or -1 if the handler had to write:
 * nothing was done or audited, and cs holds a fresh request for a
 * dispatch thread.
 */
static int
worker_run(struct conn_state *cs, struct MHD_Connection *c,
    const char *method, const char *url, enum MHD_Result *ret)
{
	struct req *r = &cs->r;

	r->sched.runner = REQ_RUN_WORKER;
	router_dispatch(r, method, url);
	if (r->sched.fate == REQ_BOUNCED) {
		router_finish(r);
		request_init(cs, c);
		return -1;
	}
	*ret = MHD_YES;
	if (r->sched.fate != REQ_DEFERRED) {
		*ret = answer(cs, method);
		return 0;
	}
	/* suspended before the committer can resume it */
	cs->phase = CS_DISPATCHED;
	MHD_suspend_connection(c);
	if (to_committer(cs) != 0) {
		cs->phase = CS_DONE;
		MHD_resume_connection(c);
	}
	return 0;
}

/* The whole-request deadline of cs. */
static double
deadline_s(const struct conn_state *cs)
{
	return cs->upload ? (double)ATTACHMENT_DEADLINE_S :
	    (double)REQUEST_DEADLINE_S;
}

/* The media types an upload may have (docs/cases.md): what the route
 * stores. Parameters (charset) are allowed after ';'. */
static int
upload_type_ok(const char *ct)
{
	static const char *const ok[] = { "image/jpeg", "image/png",
	    "application/pdf", "text/plain", BUNDLE_MEDIA_TYPE, NULL };
	size_t n;

	if (ct == NULL)
		return 0;
	for (size_t i = 0; ok[i] != NULL; i++) {
		n = strlen(ok[i]);
		if (strncasecmp(ct, ok[i], n) == 0 &&
		    (ct[n] == '\0' || ct[n] == ';'))
			return 1;
	}
	return 0;
}

/*
 * An upload's headers are in: decide whether its body is kept. It is
 * spooled only for a live session and an allowed media type; the router
 * still authorises the request in full once the body is in. 0 to read
 * the body, or -1 when the upload slots are full (the caller answers
 * 503 before the body is sent).
 */
static int
upload_admit(struct conn_state *cs, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Authorization");
	struct session *sess;
	uint8_t ks[SKEY_KEY_BYTES];

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 ||
	    !upload_type_ok(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Content-Type")))
		return 0;	/* dropped; the router answers */
	sess = session_lookup(h + 7, strlen(h + 7), ks);
	secmem_wipe(ks, sizeof(ks));
	if (sess == NULL)
		return 0;
	session_release(sess);
	if (atomic_fetch_add(&uploads_, 1) >= MAX_CONCURRENT_UPLOADS) {
		atomic_fetch_sub(&uploads_, 1);
		return -1;
	}
	cs->upload_slot = 1;
	if (spool_dir_ == NULL || (cs->spool = spool_new(spool_dir_)) == NULL)
		return -1;
	return 0;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct conn_state *cs = *con_cls;
	struct hdr_count hc = { 0, 0 };
	const char *cl;
	struct req *r;
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	if (cs == NULL) {
		if ((cs = calloc(1, sizeof(*cs))) == NULL)
			return MHD_NO;
		/* the deadline runs from accept or the request line */
		deadline_headers_done(c, &cs->start);
		*con_cls = cs;
		atomic_fetch_add(&in_flight_, 1);
		MHD_get_connection_values(c, MHD_HEADER_KIND, count_headers, &hc);
		if (hc.content_length > 1 ||
		    (hc.content_length > 0 && hc.transfer_encoding > 0) ||
		    hc.transfer_encoding > 1) {
			/* ambiguous framing: answer now and close */
			return queue_problem(c, 400, "ambiguous-framing",
			    "Send one Content-Length, or chunked encoding, "
			    "not both.", 0);
		}
		cs->upload_cap = router_upload(method, url);
		cs->upload = cs->upload_cap != 0;
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    "Content-Length");
		if (cl != NULL && (strlen(cl) > 10 ||
		    strtoull(cl, NULL, 10) > (cs->upload ?
		    cs->upload_cap : MAX_BODY_BYTES)))
			return queue_problem(c, 413, "body-too-large",
			    "The request body is larger than allowed.", 0);
		if (cs->upload)
			deadline_allow(c, ATTACHMENT_DEADLINE_S);
		if (cs->upload && upload_admit(cs, c) != 0)
			return queue_problem(c, 503, "busy",
			    "Too many uploads at once; retry.", 5);
		return MHD_YES;
	}

	if (*upload_data_size != 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (cs->reject)
			return MHD_NO;	/* answered already; stop reading */
		if (elapsed_s(&cs->start) > deadline_s(cs)) {
			/* slow drip. libmicrohttpd 0.9.75 refuses a response
			 * before the body ends, so the queue fails and the
			 * connection is closed; a later version answers 408. */
			cs->reject = 408;
			return queue_problem(c, 408, "request-timeout",
			    "The request took too long to arrive.", 0);
		}
		if (cs->upload) {
			/* counted whether kept or dropped */
			if (n > cs->upload_cap - cs->upload_len) {
				cs->reject = 413;
				spool_free(cs->spool);
				cs->spool = NULL;
				return queue_problem(c, 413, "body-too-large",
				    "The request body is larger than allowed.",
				    0);
			}
			cs->upload_len += n;
			if (cs->spool != NULL && spool_write(cs->spool,
			    (const uint8_t *)upload_data, n) != 0) {
				cs->reject = 503;
				spool_free(cs->spool);
				cs->spool = NULL;
				return queue_problem(c, 503, "unavailable",
				    "The upload could not be held; retry.", 5);
			}
			return MHD_YES;
		}
		if (n > MAX_BODY_BYTES - cs->body_len) {
			/* chunked past the cap: as above, 413 where the
			 * library allows it, otherwise the connection closes */
			cs->reject = 413;
			return queue_problem(c, 413, "body-too-large",
			    "The request body is larger than allowed.", 0);
		}
		if (cs->body_len + n > cs->body_cap) {
			size_t cap = cs->body_cap ? cs->body_cap : 1024;
			uint8_t *nb;

			while (cap < cs->body_len + n)
				cap *= 2;
			if (cap > MAX_BODY_BYTES)
				cap = MAX_BODY_BYTES;
			/* bodies hold passwords and case content: a
			 * MADV_DONTDUMP buffer, wiped on free */
			if ((nb = secmem_buf_alloc(cap)) == NULL)
				return MHD_NO;
			if (cs->body_len)
				memcpy(nb, cs->body, cs->body_len);
			secmem_buf_free(cs->body);
			cs->body = nb;
			cs->body_cap = cap;
		}
		memcpy(cs->body + cs->body_len, upload_data, n);
		cs->body_len += n;
		return MHD_YES;
	}

	if (cs->phase == CS_DONE) {
		/* resumed: the dispatch thread has answered */
		cs->phase = CS_READING;
		return answer(cs, method);
	}
	if (cs->phase == CS_DISPATCHED)
		return MHD_YES;		/* invariant: not called while suspended */

	/* the whole request is here */
	if (elapsed_s(&cs->start) > deadline_s(cs))
		return queue_problem(c, 408, "request-timeout",
		    "The request took too long to arrive.", 0);
	deadline_body_done(c);
	if (cs->spool != NULL && spool_seal(cs->spool) != 0) {
		spool_free(cs->spool);
		cs->spool = NULL;
		return queue_problem(c, 503, "unavailable",
		    "The upload could not be held; retry.", 5);
	}
	r = &cs->r;
	request_init(cs, c);
	if (static_claims(url)) {
		/* the UI's files, or a 404: never waits, never audited */
		static_serve(r, method, url);
		return answer(cs, method);
	}
	switch (router_where(method, url)) {
	case ROUTER_INLINE:
		router_dispatch(r, method, url);
		return answer(cs, method);
	case ROUTER_WORKER:
		if (worker_run(cs, c, method, url, &ret) == 0)
			return ret;
		break;	/* it wants to write: to a dispatch thread */
	default:
		break;
	}
	cs->method = method;
	cs->url = url;
	cs->next = NULL;
	pthread_mutex_lock(&dq.mu);
	if (dq.stop) {
		/* shutting down: a keep-alive client may still send requests
		 * after quiesce, and no thread would resume a suspended one
		 * (libmicrohttpd aborts on a suspended connection at stop) */
		pthread_mutex_unlock(&dq.mu);
		r->sched.runner = REQ_RUN_INLINE;
		router_dispatch(r, method, url);
		return answer(cs, method);
	}
	/* suspend before a thread can see it and resume it */
	cs->phase = CS_DISPATCHED;
	MHD_suspend_connection(c);
	if (dq.tail != NULL)
		dq.tail->next = cs;
	else
		dq.head = cs;
	dq.tail = cs;
	pthread_cond_signal(&dq.cv);
	pthread_mutex_unlock(&dq.mu);
	return MHD_YES;
}

/* A deferred request's audit is done (on the committer thread): hand the
 * connection back to its worker, which queues the answer. */
static void
on_audited(struct audit_job *j, int rc)
{
	struct conn_state *cs = j->arg;

	router_audited(&cs->r, rc);
	cs->phase = CS_DONE;
	MHD_resume_connection(cs->r.conn);
}

/* A dispatch thread: run queued requests through the router, then hand
 * each connection back to its libmicrohttpd worker. Drains the queue
 * before it honours stop. */
static void *
dispatch_main(void *arg)
{
	struct conn_state *cs;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&dq.mu);
		while (dq.head == NULL && !dq.stop)
			pthread_cond_wait(&dq.cv, &dq.mu);
		if ((cs = dq.head) == NULL) {
			pthread_mutex_unlock(&dq.mu);
			return NULL;
		}
		if ((dq.head = cs->next) == NULL)
			dq.tail = NULL;
		pthread_mutex_unlock(&dq.mu);
		cs->r.sched.runner = REQ_RUN_DISPATCH;
		router_dispatch(&cs->r, cs->method, cs->url);
		if (cs->r.sched.fate == REQ_DEFERRED && to_committer(cs) == 0)
			continue;	/* the committer resumes it */
		/* resume takes libmicrohttpd's lock: the worker that calls us
		 * back sees CS_DONE and the answer */
		cs->phase = CS_DONE;
		MHD_resume_connection(cs->r.conn);
	}
}

static int
dispatch_start(void)
{
	dq.stop = 0;
	for (dq.n = 0; dq.n < HTTP_DISPATCH_THREADS; dq.n++)
		if (pthread_create(&dq.threads[dq.n], NULL, dispatch_main,
		    NULL) != 0)
			return -1;
	return 0;
}

/* Finish what is queued, then join the threads. */
static void
dispatch_stop(void)
{
	worker_stop(&dq.mu, &dq.cv, &dq.stop, dq.threads, dq.n);
	dq.n = 0;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn_state *cs = *con_cls;

	(void)cls;
	(void)toe;
	deadline_request_done(c);
	if (cs == NULL)
		return;
	if (cs->phase == CS_DONE)
		router_finish(&cs->r);	/* answered, never sent */
	secmem_buf_free(cs->body);	/* wipes: may hold passwords */
	spool_free(cs->spool);		/* an abandoned upload vanishes */
	if (cs->upload_slot)
		atomic_fetch_sub(&uploads_, 1);
	free(cs);
	*con_cls = NULL;
	atomic_fetch_sub(&in_flight_, 1);
}

int
http_start(const struct http_config *cfg, uint16_t *bound_port)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	unsigned int flags;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(cfg->port);
	if (inet_pton(AF_INET, cfg->host, &sa.sin_addr) != 1)
		return -1;
	quiet_ = cfg->quiet;
	spool_dir_ = cfg->spool_dir;
	atomic_store(&uploads_, 0);
	/* before the daemon: its workers hand requests to these threads */
	if (audit_batch_start() != 0)
		return -1;
	if (dispatch_start() != 0 || deadline_start() != 0) {
		deadline_stop();
		dispatch_stop();
		audit_batch_stop();
		return -1;
	}
	atomic_store(&in_flight_, 0);
	atomic_store(&draining_, 0);
	/* MHD_USE_ITC: MHD_quiesce_daemon refuses to work without it */
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	/* One option list; the TLS rows are cut off (MHD_OPTION_END) when
	 * serving plain HTTP. Two-argument options put the first in value
	 * (cast to intptr_t), single pointers go in ptr_value. */
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_SOCK_ADDR, 0, &sa },
		{ MHD_OPTION_THREAD_POOL_SIZE, HTTP_WORKER_THREADS, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, MAX_CONNECTIONS, NULL },
		/* behind a loopback proxy or onion service every client
		 * has the proxy's address: only the total cap applies */
		{ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		  strncmp(cfg->host, "127.", 4) == 0 ? MAX_CONNECTIONS :
		  MAX_CONNECTIONS_PER_IP, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, CONN_IDLE_TIMEOUT_S, NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, MAX_CONN_MEMORY_BYTES, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)deadline_notify, NULL },
		{ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)deadline_request_line,
		  NULL },
		{ MHD_OPTION_END, 0, NULL },	/* TLS_AT: replaced for TLS */
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)cfg->tls_key_pem },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0,
		  (void *)(uintptr_t)HTTP_TLS_PRIORITIES },
		{ MHD_OPTION_END, 0, NULL },
	};
	enum { TLS_AT = 9 };

	if (cfg->tls_cert_pem != NULL) {
		flags |= MHD_USE_TLS;
		opts[TLS_AT].option = MHD_OPTION_HTTPS_MEM_CERT;
		opts[TLS_AT].ptr_value = (void *)(uintptr_t)cfg->tls_cert_pem;
	}
	daemon_ = MHD_start_daemon(flags, cfg->port, NULL, NULL, on_request,
	    NULL, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (daemon_ == NULL) {
		deadline_stop();
		dispatch_stop();
		audit_batch_stop();
		return -1;
	}
	info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
	*bound_port = info ? info->port : cfg->port;
	return 0;
}

void
http_stop(void)
{
	struct timespec start, tick = { 0, 10 * 1000 * 1000 };	/* 10 ms */
	MHD_socket ls;

	if (daemon_ == NULL)
		return;
	atomic_store(&draining_, 1);
	/* stop accepting; the old listening socket is ours to close, or the
	 * kernel would keep queueing connections nobody will accept */
	ls = MHD_quiesce_daemon(daemon_);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (atomic_load(&in_flight_) > 0 &&
	    elapsed_s(&start) < (double)SHUTDOWN_GRACE_S)
		nanosleep(&tick, NULL);
	/* every dispatched request resumes its connection before these
	 * return (the committer last: dispatch threads feed it);
	 * libmicrohttpd aborts at stop on a suspended connection */
	dispatch_stop();
	audit_batch_stop();
	MHD_stop_daemon(daemon_);
	daemon_ = NULL;
	deadline_stop();
}
