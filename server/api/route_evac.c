/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_evac: /evacuations. Coordinators create evacuations, move them
 * through their stages and add cases to them; the encrypted details (route,
 * transport, dates, destination, safe-houses) are under K_evac, which is
 * wrapped to the org and to the caseworkers of live member cases. A
 * caseworker sees only evacuations that hold one of their cases, and in
 * them only their own case ids.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/secmem.h"
#include "schema/store_case.h"
#include "schema/store_evac.h"
#include "server/core/access.h"
#include "server/audit/audit.h"
#include "server/core/casefile.h"
#include "server/http/jsonin.h"
#include "server/api/route.h"
#include "server/api/route_body.h"
#include "server/core/session.h"
#include "server/http/rfc3339.h"

/* The evacuation e; with details when key is not NULL. NULL after
 * answering r. */
static json_t *
evac_json(struct req *r, const struct evac_row *e, const uint8_t *key)
{
	struct store_ids ids = { NULL, 0, 0 };
	struct casefile_plain pt = { NULL, 0 };
	uint8_t *ct = NULL;
	size_t ct_len = 0;
	json_t *o = NULL, *cases = NULL, *details = NULL;
	char created[21], updated[21];
	int rc;

	/* a caseworker sees only their own cases in it */
	if (store_evac_cases(r->db, e->id, r->role == ROLE_COORDINATOR ? NULL :
	    req_case_subject(r), &ids) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	cases = json_array();
	for (size_t i = 0; cases != NULL && i < ids.n; i++)
		if (json_array_append_new(cases, json_string(ids.id[i])) != 0) {
			json_decref(cases);
			cases = NULL;
		}
	if (cases == NULL) {
		req_internal(r);
		goto done;
	}
	if (key != NULL) {
		if (store_evac_details(r->db, e->id, &ct, &ct_len) != STORE_OK) {
			req_unavailable(r);
			goto done;
		}
		rc = casefile_decrypt(&pt, key, CASEFILE_T_EVACS, e->id,
		    CASEFILE_F_DETAILS, e->key_version, ct, ct_len);
		if (rc != CASEFILE_OK) {
			access_fail(r, rc);
			goto done;
		}
		details = json_loadb(pt.p, pt.len, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(details)) {
			access_fail(r, CASEFILE_EINTEGRITY);
			goto done;
		}
	}
	rfc3339_format(created, e->created_at);
	rfc3339_format(updated, e->updated_at);
	o = json_pack("{s:s, s:s, s:s, s:O, s:I, s:s, s:s}", "id", e->id,
	    "codename", e->codename, "stage", evac_stage_names[e->stage],
	    "case_ids", cases, "key_version", (json_int_t)e->key_version,
	    "created_at", created, "updated_at", updated);
	if (o == NULL ||
	    (details != NULL && json_object_set(o, "details", details) != 0)) {
		json_decref(o);
		o = NULL;
		req_internal(r);
	}
done:
	json_decref(cases);
	json_decref(details);
	casefile_plain_free(&pt);
	free(ct);
	store_ids_free(&ids);
	return o;
}

/* --- request bodies (route_body.h) ------------------------------------------ */

int
route_evac_body_parse(const json_t *obj, int mode, struct evac_input *in)
{
	static const char *const allowed[] = { "stage", "details", NULL };
	int create = mode == BODY_CREATE;

	memset(in, 0, sizeof(*in));
	if ((!create && json_object_size(obj) == 0) ||
	    jsonin_only(obj, allowed) != JSONIN_OK ||
	    jsonin_enum(obj, "stage", 0, evac_stage_names, &in->stage,
	    &in->has_stage) != JSONIN_OK ||
	    jsonin_freeform(obj, "details", create, MAX_DETAILS_BYTES,
	    &in->details, &in->details_len, &in->has_details) != JSONIN_OK) {
		route_evac_input_free(in);
		return BODY_EINVALID;
	}
	return BODY_OK;
}

void
route_evac_input_free(struct evac_input *in)
{
	jsonin_wipe_free(in->details, in->details_len);
	in->details = NULL;
	in->details_len = 0;
	in->has_details = 0;
}

int
route_evac_case_body_parse(const json_t *obj, struct evac_case_input *in)
{
	if (jsonin_id_body(obj, "case_id", &in->case_id) != JSONIN_OK)
		return BODY_EINVALID;
	return BODY_OK;
}

/* --- POST /evacuations -------------------------------------------------------- */

static void
evac_create_route(struct req *r)
{
	struct evac_input in;
	struct evac_row e;
	uint8_t key[CASEFILE_KEY_BYTES];
	int rc;
	json_t *o;

	memset(&e, 0, sizeof(e));
	memset(key, 0, sizeof(key));
	if (route_evac_body_parse(r->json, BODY_CREATE, &in) != BODY_OK) {
		req_bad_body(r);
		goto done;
	}
	e.stage = in.stage;
	memcpy(e.created_by, r->actor_id, sizeof(e.created_by));
	if (req_write_begin(r) != 0)
		goto done;
	rc = casefile_evac_create(r->db, &e, in.details, in.details_len, key);
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		goto done;
	}
	/* not cached: a coordinator reaches K_evac only through the org key,
	 * which needs a fresh password confirmation (server/core/access.c) */
	req_audit_object(r, AUDIT_OBJ_EVACUATION, e.id);
	if ((o = evac_json(r, &e, key)) != NULL)
		req_json(r, 201, o);
done:
	secmem_wipe(key, sizeof(key));
	route_evac_input_free(&in);
}

/* --- GET /evacuations ------------------------------------------------------------ */

struct list_ctx {
	struct req	*r;
	json_t		*arr;
	char		 last[ID_CHARS + 1];
	unsigned	 n;
};

static int
list_one(void *arg, const struct evac_row *e)
{
	struct list_ctx *l = arg;
	json_t *o = evac_json(l->r, e, NULL);

	if (o == NULL || json_array_append_new(l->arr, o) != 0)
		return -1;
	memcpy(l->last, e->id, sizeof(l->last));
	l->n++;
	return 0;
}

static void
evac_list_route(struct req *r)
{
	struct list_ctx l;
	const char *after;
	unsigned limit;
	int rc;

	memset(&l, 0, sizeof(l));
	l.r = r;
	if (req_page(r, DEFAULT_PAGE_LIMIT, &limit, &after) != 0)
		return;
	if ((l.arr = json_array()) == NULL) {
		req_internal(r);
		return;
	}
	/* one snapshot: the page and each member list agree */
	if (store_read_begin(r->db) != STORE_OK) {
		json_decref(l.arr);
		req_unavailable(r);
		return;
	}
	rc = store_evac_list(r->db, r->role == ROLE_COORDINATOR ? NULL :
	    req_case_subject(r), after, limit, list_one, &l);
	store_read_end(r->db);
	if (rc != STORE_OK) {
		json_decref(l.arr);
		if (r->status == 0)
			req_unavailable(r);
		return;
	}
	req_json(r, 200, json_pack("{s:o, s:s?}", "evacuations", l.arr,
	    "next", l.n == limit ? l.last : NULL));
}

/* --- GET /evacuations/{id} ---------------------------------------------------------- */

static void
evac_read_route(struct req *r)
{
	struct access_evac a;
	json_t *o;

	if (access_evac_open(r, r->params[0], ACCESS_CONTENT, &a) != 0)
		return;
	if ((o = evac_json(r, &a.e, a.key)) != NULL)
		req_json(r, 200, o);
	access_evac_close(r, &a);
}

/* --- PATCH /evacuations/{id} ---------------------------------------------------------- */

static void
evac_update_route(struct req *r)
{
	struct evac_input in;
	struct access_evac a;
	uint8_t *ct = NULL;
	size_t ct_len = 0;
	int rc;
	json_t *o;

	memset(&in, 0, sizeof(in));
	if (access_evac_open(r, r->params[0], ACCESS_CONTENT | ACCESS_WRITE,
	    &a) != 0)
		return;
	if (route_evac_body_parse(r->json, BODY_UPDATE, &in) != BODY_OK) {
		req_bad_body(r);
		goto done;
	}
	if (in.has_stage && store_evac_set_stage(r->db, a.e.id, in.stage)
	    != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	if (in.has_details) {
		rc = casefile_encrypt(&ct, &ct_len, a.key, CASEFILE_T_EVACS,
		    a.e.id, CASEFILE_F_DETAILS, a.e.key_version, in.details,
		    in.details_len);
		if (rc != CASEFILE_OK) {
			access_fail(r, rc);
			goto done;
		}
		if (store_evac_set_details(r->db, a.e.id, ct, ct_len)
		    != STORE_OK) {
			req_unavailable(r);
			goto done;
		}
	}
	if (store_evac_get(r->db, a.e.id, &a.e) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	if ((o = evac_json(r, &a.e, a.key)) != NULL)
		req_json(r, 200, o);
done:
	free(ct);
	route_evac_input_free(&in);
	access_evac_close(r, &a);
}

/* --- POST /evacuations/{id}/cases ------------------------------------------------------- */

static void
evac_add_case_route(struct req *r)
{
	struct evac_case_input in;
	struct access_evac a;
	struct case_row c;
	json_t *o;
	int rc;

	if (access_evac_open(r, r->params[0], ACCESS_CONTENT | ACCESS_WRITE,
	    &a) != 0)
		return;
	if (route_evac_case_body_parse(r->json, &in) != BODY_OK) {
		req_bad_body(r);
		goto done;
	}
	/* the signed entry names the case whose caseworkers gain K_evac */
	req_audit_subject(r, AUDIT_OBJ_CASE, in.case_id);
	rc = store_case_get(r->db, in.case_id, &c);
	if (rc == STORE_ENOTFOUND) {
		req_problem(r, 404, "no-such-case", "No such case.");
		goto done;
	}
	if (rc != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	if (c.shredded) {
		req_problem(r, 410, "shredded",
		    "That case was shredded: its keys and content are gone.");
		goto done;
	}
	if (c.evacuation_id[0] != '\0') {
		req_problem(r, 409, "in-evacuation",
		    "That case already belongs to an evacuation.");
		goto done;
	}
	if (store_case_set_evacuation(r->db, c.id, a.e.id) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	/* its caseworkers get K_evac */
	if (access_evac_sync(r, a.e.id, 0, &a) != 0)
		goto done;
	if ((o = evac_json(r, &a.e, a.key)) != NULL)
		req_json(r, 201, o);
done:
	access_evac_close(r, &a);
}

const struct route route_evac_table[] = {
	{ M_POST, "/evacuations", R_COORD, ROUTE_BODY,
	  AUDIT_EVACUATION_CREATE, AUDIT_OBJ_EVACUATION, evac_create_route },
	{ M_GET, "/evacuations", R_COORD | R_CASEWORKER, ROUTE_QUERY,
	  AUDIT_EVACUATION_LIST, AUDIT_OBJ_EVACUATION, evac_list_route },
	{ M_GET, "/evacuations/{id}", R_COORD | R_CASEWORKER, ROUTE_WORKER,
	  AUDIT_EVACUATION_READ, AUDIT_OBJ_EVACUATION, evac_read_route },
	{ M_PATCH, "/evacuations/{id}", R_COORD, ROUTE_BODY,
	  AUDIT_EVACUATION_UPDATE, AUDIT_OBJ_EVACUATION, evac_update_route },
	{ M_POST, "/evacuations/{id}/cases", R_COORD, ROUTE_BODY,
	  AUDIT_EVACUATION_ADD_CASE, AUDIT_OBJ_EVACUATION, evac_add_case_route },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
