/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_case: /cases. Creating, listing, reading and updating case files,
 * assigning and unassigning caseworkers (which wraps K_case, or rotates
 * it), and crypto-shredding. Who may do what is decided by access.c; the
 * keys and ciphertext are handled by casefile.c; the audit entry of every
 * request here is written by the dispatcher.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/secmem.h"
#include "schema/store_case.h"
#include "schema/store_user.h"
#include "schema/store_assign.h"
#include "server/core/access.h"
#include "server/audit/audit.h"
#include "server/core/casefile.h"
#include "server/http/jsonin.h"
#include "server/http/jsonout.h"
#include "server/api/route.h"
#include "server/api/route_body.h"
#include "server/api/route_lookup.h"
#include "server/core/blindidx.h"
#include "server/core/lookuplimit.h"
#include "server/core/session.h"
#include "server/http/rfc3339.h"

_Static_assert(MAX_REGION_BYTES <= STORE_REGION_MAX_BYTES,
    "a region the API accepts must fit the store's buffer");

/* --- JSON ------------------------------------------------------------------- */

static json_t *
ids_json(const struct store_ids *ids)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < ids->n; i++)
		if (json_array_append_new(a, json_string(ids->id[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The summary of c (steals assignees). Never holds person or notes. */
static json_t *
summary_json(const struct case_row *c, json_t *assignees)
{
	char created[21], updated[21];

	if (assignees == NULL)
		return NULL;
	rfc3339_format(created, c->created_at);
	rfc3339_format(updated, c->updated_at);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:s?, s:I, s:s,"
	    " s:s, s:b}",
	    "id", c->id, "codename", c->codename,
	    "status", case_status_names[c->status],
	    "risk", case_risk_names[c->risk], "region", c->region,
	    "household_size", c->household_size, "assignees", assignees,
	    "evacuation_id", c->evacuation_id[0] ? c->evacuation_id : NULL,
	    "key_version", (json_int_t)c->key_version,
	    "created_at", created, "updated_at", updated,
	    "shredded", c->shredded);
}

static json_t *
assignees_json(struct req *r, const char *case_id)
{
	struct store_ids ids = { NULL, 0, 0 };
	json_t *a = NULL;

	if (store_assign_users(r->db, case_id, &ids) == STORE_OK)
		a = ids_json(&ids);
	store_ids_free(&ids);
	return a;
}

/*
 * The full case: summary, person and notes, decrypted with a->key. NULL
 * after answering r.
 */
static json_t *
full_json(struct req *r, const struct access_case *a)
{
	struct casefile_plain pp = { NULL, 0 }, np = { NULL, 0 };
	uint8_t *p_ct = NULL, *n_ct = NULL;
	size_t p_len = 0, n_len = 0;
	json_t *o = NULL, *person = NULL, *notes = NULL;
	int rc;

	if (store_case_content(r->db, a->c.id, &p_ct, &p_len, &n_ct, &n_len)
	    != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	rc = casefile_decrypt(&pp, a->key, CASEFILE_T_CASES, a->c.id,
	    CASEFILE_F_PERSON, a->c.key_version, p_ct, p_len);
	if (rc == CASEFILE_OK)
		rc = casefile_decrypt(&np, a->key, CASEFILE_T_CASES, a->c.id,
		    CASEFILE_F_NOTES, a->c.key_version, n_ct, n_len);
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		goto done;
	}
	/* jansson's memory is wiped on free (secmem_json_allocators) */
	person = json_loadb(pp.p, pp.len, JSON_REJECT_DUPLICATES, NULL);
	notes = json_stringn(np.p, np.len);
	if (person == NULL || !json_is_object(person) || notes == NULL) {
		access_fail(r, CASEFILE_EINTEGRITY);
		goto done;
	}
	if ((o = summary_json(&a->c, assignees_json(r, a->c.id))) == NULL) {
		req_internal(r);
		goto done;
	}
	/* set_new consumes the value whether or not it succeeds */
	rc = json_object_set_new(o, "person", person);
	person = NULL;
	rc |= json_object_set_new(o, "notes", notes);
	notes = NULL;
	if (rc != 0) {
		json_decref(o);
		o = NULL;
		req_internal(r);
	}
done:
	json_decref(person);
	json_decref(notes);
	casefile_plain_free(&pp);
	casefile_plain_free(&np);
	free(p_ct);
	free(n_ct);
	return o;
}

/* --- request bodies (route_body.h) ------------------------------------------ */

int
route_case_body_parse(const json_t *obj, int mode, struct case_input *in)
{
	static const char *const create_allowed[] = { "risk", "region",
	    "household_size", "person", "notes", NULL };
	static const char *const update_allowed[] = { "status", "risk",
	    "region", "household_size", "person", "notes", NULL };
	int create = mode == BODY_CREATE;

	memset(in, 0, sizeof(*in));
	in->household_size = 1;
	in->notes = "";
	if ((!create && json_object_size(obj) == 0) ||
	    jsonin_only(obj, create ? create_allowed : update_allowed)
	    != JSONIN_OK ||
	    jsonin_enum(obj, "status", 0, case_status_names, &in->status,
	    &in->has_status) != JSONIN_OK ||
	    jsonin_enum(obj, "risk", create, case_risk_names, &in->risk,
	    &in->has_risk) != JSONIN_OK ||
	    jsonin_string(obj, "region", create, 1, MAX_REGION_BYTES, 0,
	    &in->region, &in->has_region) != JSONIN_OK ||
	    jsonin_int(obj, "household_size", 0, 1, MAX_HOUSEHOLD_SIZE,
	    &in->household_size, &in->has_household) != JSONIN_OK ||
	    jsonin_string(obj, "notes", 0, 0, MAX_NOTES_BYTES, 1, &in->notes,
	    &in->has_notes) != JSONIN_OK ||
	    jsonin_freeform(obj, "person", create, MAX_PERSON_BYTES,
	    &in->person, &in->person_len, &in->has_person) != JSONIN_OK) {
		route_case_input_free(in);
		return BODY_EINVALID;
	}
	return BODY_OK;
}

void
route_case_input_free(struct case_input *in)
{
	jsonin_wipe_free(in->person, in->person_len);
	in->person = NULL;
	in->person_len = 0;
	in->has_person = 0;
}

int
route_case_assign_body_parse(const json_t *obj, struct assign_input *in)
{
	if (jsonin_id_body(obj, "user_id", &in->user_id) != JSONIN_OK)
		return BODY_EINVALID;
	return BODY_OK;
}

/* --- blind indexes (docs/cases.md, "Have we seen this person before?") ------ */

/*
 * Index the person just written to case_id (inside the write
 * transaction). With warnings (a new case), its phone numbers are first
 * looked up among the other cases, and *warnings gets the answer the UI
 * shows beside the 201: a match, or that the check was skipped because
 * the account's lookups are spent (a creation is a lookup too, or the
 * API would be a way round the rate limit). 0, or -1 after answering.
 */
static int
index_person(struct req *r, const char *case_id, const char *person,
    size_t person_len, json_t **warnings)
{
	struct blindidx_terms t;
	struct blindidx_hits hits;
	unsigned retry;
	json_t *w = NULL, *m;
	int rc = -1;

	if (blindidx_terms_person(person, person_len, &t) != BLINDIDX_OK) {
		req_internal(r);
		goto done;
	}
	if (warnings != NULL && t.phones > 0) {
		if (lookuplimit_take(r->actor_id, &retry) != 0) {
			w = json_pack("{s:s}", "type", "phone-not-checked");
		} else {
			if (blindidx_match(r->db, &t, BLIND_PHONE, case_id,
			    &hits) != BLINDIDX_OK) {
				req_unavailable(r);
				goto done;
			}
			if (hits.n > 0 && (m = route_lookup_matches_json(&hits))
			    != NULL)
				w = json_pack("{s:s, s:o, s:b}", "type",
				    "phone-match", "matches", m, "more",
				    hits.more);
		}
		if (w != NULL && (*warnings = json_array()) != NULL)
			json_array_append_new(*warnings, w);
		else
			json_decref(w);
	}
	if (blindidx_case_put(r->db, case_id, &t) != BLINDIDX_OK) {
		req_unavailable(r);
		goto done;
	}
	rc = 0;
done:
	secmem_wipe(&t, sizeof(t));
	return rc;
}

/* --- POST /cases ---------------------------------------------------------------- */

static void
case_create_route(struct req *r)
{
	struct case_input in;
	struct case_row c;
	uint8_t key[CASEFILE_KEY_BYTES];
	int rc;
	struct access_case a;
	json_t *o, *warnings = NULL;

	memset(&c, 0, sizeof(c));
	memset(&a, 0, sizeof(a));
	memset(key, 0, sizeof(key));
	if (route_case_body_parse(r->json, BODY_CREATE, &in) != BODY_OK) {
		req_bad_body(r);
		goto done;
	}
	if (r->decoy) {
		/* a decoy session stores nothing: a passing fault, as far as
		 * the coerced user's captor can tell */
		req_unavailable(r);
		goto done;
	}
	c.status = CASE_INTAKE;
	c.risk = in.risk;
	memcpy(c.region, in.region, strlen(in.region) + 1);
	c.household_size = (int)in.household_size;
	memcpy(c.created_by, r->actor_id, sizeof(c.created_by));
	if (req_write_begin(r) != 0)
		goto done;
	/* a creating caseworker is assigned; a coordinator is not (only
	 * caseworkers are ever assigned, so a coordinator's content reads are
	 * always through the org key, with a reason) */
	rc = casefile_case_create(r->db, &c, r->role == ROLE_CASEWORKER ?
	    r->actor_id : NULL, in.person, in.person_len, in.notes,
	    strlen(in.notes), key);
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		goto done;
	}
	req_audit_object(r, AUDIT_OBJ_CASE, c.id);
	if (index_person(r, c.id, in.person, in.person_len, &warnings) != 0)
		goto done;
	/* a new id: nothing can hold a stale key under it. A coordinator's
	 * keys are never cached: they reach content only through the org
	 * key, which needs a fresh password confirmation each time
	 * (server/core/access.c) */
	if (r->role == ROLE_CASEWORKER)
		session_key_put(r->sess, r->sess_key, c.id, c.key_version,
		    key);
	a.c = c;
	memcpy(a.key, key, sizeof(key));
	a.have_key = 1;
	if ((o = full_json(r, &a)) != NULL) {
		/* set_new consumes warnings either way */
		if (warnings != NULL &&
		    json_object_set_new(o, "warnings", warnings) != 0) {
			warnings = NULL;
			json_decref(o);
			req_internal(r);
			goto done;
		}
		warnings = NULL;
		req_json(r, 201, o);
	}
done:
	json_decref(warnings);
	secmem_wipe(key, sizeof(key));
	secmem_wipe(a.key, sizeof(a.key));
	route_case_input_free(&in);
}

/* --- GET /cases ------------------------------------------------------------------- */

/* The list is written as JSON text (server/http/jsonout.h): a page of 100
 * through a jansson tree cost ~40 allocations a row (issue 17). The
 * members and their order are summary_json's. */
struct list_ctx {
	struct jsonout	 out;
	char		 last[ID_CHARS + 1];
	unsigned	 n;
};

static int
list_one(void *arg, const struct case_row *c, const char *assignees)
{
	struct list_ctx *l = arg;
	struct jsonout *o = &l->out;
	char created[21], updated[21];
	const char *p = assignees;

	rfc3339_format(created, c->created_at);
	rfc3339_format(updated, c->updated_at);
	jsonout_object_begin(o);
	jsonout_key(o, "id");
	jsonout_string(o, c->id);
	jsonout_key(o, "codename");
	jsonout_string(o, c->codename);
	jsonout_key(o, "status");
	jsonout_string(o, case_status_names[c->status]);
	jsonout_key(o, "risk");
	jsonout_string(o, case_risk_names[c->risk]);
	jsonout_key(o, "region");
	jsonout_string(o, c->region);
	jsonout_key(o, "household_size");
	jsonout_int(o, c->household_size);
	jsonout_key(o, "assignees");
	jsonout_array_begin(o);
	while (*p != '\0') {	/* the comma-separated ids */
		size_t n = strcspn(p, ",");

		jsonout_stringn(o, p, n);
		p += n;
		if (*p == ',')
			p++;
	}
	jsonout_array_end(o);
	jsonout_key(o, "evacuation_id");
	jsonout_string(o, c->evacuation_id[0] ? c->evacuation_id : NULL);
	jsonout_key(o, "key_version");
	jsonout_int(o, c->key_version);
	jsonout_key(o, "created_at");
	jsonout_string(o, created);
	jsonout_key(o, "updated_at");
	jsonout_string(o, updated);
	jsonout_key(o, "shredded");
	jsonout_bool(o, c->shredded);
	jsonout_object_end(o);
	if (o->err)
		return -1;
	memcpy(l->last, c->id, sizeof(l->last));
	l->n++;
	return 0;
}

static void
case_list_route(struct req *r)
{
	static const char *const allowed[] = { "limit", "after", "status",
	    "risk", "region", NULL };
	struct list_ctx l;
	struct case_filter f;
	const char *after;
	unsigned limit;
	int rc;

	memset(&l, 0, sizeof(l));
	if (req_page_filtered(r, allowed, DEFAULT_PAGE_LIMIT, &limit,
	    &after) != 0 ||
	    req_query_enum(r, "status", case_status_names, &f.status) < 0 ||
	    req_query_enum(r, "risk", case_risk_names, &f.risk) < 0 ||
	    req_query_text(r, "region", MAX_REGION_BYTES, &f.region) < 0)
		return;
	jsonout_init(&l.out);
	jsonout_object_begin(&l.out);
	jsonout_key(&l.out, "cases");
	jsonout_array_begin(&l.out);
	/* caseworkers list their own cases; coordinators every case */
	rc = store_case_list(r->db, r->role == ROLE_COORDINATOR ? NULL :
	    req_case_subject(r), after, &f, limit, list_one, &l);
	if (rc != STORE_OK) {
		if (l.out.err)
			req_internal(r);
		else
			req_unavailable(r);
		jsonout_free(&l.out);
		return;
	}
	jsonout_array_end(&l.out);
	jsonout_key(&l.out, "next");
	jsonout_string(&l.out, l.n == limit ? l.last : NULL);
	jsonout_object_end(&l.out);
	req_json_text(r, 200, &l.out);
}

/* --- GET /cases/{id} ----------------------------------------------------------------- */

static void
case_read_route(struct req *r)
{
	struct access_case a;
	json_t *o;

	if (access_case_open(r, r->params[0], ACCESS_CONTENT, &a) != 0)
		return;
	if ((o = full_json(r, &a)) != NULL)
		req_json(r, 200, o);
	access_case_close(r, &a);
}

/* --- PATCH /cases/{id} ------------------------------------------------------------------ */

/* Encrypt text as field of a->c and store it. 0, or -1 after answering. */
static int
store_field(struct req *r, const struct access_case *a, int field,
    const char *text, size_t text_len)
{
	uint8_t *ct = NULL;
	size_t ct_len = 0;
	int rc;

	rc = casefile_encrypt(&ct, &ct_len, a->key, CASEFILE_T_CASES, a->c.id,
	    field == CASE_FIELD_PERSON ? CASEFILE_F_PERSON : CASEFILE_F_NOTES,
	    a->c.key_version, text, text_len);
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		return -1;
	}
	rc = store_case_set_field(r->db, a->c.id, field, ct, ct_len);
	free(ct);
	if (rc != STORE_OK) {
		req_unavailable(r);
		return -1;
	}
	return 0;
}

static void
case_update_route(struct req *r)
{
	struct case_input in;
	struct access_case a;
	json_t *o;

	memset(&in, 0, sizeof(in));
	if (access_case_open(r, r->params[0], ACCESS_CONTENT | ACCESS_WRITE,
	    &a) != 0)
		return;
	if (route_case_body_parse(r->json, BODY_UPDATE, &in) != BODY_OK) {
		req_bad_body(r);
		goto done;
	}
	if (in.has_status || in.has_risk || in.has_region || in.has_household) {
		if (in.has_status)
			a.c.status = in.status;
		if (in.has_risk)
			a.c.risk = in.risk;
		if (in.has_region)
			memcpy(a.c.region, in.region, strlen(in.region) + 1);
		if (in.has_household)
			a.c.household_size = (int)in.household_size;
		if (store_case_update_meta(r->db, &a.c) != STORE_OK) {
			req_unavailable(r);
			goto done;
		}
	}
	if (in.has_person && (store_field(r, &a, CASE_FIELD_PERSON, in.person,
	    in.person_len) != 0 || index_person(r, a.c.id, in.person,
	    in.person_len, NULL) != 0))
		goto done;
	if (in.has_notes && store_field(r, &a, CASE_FIELD_NOTES, in.notes,
	    strlen(in.notes)) != 0)
		goto done;
	if (store_case_get(r->db, a.c.id, &a.c) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	if ((o = full_json(r, &a)) != NULL)
		req_json(r, 200, o);
done:
	route_case_input_free(&in);
	access_case_close(r, &a);
}

/* --- assignments ------------------------------------------------------------------------ */

/*
 * After c's key was rotated or shredded (rc, a casefile_err): the old key
 * leaves the session caches, and c's caseworkers may no longer hold its
 * evacuation's key. 0, or -1 after answering.
 */
static int
holders_changed(struct req *r, const struct case_row *c, int rc)
{
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		return -1;
	}
	session_key_forget(c->id);
	return access_evac_sync(r, c->evacuation_id, 0, NULL);
}

static void
assign_route(struct req *r)
{
	struct assign_input in;
	struct access_case a;
	struct user_row u;
	int rc, yes = 0;

	memset(&u, 0, sizeof(u));
	if (access_case_open(r, r->params[0], ACCESS_MANAGE | ACCESS_WRITE,
	    &a) != 0)
		return;
	if (route_case_assign_body_parse(r->json, &in) != BODY_OK) {
		req_bad_body(r);
		goto done;
	}
	/* the signed entry names who is given the key, refused or not */
	req_audit_subject(r, AUDIT_OBJ_USER, in.user_id);
	rc = store_user_by_id(r->db, in.user_id, &u);
	if (rc != STORE_OK && rc != STORE_ENOTFOUND) {
		req_unavailable(r);
		goto done;
	}
	if (rc == STORE_ENOTFOUND || u.role != ROLE_CASEWORKER ||
	    u.status != USER_ACTIVE) {
		req_problem(r, 422, "invalid-assignee",
		    "Cases are assigned to active caseworkers only.");
		goto done;
	}
	if (!u.enrolled) {
		/* a case key goes only to a key pair made under the
		 * caseworker's own password */
		req_problem(r, 409, "not-enrolled",
		    "The caseworker must replace their first password first.");
		goto done;
	}
	if (store_assign_exists(r->db, a.c.id, u.id, &yes) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	if (yes) {
		req_problem(r, 409, "already-assigned",
		    "That caseworker is already assigned to this case.");
		goto done;
	}
	rc = casefile_case_assign(r->db, &a.c, u.id, r->actor_id, a.key);
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		goto done;
	}
	/* a member of an evacuation: its key goes to them too */
	if (access_evac_sync(r, a.c.evacuation_id, 0, NULL) != 0)
		goto done;
	req_json(r, 201, summary_json(&a.c, assignees_json(r, a.c.id)));
done:
	secmem_wipe(&u, sizeof(u));
	access_case_close(r, &a);
}

static void
unassign_route(struct req *r)
{
	struct access_case a;
	uint8_t newk[CASEFILE_KEY_BYTES];
	int rc;

	req_audit_subject(r, AUDIT_OBJ_USER, r->params[1]);
	if (access_case_open(r, r->params[0], ACCESS_MANAGE | ACCESS_WRITE,
	    &a) != 0)
		return;
	rc = store_assign_delete(r->db, a.c.id, r->params[1]);
	if (rc == STORE_ENOTFOUND) {
		req_problem(r, 404, "not-assigned",
		    "That user is not assigned to this case.");
		goto done;
	}
	if (rc != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	/* they lost access: new key, everything re-encrypted, re-wrapped to
	 * whoever remains, in this one transaction */
	rc = casefile_case_rotate(r->db, &a.c, a.key, newk);
	secmem_wipe(newk, sizeof(newk));
	if (holders_changed(r, &a.c, rc) != 0)
		goto done;
	req_no_content(r);
done:
	access_case_close(r, &a);
}

/* --- POST /cases/{id}/shred ------------------------------------------------------------ */

static void
shred_route(struct req *r)
{
	struct access_case a;
	int rc;

	if (access_case_open(r, r->params[0], ACCESS_WRITE, &a) != 0)
		return;
	rc = casefile_case_shred(r->db, &a.c);
	if (holders_changed(r, &a.c, rc) != 0)
		goto done;
	/* secure_delete zeroes the freed pages in the database file; old
	 * copies of them in the WAL go once the dispatcher has committed */
	r->after.checkpoint = 1;
	req_no_content(r);
done:
	access_case_close(r, &a);
}

const struct route route_case_table[] = {
	{ M_POST, "/cases", R_CASEWORKER | R_COORD, ROUTE_BODY,
	  AUDIT_CASE_CREATE, AUDIT_OBJ_CASE, case_create_route },
	{ M_GET, "/cases", R_CASEWORKER | R_COORD, ROUTE_QUERY,
	  AUDIT_CASE_LIST, AUDIT_OBJ_CASE, case_list_route },
	{ M_GET, "/cases/{id}", R_CASEWORKER | R_COORD, ROUTE_WORKER,
	  AUDIT_CASE_READ, AUDIT_OBJ_CASE, case_read_route },
	{ M_PATCH, "/cases/{id}", R_CASEWORKER | R_COORD, ROUTE_BODY,
	  AUDIT_CASE_UPDATE, AUDIT_OBJ_CASE, case_update_route },
	{ M_POST, "/cases/{id}/assignments", R_COORD, ROUTE_BODY,
	  AUDIT_CASE_ASSIGN, AUDIT_OBJ_CASE, assign_route },
	{ M_DELETE, "/cases/{id}/assignments/{user_id}", R_COORD, 0,
	  AUDIT_CASE_UNASSIGN, AUDIT_OBJ_CASE, unassign_route },
	{ M_POST, "/cases/{id}/shred", R_COORD, 0,
	  AUDIT_CASE_SHRED, AUDIT_OBJ_CASE, shred_route },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
