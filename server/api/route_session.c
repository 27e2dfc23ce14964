/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_session: log in, log out, who am I, change my password.
 *
 * Login costs exactly one Argon2id run whatever happens: an unknown user, a
 * disabled user and a wrong password all burn the same work and get the
 * same 401 body, so neither the answer nor its timing tells them apart.
 * That work runs on the low-priority kdfpool threads (server/kdfpool.h),
 * which also cap how many logins derive keys or wait at once (503 busy).
 */
#include <string.h>

#include "crypto/secmem.h"
#include "crypto/seal.h"
#include "crypto/userkey.h"
#include "schema/store_user.h"
#include "server/audit/audit.h"
#include "server/http/jsonin.h"
#include "server/core/kdfpool.h"
#include "server/api/route.h"
#include "server/api/route_body.h"
#include "server/core/session.h"
#include "server/core/throttle.h"
#include "server/http/rfc3339.h"

static void
login_failed(struct req *r)
{
	r->audit_action = AUDIT_SESSION_FAIL;
	req_deny(r, 401, "login-failed", "Unknown user or wrong password.");
}

/* Unwrap the org secret key for a confirmed coordinator. 0 ok (org_sk
 * filled), 1 no grant (pending), -1 error. */
static int
open_org_grant(struct req *r, const struct user_row *u, const uint8_t sk[32],
    uint8_t org_sk[32])
{
	uint8_t blob[SEAL_BLOB_MAX], org_pk[32], grant_pk[32];
	size_t blob_len;
	int rc;

	rc = store_org_grant_get(r->db, u->id, blob, sizeof(blob), &blob_len);
	if (rc == STORE_ENOTFOUND)
		return 1;
	if (rc != STORE_OK || store_org_pk_get(r->db, org_pk) != STORE_OK)
		return -1;
	memcpy(grant_pk, u->pk, sizeof(grant_pk));
	if (seal_open(org_sk, SEAL_KIND_ORG, "org", u->id, grant_pk, sk, blob,
	    blob_len) != 0)
		return -1;
	/* the unwrapped key must be the org key we publish */
	if (!userkey_matches(org_pk, org_sk)) {
		secmem_wipe(org_sk, 32);
		return -1;
	}
	return 0;
}

/* --- the Argon2 work, run on the kdfpool ------------------------------------ */

/*
 * A login's key derivation: open the user's sealed key with the password,
 * or, for an unknown user (user_id NULL), burn the same Argon2 work. Every
 * pointer is the caller's; sk is wiped by userkey_open on failure.
 */
struct login_kdf {
	const char	*user_id;	/* NULL: unknown user */
	const char	*pw;
	size_t		 pw_len;
	const uint8_t	*sealed;
	size_t		 sealed_len;
	uint8_t		*sk;		/* OUT, 32 bytes */
	int		 opened;	/* OUT */
};

static void
login_kdf_run(void *arg)
{
	struct login_kdf *k = arg;

	if (k->user_id != NULL)
		k->opened = userkey_open(k->sk, k->user_id, k->pw, k->pw_len,
		    k->sealed, k->sealed_len) == 0;
	else {
		userkey_dummy_work(k->pw, k->pw_len);
		k->opened = 0;
	}
}

/*
 * A password change: open the sealed key with the old password; at
 * enrolment replace it with a fresh key pair (enrol_pk, enrol_sk); seal
 * the key under the new password into blob. Every pointer is the
 * caller's, who wipes sk and blob (router_finish wipes r->after.enrol_sk).
 */
struct password_kdf {
	const struct user_row *u;
	const char	*oldpw, *newpw;
	uint8_t		*sk;		/* 32 bytes, scratch */
	uint8_t		*enrol_pk;	/* OUT at enrolment, 32 bytes */
	uint8_t		*enrol_sk;	/* OUT at enrolment, 32 bytes */
	uint8_t		*blob;		/* OUT, USERKEY_BLOB_BYTES */
	int		 ok;		/* OUT: 1 sealed, 0 wrong old
					 * password, -1 sealing failed */
};

static void
password_kdf_run(void *arg)
{
	struct password_kdf *k = arg;
	const struct user_row *u = k->u;

	k->ok = userkey_open(k->sk, u->id, k->oldpw, strlen(k->oldpw),
	    u->sk_sealed, sizeof(u->sk_sealed)) == 0;
	if (k->ok && !u->enrolled) {
		/*
		 * Enrolment. The first password was chosen by an admin, so
		 * the key pair sealed under it may be known to them: make a
		 * fresh one, sealed under the user's own password. No grant
		 * can exist yet (an unenrolled user can be neither assigned
		 * nor confirmed), so nothing needs re-wrapping.
		 */
		userkey_generate(k->enrol_pk, k->enrol_sk);
		memcpy(k->sk, k->enrol_sk, USERKEY_SK_BYTES);
	}
	/* otherwise re-seal the same secret key: every grant stays valid */
	if (k->ok)
		k->ok = userkey_seal(k->blob, u->id, k->newpw,
		    strlen(k->newpw), k->sk) == 0 ? 1 : -1;
}

/* --- request bodies (route_body.h) ------------------------------------------ */

int
route_session_body_parse(const json_t *obj, struct login_input *in)
{
	static const char *const allowed[] = { "username", "password", NULL };

	memset(in, 0, sizeof(*in));
	if (jsonin_only(obj, allowed) != JSONIN_OK ||
	    jsonin_string(obj, "username", 1, 1, MAX_USERNAME_BYTES, 0,
	    &in->username, NULL) != JSONIN_OK ||
	    jsonin_string(obj, "password", 1, 1, MAX_PASSWORD_BYTES, 1,
	    &in->password, NULL) != JSONIN_OK) {
		memset(in, 0, sizeof(*in));
		return BODY_EINVALID;
	}
	return BODY_OK;
}

int
route_session_password_body_parse(const json_t *obj,
    struct password_input *in)
{
	static const char *const allowed[] = { "old_password", "new_password",
	    NULL };

	memset(in, 0, sizeof(*in));
	if (jsonin_only(obj, allowed) != JSONIN_OK ||
	    jsonin_string(obj, "old_password", 1, 1, MAX_PASSWORD_BYTES, 1,
	    &in->old_password, NULL) != JSONIN_OK ||
	    jsonin_string(obj, "new_password", 1, MIN_PASSWORD_BYTES,
	    MAX_PASSWORD_BYTES, 1, &in->new_password, NULL) != JSONIN_OK) {
		memset(in, 0, sizeof(*in));
		return BODY_EINVALID;
	}
	return BODY_OK;
}

/* --- routes ------------------------------------------------------------------ */

static void
session_create_route(struct req *r)
{
	struct login_input in;
	struct login_kdf kdf;
	const char *username, *password;
	uint8_t sk[32], org_sk[32];
	char token[TOKEN_B64_CHARS + 1], exp[21];
	struct user_row u;
	unsigned retry;
	int64_t expires;
	int rc, have_user, has_org = 0, opened;

	if (route_session_body_parse(r->json, &in) != BODY_OK) {
		r->audit_action = AUDIT_SESSION_FAIL;
		req_bad_body(r);
		return;
	}
	username = in.username;
	password = in.password;
	if (throttle_check(username, r->client_ip, &retry) != 0) {
		r->audit_action = AUDIT_SESSION_FAIL;
		req_deny(r, 429, "throttled",
		    "Too many failed logins; wait before trying again.");
		r->retry_after_s = retry;
		return;
	}
	rc = store_user_by_name(r->db, username, &u);
	if (rc != STORE_OK && rc != STORE_ENOTFOUND) {
		req_unavailable(r);
		return;
	}
	have_user = rc == STORE_OK;
	memset(&kdf, 0, sizeof(kdf));
	kdf.user_id = have_user ? u.id : NULL;
	kdf.pw = password;
	kdf.pw_len = strlen(password);
	kdf.sealed = u.sk_sealed;
	kdf.sealed_len = sizeof(u.sk_sealed);
	kdf.sk = sk;
	if (kdfpool_run(login_kdf_run, &kdf) != 0) {
		r->audit_action = AUDIT_SESSION_FAIL;
		req_problem(r, 503, "busy", "Too many logins at once; retry.");
		r->retry_after_s = 1;
		goto done;
	}
	opened = kdf.opened;
	if (have_user)
		req_audit_object(r, AUDIT_OBJ_USER, u.id);
	if (!opened || (u.status != USER_ACTIVE && u.status != USER_PENDING)) {
		throttle_fail(username, r->client_ip);
		login_failed(r);
		goto done;
	}
	if (u.role == ROLE_COORDINATOR && u.status == USER_ACTIVE) {
		rc = open_org_grant(r, &u, sk, org_sk);
		if (rc < 0) {
			req_internal(r);
			goto done;
		}
		has_org = rc == 0;
	}
	if (session_create(&u, sk, has_org ? org_sk : NULL, token,
	    sizeof(token), &expires) != 0) {
		req_problem(r, 503, "too-many-sessions",
		    "The server has too many live sessions; retry later.");
		r->retry_after_s = 5;
		goto done;
	}
	throttle_success(username, r->client_ip);
	memcpy(r->actor_id, u.id, sizeof(r->actor_id));
	r->role = u.role;
	rfc3339_format(exp, expires);
	req_json(r, 201, json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}",
	    "token", token, "expires_at", exp,
	    "user", "id", u.id, "username", u.username,
	    "role", role_name(u.role)));
done:
	secmem_wipe(sk, sizeof(sk));
	secmem_wipe(org_sk, sizeof(org_sk));
	secmem_wipe(token, sizeof(token));
	secmem_wipe(&u, sizeof(u));
}

static void
session_delete_route(struct req *r)
{
	req_audit_object(r, AUDIT_OBJ_SESSION, NULL);
	session_end(r->sess);
	req_no_content(r);
}

static void
me_route(struct req *r)
{
	struct user_row u;

	if (store_user_by_id(r->db, r->actor_id, &u) != STORE_OK) {
		req_unavailable(r);
		return;
	}
	req_json(r, 200, json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", u.id,
	    "username", u.username, "role", role_name(u.role),
	    "status", user_status_name(u.status), "enrolled", u.enrolled));
}

static void
password_route(struct req *r)
{
	struct password_input in;
	struct password_kdf kdf;
	const char *oldpw, *newpw;
	uint8_t sk[32], blob[USERKEY_BLOB_BYTES];
	struct user_row u;
	unsigned retry;
	int ok;

	req_audit_object(r, AUDIT_OBJ_USER, r->actor_id);
	if (route_session_password_body_parse(r->json, &in) != BODY_OK) {
		req_bad_body(r);
		return;
	}
	oldpw = in.old_password;
	newpw = in.new_password;
	if (store_user_by_id(r->db, r->actor_id, &u) != STORE_OK) {
		req_unavailable(r);
		return;
	}
	if (throttle_check(u.username, r->client_ip, &retry) != 0) {
		req_deny(r, 429, "throttled",
		    "Too many failed attempts; wait before trying again.");
		r->retry_after_s = retry;
		return;
	}
	memset(&kdf, 0, sizeof(kdf));
	kdf.u = &u;
	kdf.oldpw = oldpw;
	kdf.newpw = newpw;
	kdf.sk = sk;
	kdf.enrol_pk = r->after.enrol_pk;
	kdf.enrol_sk = r->after.enrol_sk;
	kdf.blob = blob;
	if (kdfpool_run(password_kdf_run, &kdf) != 0) {
		req_problem(r, 503, "busy", "Too many logins at once; retry.");
		r->retry_after_s = 1;
		goto done;
	}
	ok = kdf.ok;
	if (ok == 0) {
		throttle_fail(u.username, r->client_ip);
		req_deny(r, 403, "wrong-password",
		    "The current password is wrong.");
		goto done;
	}
	if (ok < 0) {
		req_internal(r);
		goto done;
	}
	if (!u.enrolled && strcmp(oldpw, newpw) == 0) {
		req_problem(r, 422, "same-password",
		    "Choose a password of your own, not the one you were given.");
		goto done;
	}
	if (req_write_begin(r) != 0)
		goto done;
	if (u.enrolled)
		ok = store_user_set_sealed(r->db, u.id, blob) == STORE_OK;
	else {
		ok = store_user_enrol(r->db, u.id, r->after.enrol_pk, blob) ==
		    STORE_OK;
		r->after.enrol = ok;
	}
	if (!ok) {
		req_unavailable(r);
		goto done;
	}
	session_end_user(u.id, r->sess);
	req_no_content(r);
done:
	secmem_wipe(sk, sizeof(sk));
	secmem_wipe(blob, sizeof(blob));
}

const struct route route_session_table[] = {
	{ M_POST, "/session", R_ANON, ROUTE_BODY, AUDIT_SESSION_CREATE,
	  AUDIT_OBJ_USER, session_create_route },
	{ M_DELETE, "/session", R_ANY_USER, ROUTE_PENDING, AUDIT_SESSION_END,
	  AUDIT_OBJ_SESSION, session_delete_route },
	{ M_GET, "/me", R_ANY_USER, ROUTE_PENDING, AUDIT_NONE, AUDIT_OBJ_USER,
	  me_route },
	{ M_PUT, "/me/password", R_ANY_USER, ROUTE_BODY | ROUTE_PENDING,
	  AUDIT_USER_PASSWORD, AUDIT_OBJ_USER, password_route },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
