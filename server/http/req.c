/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* req: how route handlers answer, and their accessors for the request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "crypto/secmem.h"
#include "server/audit/audit.h"
#include "server/http/jsonin.h"
#include "server/http/jsonout.h"
#include "server/http/req.h"

void
req_raw_free(struct req *r)
{
	if (r->resp_raw_secmem) {
		secmem_buf_free(r->resp_raw);	/* wipes */
	} else if (r->resp_raw != NULL) {
		secmem_wipe(r->resp_raw, r->resp_raw_len);
		free(r->resp_raw);
	}
	r->resp_raw = NULL;
	r->resp_raw_len = 0;
	r->resp_raw_secmem = 0;
}

static void
clear_answer(struct req *r)
{
	json_decref(r->resp);
	r->resp = NULL;
	req_raw_free(r);
	req_stream_drop(r->resp_stream);
	r->resp_stream = NULL;
	r->resp_static = NULL;
	r->resp_static_len = 0;
	r->resp_immutable = 0;
	r->problem_type = NULL;
	r->problem_detail = NULL;
}

void
req_json(struct req *r, int status, json_t *obj)
{
	clear_answer(r);
	if (obj == NULL) {
		req_internal(r);
		return;
	}
	r->status = status;
	r->resp = obj;
}

void
req_json_text(struct req *r, int status, struct jsonout *o)
{
	char *buf;
	size_t len;

	if (jsonout_finish(o, &buf, &len) != 0) {
		req_internal(r);
		return;
	}
	req_raw(r, status, "application/json", buf, len);
	r->resp_raw_secmem = 1;
}

void
req_no_content(struct req *r)
{
	clear_answer(r);
	r->status = 204;
}

void
req_raw(struct req *r, int status, const char *type, char *buf, size_t len)
{
	clear_answer(r);
	r->status = status;
	r->resp_raw = buf;
	r->resp_raw_len = len;
	r->resp_type = type;
}

void
req_static(struct req *r, const char *type, const unsigned char *data,
    size_t len, int immutable)
{
	clear_answer(r);
	r->status = 200;
	r->resp_static = data;
	r->resp_static_len = len;
	r->resp_type = type;
	r->resp_immutable = immutable;
}

void
req_stream(struct req *r, int status, const char *type,
    const struct req_stream *st)
{
	struct req_stream *own;

	clear_answer(r);
	if ((own = malloc(sizeof(*own))) == NULL) {
		st->free(st->arg);
		req_internal(r);
		return;
	}
	*own = *st;
	r->status = status;
	r->resp_stream = own;
	r->resp_type = type;
}

void
req_stream_drop(struct req_stream *st)
{
	if (st == NULL)
		return;
	st->free(st->arg);
	free(st);
}

int
req_streams_take(struct req *r, struct req_streams *s, const char *detail)
{
	int busy;

	pthread_mutex_lock(&s->mu);
	busy = s->running >= s->max;
	if (!busy)
		s->running++;
	pthread_mutex_unlock(&s->mu);
	if (busy) {
		req_problem(r, 503, "busy", detail);
		r->retry_after_s = 5;
		return -1;
	}
	return 0;
}

void
req_streams_give(struct req_streams *s)
{
	pthread_mutex_lock(&s->mu);
	s->running--;
	pthread_mutex_unlock(&s->mu);
}

void
req_problem(struct req *r, int status, const char *type, const char *detail)
{
	clear_answer(r);
	r->status = status;
	r->problem_type = type;
	r->problem_detail = detail;
}

void
req_deny(struct req *r, int status, const char *type, const char *detail)
{
	req_problem(r, status, type, detail);
	r->audit_outcome = AUDIT_DENIED;
}

void
req_bad_body(struct req *r)
{
	req_problem(r, 422, "invalid-body",
	    "The body does not have the expected members, types or sizes.");
}

void
req_not_found(struct req *r)
{
	req_deny(r, 404, "not-found", "No such object.");
}

void
req_internal(struct req *r)
{
	req_problem(r, 500, "internal", "The server could not complete the request.");
}

void
req_unavailable(struct req *r)
{
	req_problem(r, 503, "unavailable",
	    "The server cannot record this request right now; nothing was done.");
	r->retry_after_s = 1;
}

void
req_audit_object(struct req *r, int type, const char *id)
{
	size_t n = id ? strlen(id) : 0;

	r->audit_object_type = type;
	if (n > ID_CHARS)
		n = 0;	/* never an id we issued; record none */
	memcpy(r->audit_object_id, id ? id : "", n);
	r->audit_object_id[n] = '\0';
}

void
req_audit_subject(struct req *r, int type, const char *id)
{
	r->audit_extra_len = 0;
	if (id == NULL || !jsonin_is_id(id) ||
	    audit_entry_subject_extra(r->audit_extra, &r->audit_extra_len,
	    (unsigned)type, id) != 0)
		r->audit_extra_len = 0;
}

void
req_audit_flag(struct req *r, unsigned tag, unsigned value)
{
	r->audit_extra[0] = (uint8_t)tag;
	r->audit_extra[1] = (uint8_t)value;
	r->audit_extra_len = AUDIT_FLAG_EXTRA_BYTES;
}

void
req_audit_bundle(struct req *r, const uint8_t id[AUDIT_BUNDLE_ID_BYTES],
    const uint8_t hash[32])
{
	audit_entry_bundle_extra(r->audit_extra, id, hash);
	r->audit_extra_len = AUDIT_BUNDLE_EXTRA_BYTES;
}

int
req_write_begin(struct req *r)
{
	struct store *w;

	if (store_in_write(r->db))
		return 0;
	if (r->sched.runner == REQ_RUN_WORKER) {
		/* a libmicrohttpd worker must not wait for the write lock:
		 * the dispatcher drops this attempt, unaudited, and runs the
		 * request again on a dispatch thread */
		r->sched.fate = REQ_BOUNCED;
		req_unavailable(r);
		return -1;
	}
	/* The transaction runs on the pool's writer connection, which makes
	 * nearly every commit (the retention sweep and the audit
	 * checkpointer commit on their own): every commit empties the page
	 * cache of every other connection, so a write on the request's own
	 * connection would decrypt each page it touches again. The write
	 * lock makes the writer ours until the dispatcher ends the
	 * transaction. The request's snapshot ends first, as it would on
	 * its own connection: what the handler read before, it reads again
	 * in the transaction. */
	if ((w = store_pool_writer()) == NULL)
		w = r->db;
	store_read_end(r->db);
	if (store_write_begin(w) != STORE_OK) {
		req_unavailable(r);
		return -1;
	}
	if (w != r->db) {
		r->db_parked = r->db;
		r->db = w;
	}
	return 0;
}

void
req_write_done(struct req *r)
{
	if (r->db_parked == NULL)
		return;
	r->db = r->db_parked;
	r->db_parked = NULL;
}

const char *
req_query(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int
req_query_u64(struct req *r, const char *name, uint64_t def, uint64_t max,
    uint64_t *out)
{
	const char *s = req_query(r, name);
	uint64_t v = 0;
	size_t i;

	if (s == NULL) {
		*out = def;
		return 0;
	}
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 19)
			goto bad;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || (i > 1 && s[0] == '0') || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	req_problem(r, 400, "invalid-query",
	    "A query parameter is not a number in the allowed range.");
	return -1;
}

struct query_check {
	const char *const	*allowed;
	int			 bad;
};

static enum MHD_Result
check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct query_check *q = cls;
	const char *const *a;

	(void)kind;
	(void)value;
	for (a = q->allowed; *a != NULL; a++)
		if (strcmp(*a, key) == 0)
			return MHD_YES;
	q->bad = 1;
	return MHD_NO;
}

int
req_query_only(struct req *r, const char *const *allowed)
{
	struct query_check q = { allowed, 0 };

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_arg, &q);
	if (q.bad) {
		req_problem(r, 400, "invalid-query",
		    "This resource does not take these query parameters.");
		return -1;
	}
	return 0;
}

int
req_page(struct req *r, unsigned def_limit, unsigned *limit,
    const char **after)
{
	static const char *const allowed[] = { "limit", "after", NULL };

	return req_page_filtered(r, allowed, def_limit, limit, after);
}

int
req_page_filtered(struct req *r, const char *const *allowed,
    unsigned def_limit, unsigned *limit, const char **after)
{
	uint64_t v;

	if (req_query_only(r, allowed) != 0 ||
	    req_query_u64(r, "limit", def_limit, MAX_PAGE_LIMIT, &v) != 0)
		return -1;
	if (v == 0) {
		req_problem(r, 400, "invalid-query",
		    "A query parameter is not a number in the allowed range.");
		return -1;
	}
	*limit = (unsigned)v;
	*after = req_query(r, "after");
	if (*after == NULL) {
		*after = "";
	} else if (!jsonin_is_id(*after)) {
		req_problem(r, 400, "invalid-query",
		    "The after parameter must be an id from a previous page.");
		return -1;
	}
	return 0;
}

int
req_query_text(struct req *r, const char *name, size_t max,
    const char **out)
{
	const char *s = NULL;
	size_t n = 0;

	*out = NULL;
	if (MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND,
	    name, strlen(name), &s, &n) != MHD_YES || s == NULL)
		return 0;
	if (!jsonin_text(s, n, 1, max)) {
		req_problem(r, 400, "invalid-query", "A query parameter is not "
		    "text of the allowed length without control characters.");
		return -1;
	}
	*out = s;
	return 1;
}

int
req_query_enum(struct req *r, const char *name, const char *const *names,
    const char **out)
{
	const char *s = req_query(r, name);

	*out = NULL;
	if (s == NULL)
		return 0;
	for (; *names != NULL; names++)
		if (strcmp(s, *names) == 0) {
			*out = *names;
			return 1;
		}
	req_problem(r, 400, "invalid-query",
	    "A query parameter is not one of its allowed names.");
	return -1;
}
