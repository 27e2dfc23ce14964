/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_user: accounts. Admins create users; admins and coordinators list
 * and revoke them; a confirmed coordinator confirms a pending coordinator,
 * which seals the org secret key to the new coordinator's public key
 * (Bitwarden's "confirm member" flow). No route here returns case content.
 */
#include <string.h>

#include "crypto/secmem.h"
#include "crypto/seal.h"
#include "crypto/token.h"
#include "crypto/userkey.h"
#include "schema/store_user.h"
#include "server/audit/audit.h"
#include "server/http/jsonin.h"
#include "server/http/jsonout.h"
#include "server/core/access.h"
#include "server/core/kdfpool.h"
#include "server/api/route.h"
#include "server/api/route_body.h"
#include "server/core/session.h"
#include "server/core/users.h"

json_t *
route_user_json(const struct user_row *u)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", u->id,
	    "username", u->username, "role", role_name(u->role),
	    "status", user_status_name(u->status), "enrolled", u->enrolled);
}

int
route_user_load(struct req *r, const char *id, struct user_row *u)
{
	int rc = store_user_by_id(r->db, id, u);

	if (rc == STORE_ENOTFOUND)
		req_not_found(r);
	else if (rc != STORE_OK)
		req_unavailable(r);
	return rc == STORE_OK ? 0 : -1;
}

/* --- the request body (route_body.h) ------------------------------------ */

int
route_user_body_parse(const json_t *obj, struct user_input *in)
{
	static const char *const allowed[] = { "username", "password", "role",
	    NULL };
	static const char *const roles[] = { "admin", "coordinator",
	    "caseworker", "auditor", NULL };
	int role_ix = 0;

	memset(in, 0, sizeof(*in));
	if (jsonin_only(obj, allowed) != JSONIN_OK ||
	    jsonin_string(obj, "username", 1, MIN_USERNAME_BYTES,
	    MAX_USERNAME_BYTES, 0, &in->username, NULL) != JSONIN_OK ||
	    !users_name_ok(in->username) ||
	    jsonin_string(obj, "password", 1, MIN_PASSWORD_BYTES,
	    MAX_PASSWORD_BYTES, 1, &in->password, NULL) != JSONIN_OK ||
	    jsonin_enum(obj, "role", 1, roles, &role_ix, NULL) != JSONIN_OK) {
		memset(in, 0, sizeof(*in));
		return BODY_EINVALID;
	}
	in->role = role_parse(roles[role_ix]);
	return BODY_OK;
}

/* --- the Argon2 work, run on the kdfpool ----------------------------------- */

/* A new account: users_new makes the key pair and seals it under the
 * first password. Every pointer is the caller's. */
struct user_kdf {
	struct user_row		*u;	/* OUT */
	const struct user_input	*in;
	int			 rc;	/* OUT: users_new's */
};

static void
user_kdf_run(void *arg)
{
	struct user_kdf *k = arg;

	k->rc = users_new(k->u, k->in->username, k->in->password,
	    strlen(k->in->password), k->in->role);
}

/* --- routes ---------------------------------------------------------------- */

static void
user_create_route(struct req *r)
{
	struct user_input in;
	struct user_kdf kdf;
	struct user_row u;
	int rc;

	if (route_user_body_parse(r->json, &in) != BODY_OK) {
		req_bad_body(r);
		return;
	}
	/* a first password is replaced at enrolment, but it guards the
	 * account until then */
	if (users_password_ok(r, in.password, in.username, NULL) != 0)
		return;
	kdf.u = &u;
	kdf.in = &in;
	kdf.rc = -1;
	if (kdfpool_run(user_kdf_run, &kdf) != 0) {
		req_problem(r, 503, "busy", "Too many key derivations; retry.");
		r->retry_after_s = 1;
		return;
	}
	rc = kdf.rc;
	if (rc != 0) {
		req_internal(r);
		return;
	}
	req_audit_object(r, AUDIT_OBJ_USER, u.id);
	if (req_write_begin(r) != 0)
		return;
	rc = store_user_insert(r->db, &u);
	if (rc == STORE_ECONFLICT) {
		req_problem(r, 409, "username-taken",
		    "That username is already in use.");
		return;
	}
	if (rc != STORE_OK) {
		req_unavailable(r);
		return;
	}
	req_json(r, 201, route_user_json(&u));
}

/* The list is written as JSON text (server/http/jsonout.h), with
 * route_user_json's members in its order: no allocation per user
 * (issue 17). */
static int
list_one(void *arg, const struct user_row *u)
{
	struct jsonout *o = arg;

	jsonout_object_begin(o);
	jsonout_key(o, "id");
	jsonout_string(o, u->id);
	jsonout_key(o, "username");
	jsonout_string(o, u->username);
	jsonout_key(o, "role");
	jsonout_string(o, role_name(u->role));
	jsonout_key(o, "status");
	jsonout_string(o, user_status_name(u->status));
	jsonout_key(o, "enrolled");
	jsonout_bool(o, u->enrolled);
	jsonout_object_end(o);
	return o->err;
}

static void
user_list_route(struct req *r)
{
	struct jsonout o;

	jsonout_init(&o);
	jsonout_object_begin(&o);
	jsonout_key(&o, "users");
	jsonout_array_begin(&o);
	if (store_user_each(r->db, list_one, &o) != STORE_OK) {
		if (o.err)
			req_internal(r);
		else
			req_unavailable(r);
		jsonout_free(&o);
		return;
	}
	jsonout_array_end(&o);
	jsonout_object_end(&o);
	req_json_text(r, 200, &o);
}

static void
user_confirm_route(struct req *r)
{
	const char *id = r->params[0];
	struct casefile_holder org_h;
	uint8_t blob[SEAL_BLOB_MAX], org[32];
	struct user_row u;
	size_t blob_len;
	int rc;

	req_audit_object(r, AUDIT_OBJ_USER, id);
	if (req_write_begin(r) != 0)
		return;
	/* the org key, opened for this request (a fresh password
	 * confirmation) */
	if (access_org_holder(r, &org_h) != 0)
		return;
	if (route_user_load(r, id, &u) != 0)
		return;
	if (u.role != ROLE_COORDINATOR || u.status != USER_PENDING) {
		req_problem(r, 409, "not-pending",
		    "Only a pending coordinator can be confirmed.");
		return;
	}
	if (!u.enrolled) {
		/* the org key goes only to a key pair its holder made under a
		 * password nobody else chose */
		req_problem(r, 409, "not-enrolled",
		    "The coordinator must replace their first password first.");
		return;
	}
	memcpy(org, org_h.sk, sizeof(org));
	rc = seal_key(blob, sizeof(blob), &blob_len, SEAL_KIND_ORG, "org", u.id,
	    org, u.pk);
	secmem_wipe(org, sizeof(org));
	if (rc != 0) {
		req_internal(r);
		return;
	}
	if (store_org_grant_put(r->db, u.id, blob, blob_len, r->actor_id)
	    != STORE_OK ||
	    store_user_set_status(r->db, u.id, USER_ACTIVE) != STORE_OK) {
		req_unavailable(r);
		return;
	}
	/* their current sessions were made without the org key */
	session_end_user(u.id, NULL);
	u.status = USER_ACTIVE;
	req_json(r, 200, route_user_json(&u));
}

static void
user_revoke_route(struct req *r)
{
	const char *id = r->params[0];
	struct user_row u;

	req_audit_object(r, AUDIT_OBJ_USER, id);
	if (strcmp(id, r->actor_id) == 0) {
		req_problem(r, 409, "self-revoke",
		    "You cannot revoke your own account.");
		return;
	}
	if (req_write_begin(r) != 0)
		return;
	if (route_user_load(r, id, &u) != 0)
		return;
	/* A coordinator may revoke caseworkers, auditors and coordinators not
	 * yet confirmed. Admins and confirmed coordinators are revoked by an
	 * admin, so one newly confirmed coordinator cannot take over. */
	if (r->role == ROLE_COORDINATOR && (u.role == ROLE_ADMIN ||
	    (u.role == ROLE_COORDINATOR && u.status == USER_ACTIVE))) {
		req_deny(r, 403, "admin-only",
		    "Only an admin can revoke an admin or a confirmed "
		    "coordinator.");
		return;
	}
	/* the org key exists only in coordinators' grants: revoking the last
	 * holder would lose it for good, and with it every unassigned case */
	if (users_org_holder_check(r, u.id, "Confirm another coordinator "
	    "before revoking the last one holding the org key.") != 0)
		return;
	if (store_user_set_status(r->db, u.id, USER_REVOKED) != STORE_OK ||
	    store_org_grant_delete(r->db, u.id) != STORE_OK ||
	    users_revoke_grants(r, u.id) != 0) {
		if (r->status == 0)
			req_unavailable(r);
		return;
	}
	/* sessions end now; if the commit then fails they stay ended, which
	 * errs on the safe side */
	session_end_user(u.id, NULL);
	u.status = USER_REVOKED;
	req_json(r, 200, route_user_json(&u));
}

const struct route route_user_table[] = {
	{ M_POST, "/users", R_ADMIN, ROUTE_BODY, AUDIT_USER_CREATE,
	  AUDIT_OBJ_USER, user_create_route },
	{ M_GET, "/users", R_ADMIN | R_COORD, 0, AUDIT_USER_LIST,
	  AUDIT_OBJ_USER, user_list_route },
	{ M_POST, "/users/{id}/confirm", R_COORD, 0, AUDIT_USER_CONFIRM,
	  AUDIT_OBJ_USER, user_confirm_route },
	{ M_POST, "/users/{id}/revoke", R_ADMIN | R_COORD, 0, AUDIT_USER_REVOKE,
	  AUDIT_OBJ_USER, user_revoke_route },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
