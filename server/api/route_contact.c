/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_contact: /cases/{id}/contacts, the contact log of a case. Each
 * entry (when, channel, summary, next steps) is one ciphertext under K_case,
 * bound to its contact id; only the author and the server's receipt time
 * are plain. Because "when" is encrypted, a listing decrypts every entry
 * of the case and sorts them in memory (at most MAX_CONTACTS_PER_CASE);
 * docs/cases.md explains the trade.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/secmem.h"
#include "crypto/token.h"
#include "schema/store_case.h"
#include "schema/store_contact.h"
#include "server/core/access.h"
#include "server/audit/audit.h"
#include "server/core/casefile.h"
#include "server/http/jsonin.h"
#include "server/api/route.h"
#include "server/api/route_body.h"
#include "server/http/rfc3339.h"

/* The API form of a decrypted entry. NULL if obj is not a valid entry. */
static json_t *
contact_json(const char *id, const char *author_id, const json_t *obj,
    int64_t *at)
{
	json_t *jat = json_object_get(obj, "at");
	json_t *ch = json_object_get(obj, "channel");
	json_t *sum = json_object_get(obj, "summary");
	json_t *ns = json_object_get(obj, "next_steps");
	char when[21];

	if (!json_is_integer(jat) || !json_is_string(ch) ||
	    !json_is_string(sum) || (ns != NULL && !json_is_null(ns) &&
	    !json_is_string(ns)) || json_integer_value(jat) < 0)
		return NULL;
	*at = json_integer_value(jat);
	rfc3339_format(when, *at);
	return json_pack("{s:s, s:s, s:O, s:O, s:O, s:s}", "id", id, "at", when,
	    "channel", ch, "summary", sum,
	    "next_steps", ns != NULL ? ns : json_null(),
	    "author_id", author_id);
}

/* --- the request body (route_body.h) --------------------------------------- */

int
route_contact_body_parse(const json_t *obj, int64_t now,
    struct contact_input *in)
{
	static const char *const allowed[] = { "channel", "summary",
	    "next_steps", "at", NULL };
	const char *at_s = NULL;
	json_t *ns = json_object_get(obj, "next_steps");

	memset(in, 0, sizeof(*in));
	/* "next_steps": null is the same as leaving it out */
	if (jsonin_only(obj, allowed) != JSONIN_OK ||
	    jsonin_string(obj, "channel", 1, 1, MAX_CHANNEL_BYTES, 0,
	    &in->channel, NULL) != JSONIN_OK ||
	    jsonin_string(obj, "summary", 1, 1, MAX_SUMMARY_BYTES, 1,
	    &in->summary, NULL) != JSONIN_OK ||
	    (!json_is_null(ns) && jsonin_string(obj, "next_steps", 0, 0,
	    MAX_NEXT_STEPS_BYTES, 1, &in->next_steps, NULL) != JSONIN_OK) ||
	    jsonin_string(obj, "at", 0, 20, 40, 0, &at_s, &in->has_at)
	    != JSONIN_OK) {
		memset(in, 0, sizeof(*in));
		return BODY_EINVALID;
	}
	if (in->has_at && (rfc3339_parse(at_s, &in->at) != 0 ||
	    in->at > now + MAX_CONTACT_FUTURE_S)) {
		memset(in, 0, sizeof(*in));
		return BODY_ETIME;
	}
	return BODY_OK;
}

/* --- POST /cases/{id}/contacts --------------------------------------------- */

static void
contact_create_route(struct req *r)
{
	struct contact_input in;
	struct access_case a;
	struct contact_row row;
	json_t *entry = NULL, *out;
	char *pt = NULL;
	uint8_t *ct = NULL;
	size_t pt_len = 0, ct_len = 0;
	int64_t count = 0, dummy;
	int rc;

	memset(&row, 0, sizeof(row));
	if (access_case_open(r, r->params[0],
	    ACCESS_CONTENT | ACCESS_WRITE | ACCESS_ASSIGNED, &a) != 0)
		return;
	rc = route_contact_body_parse(r->json, store_now(), &in);
	if (rc == BODY_ETIME) {
		req_problem(r, 422, "invalid-time",
		    "\"at\" must be an RFC 3339 time, not in the future.");
		goto done;
	}
	if (rc != BODY_OK) {
		req_bad_body(r);
		goto done;
	}
	if (!in.has_at)
		in.at = store_now();
	/* a primary-key lookup (schema/0005_contact_count.sql), in the write
	 * transaction that inserts: two creates cannot both pass the cap */
	if (store_contact_count(r->db, a.c.id, &count) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	if (count >= (int64_t)MAX_CONTACTS_PER_CASE) {
		req_problem(r, 409, "contact-limit",
		    "This case holds the most contact entries allowed.");
		goto done;
	}
	entry = json_pack("{s:I, s:s, s:s, s:s?}", "at", (json_int_t)in.at,
	    "channel", in.channel, "summary", in.summary, "next_steps",
	    in.next_steps);
	if (entry == NULL ||
	    (pt_len = json_dumpb(entry, NULL, 0, JSON_COMPACT)) == 0 ||
	    (pt = secmem_buf_alloc(pt_len)) == NULL ||
	    json_dumpb(entry, pt, pt_len, JSON_COMPACT) != pt_len) {
		req_internal(r);
		goto done;
	}
	token_new_id(row.id);
	rc = casefile_encrypt(&ct, &ct_len, a.key, CASEFILE_T_CONTACTS, row.id,
	    CASEFILE_F_ENTRY, a.c.key_version, pt, pt_len);
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		goto done;
	}
	memcpy(row.case_id, a.c.id, sizeof(row.case_id));
	memcpy(row.author_id, r->actor_id, sizeof(row.author_id));
	row.created_at = store_now();
	row.entry = ct;
	row.entry_len = ct_len;
	if (store_contact_insert(r->db, &row) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	out = contact_json(row.id, row.author_id, entry, &dummy);
	if (out == NULL)
		req_internal(r);
	else
		req_json(r, 201, out);
done:
	json_decref(entry);
	secmem_buf_free(pt);		/* wipes */
	free(ct);
	access_case_close(r, &a);
}

/* --- GET /cases/{id}/contacts ---------------------------------------------- */

struct centry {
	int64_t		 at;
	int64_t		 created_at;
	char		 id[ID_CHARS + 1];
	json_t		*obj;		/* the API form */
};

struct clist {
	const struct access_case *a;
	struct centry	*v;
	size_t		 n, cap;
	int		 err;		/* casefile_err of the first failure */
};

static int
collect(void *arg, const struct contact_row *c)
{
	struct clist *l = arg;
	struct casefile_plain pt = { NULL, 0 };
	json_t *obj = NULL;
	int rc;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		void *p = realloc(l->v, cap * sizeof(*l->v));

		if (p == NULL) {
			l->err = CASEFILE_ENOMEM;
			return -1;
		}
		l->v = p;
		l->cap = cap;
	}
	rc = casefile_decrypt(&pt, l->a->key, CASEFILE_T_CONTACTS, c->id,
	    CASEFILE_F_ENTRY, l->a->c.key_version, c->entry, c->entry_len);
	if (rc == CASEFILE_OK) {
		obj = json_loadb(pt.p, pt.len, JSON_REJECT_DUPLICATES, NULL);
		rc = CASEFILE_EINTEGRITY;
		if (obj != NULL) {
			struct centry *e = &l->v[l->n];

			e->obj = contact_json(c->id, c->author_id, obj, &e->at);
			if (e->obj != NULL) {
				e->created_at = c->created_at;
				memcpy(e->id, c->id, sizeof(e->id));
				l->n++;
				rc = CASEFILE_OK;
			}
		}
	}
	json_decref(obj);
	casefile_plain_free(&pt);
	if (rc != CASEFILE_OK) {
		l->err = rc;
		return -1;
	}
	return 0;
}

static int
by_time(const void *x, const void *y)
{
	const struct centry *a = x, *b = y;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	if (a->created_at != b->created_at)
		return a->created_at < b->created_at ? -1 : 1;
	return strcmp(a->id, b->id);
}

static void
contact_list_route(struct req *r)
{
	struct access_case a;
	struct clist l;
	const char *after;
	unsigned limit;
	size_t start = 0, i;
	json_t *arr = NULL;
	int rc;

	memset(&l, 0, sizeof(l));
	if (access_case_open(r, r->params[0], ACCESS_CONTENT, &a) != 0)
		return;
	if (req_page(r, DEFAULT_CONTACT_PAGE_LIMIT, &limit, &after) != 0)
		goto done;
	l.a = &a;
	rc = store_contact_each(r->db, a.c.id, collect, &l);
	if (rc != STORE_OK) {
		if (l.err != CASEFILE_OK)
			access_fail(r, l.err);
		else
			req_unavailable(r);
		goto done;
	}
	if (l.n > 1)	/* qsort(NULL, 0, ...) is undefined */
		qsort(l.v, l.n, sizeof(*l.v), by_time);
	if (after[0] != '\0') {
		for (start = 0; start < l.n; start++)
			if (strcmp(l.v[start].id, after) == 0)
				break;
		if (start == l.n) {
			req_problem(r, 400, "invalid-query",
			    "The after parameter must be an id from a "
			    "previous page.");
			goto done;
		}
		start++;
	}
	if ((arr = json_array()) == NULL) {
		req_internal(r);
		goto done;
	}
	for (i = start; i < l.n && i - start < limit; i++)
		if (json_array_append(arr, l.v[i].obj) != 0) {
			req_internal(r);
			goto done;
		}
	req_json(r, 200, json_pack("{s:O, s:s?}", "contacts", arr,
	    "next", i < l.n ? l.v[i - 1].id : NULL));
done:
	json_decref(arr);
	for (i = 0; i < l.n; i++)
		json_decref(l.v[i].obj);
	free(l.v);
	access_case_close(r, &a);
}

const struct route route_contact_table[] = {
	{ M_POST, "/cases/{id}/contacts", R_CASEWORKER, ROUTE_BODY,
	  AUDIT_CONTACT_CREATE, AUDIT_OBJ_CASE, contact_create_route },
	{ M_GET, "/cases/{id}/contacts", R_CASEWORKER | R_COORD, ROUTE_QUERY,
	  AUDIT_CONTACT_LIST, AUDIT_OBJ_CASE, contact_list_route },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
