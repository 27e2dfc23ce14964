/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_twofactor: enrolment in two-factor login from the user's own
 * session, and the coordinators' policy switch.
 *
 *   POST /me/totp          a fresh secret, unconfirmed: its base32 text,
 *                          the otpauth:// URI and a QR code of it
 *   POST /me/totp/confirm  {"code", "password"}: a code of that secret and
 *                          the current password complete the enrolment;
 *                          the answer carries the ten recovery codes, the
 *                          only time they are shown; the user's other
 *                          sessions end
 *   PUT /settings/two-factor {"required"}: a coordinator requires
 *                          two-factor login of every account, or not
 *
 * While the policy requires it, a session without two-factor login may
 * use only these enrolment routes, GET /me, PUT /me/password (the first
 * password comes first) and logout (router.c). A wrong code at enrolment
 * counts toward the login throttle like a wrong password.
 */
#include <string.h>

#include "crypto/secmem.h"
#include "schema/store_user.h"
#include "server/api/route.h"
#include "server/api/route_body.h"
#include "server/api/route_twofactor.h"
#include "server/core/qr.h"
#include "server/core/session.h"
#include "server/core/throttle.h"
#include "server/core/twofactor.h"
#include "server/http/jsonin.h"

int
route_twofactor_login_step(struct req *r, const char *user_id,
    const char *code, int *twofactor)
{
	int used_recovery = 0, rc;

	*twofactor = 0;
	switch (twofactor_state(r->db, user_id, NULL)) {
	case TWOFACTOR_NONE:
		return 0;
	case TWOFACTOR_ON:
		break;
	default:
		req_unavailable(r);
		return -2;
	}
	*twofactor = 1;
	if (code == NULL)
		return -1;
	/* the code is used up with the login's audit entry, or not at all */
	if (req_write_begin(r) != 0)
		return -2;
	rc = twofactor_login_check(r->db, user_id, code, store_now(),
	    &used_recovery);
	if (rc == TWOFACTOR_BAD)
		return -1;
	if (rc != TWOFACTOR_OK) {
		req_unavailable(r);
		return -2;
	}
	return 0;
}

int
route_twofactor_me(struct req *r, json_t *me)
{
	int64_t left = 0;
	int st = twofactor_state(r->db, r->actor_id, &left);

	if (st < 0)
		return -1;
	return json_object_set_new(me, "two_factor", json_pack(
	    "{s:b, s:b, s:I}", "enabled", st == TWOFACTOR_ON,
	    "required", twofactor_policy_required(),
	    "recovery_codes_left", (json_int_t)left)) == 0 ? 0 : -1;
}

/* POST /me/totp */
static void
totp_begin_route(struct req *r)
{
	char secret[TOTP_SECRET_B32_CHARS + 1], uri[MAX_OTPAUTH_URI_BYTES];
	struct user_row u;
	char *qr = NULL;
	int rc;

	req_audit_object(r, AUDIT_OBJ_USER, r->actor_id);
	memset(uri, 0, sizeof(uri));
	if (req_write_begin(r) != 0)
		return;
	if (store_user_by_id(r->db, r->actor_id, &u) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	rc = twofactor_begin(r->db, u.id, u.username, secret, uri);
	if (rc == TWOFACTOR_BAD) {
		req_problem(r, 409, "already-enrolled",
		    "Two-factor login is already set up for this account.");
		goto done;
	}
	if (rc != TWOFACTOR_OK) {
		req_unavailable(r);
		goto done;
	}
	if ((qr = qr_svg_data_uri(uri)) == NULL) {
		req_internal(r);
		goto done;
	}
	req_json(r, 201, json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}",
	    "secret", secret, "otpauth_uri", uri, "qr", qr,
	    "algorithm", "SHA1", "digits", (int)TOTP_DIGITS,
	    "period", (int)TOTP_STEP_S));
done:
	secmem_buf_free(qr);
	secmem_wipe(secret, sizeof(secret));
	secmem_wipe(uri, sizeof(uri));
	secmem_wipe(&u, sizeof(u));
}

int
route_twofactor_confirm_body_parse(const json_t *obj,
    struct totp_confirm_input *in)
{
	static const char *const allowed[] = { "code", "password", NULL };
	int64_t c;

	memset(in, 0, sizeof(*in));
	if (jsonin_only(obj, allowed) != JSONIN_OK ||
	    jsonin_string(obj, "code", 1, 1, MAX_TWOFACTOR_CODE_BYTES, 0,
	    &in->code, NULL) != JSONIN_OK ||
	    totp_code_parse(in->code, TOTP_DIGITS, &c) != 0 ||
	    jsonin_string(obj, "password", 1, 1, MAX_PASSWORD_BYTES, 1,
	    &in->password, NULL) != JSONIN_OK) {
		memset(in, 0, sizeof(*in));
		return BODY_EINVALID;
	}
	return BODY_OK;
}

/*
 * POST /me/totp/confirm {"code", "password"}: the current password too,
 * so that a stolen session token alone cannot enrol an attacker's
 * authenticator (and with it lock the owner out under the policy). The
 * password goes through the same throttle and Argon2 work as POST
 * /session/confirm; a wrong one answers 403 wrong-password, a wrong code
 * 403 wrong-code, both counted as failures.
 */
static void
totp_confirm_route(struct req *r)
{
	char codes[RECOVERY_CODES][RECOVERY_CODE_SHOWN_BYTES];
	struct totp_confirm_input in;
	struct user_row u;
	json_t *list;
	int rc;

	req_audit_object(r, AUDIT_OBJ_USER, r->actor_id);
	memset(codes, 0, sizeof(codes));
	memset(&u, 0, sizeof(u));
	if (route_twofactor_confirm_body_parse(r->json, &in) != BODY_OK) {
		req_bad_body(r);
		return;
	}
	rc = route_session_password_proof(r, in.password, &u);
	if (rc == -2)
		goto done;
	if (rc != 0) {
		req_deny(r, 403, "wrong-password", "The password is wrong.");
		goto done;
	}
	if (req_write_begin(r) != 0)
		goto done;
	rc = twofactor_confirm(r->db, u.id, in.code, store_now(), codes);
	if (rc == TWOFACTOR_BAD) {
		throttle_fail(u.username, r->client_ip);
		req_deny(r, 403, "wrong-code", "The code is wrong or was "
		    "already used, or no enrolment was begun (POST /me/totp).");
		goto done;
	}
	if (rc != TWOFACTOR_OK) {
		req_unavailable(r);
		goto done;
	}
	throttle_success(u.username, r->client_ip);
	if ((list = json_array()) == NULL) {
		req_internal(r);
		goto done;
	}
	for (unsigned i = 0; i < RECOVERY_CODES; i++)
		json_array_append_new(list, json_string(codes[i]));
	r->after.twofactor_user = 1;
	req_json(r, 200, json_pack("{s:o}", "recovery_codes", list));
done:
	secmem_wipe(codes, sizeof(codes));
	secmem_wipe(&u, sizeof(u));
}

/* PUT /settings/two-factor {"required": bool} */
static void
policy_route(struct req *r)
{
	static const char *const allowed[] = { "required", NULL };
	json_t *v = json_object_get(r->json, "required");
	int required, st;

	if (jsonin_only(r->json, allowed) != JSONIN_OK || !json_is_boolean(v)) {
		req_bad_body(r);
		return;
	}
	required = json_is_true(v);
	/* a stolen coordinator token alone must not switch the policy (on:
	 * it locks every account without a second factor out of all but
	 * enrolment; off: it drops the second factor for new logins) */
	if (!session_confirmed(r->sess)) {
		req_deny(r, 403, "reauth-required",
		    "Confirm your password (POST /api/v1/session/confirm), "
		    "then retry. A confirmation lasts 5 minutes.");
		return;
	}
	/* a coordinator who turned it on without it would lock themselves
	 * out of everything but enrolment; set it up first */
	st = twofactor_state(r->db, r->actor_id, NULL);
	if (st < 0) {
		req_unavailable(r);
		return;
	}
	if (required && st != TWOFACTOR_ON) {
		req_problem(r, 409, "two-factor-not-enrolled",
		    "Set up two-factor login for your own account first.");
		return;
	}
	if (req_write_begin(r) != 0)
		return;
	/* under the write lock: seq is this write's place in commit order */
	if (twofactor_policy_store(r->db, required,
	    &r->after.twofactor_policy_seq) != 0) {
		req_unavailable(r);
		return;
	}
	r->after.twofactor_policy = required ? 2 : 1;
	req_json(r, 200, json_pack("{s:b}", "required", required));
}

const struct route route_twofactor_table[] = {
	{ M_POST, "/me/totp", R_ANY_USER, ROUTE_TWOFACTOR_SETUP,
	  AUDIT_TOTP_BEGIN, AUDIT_OBJ_USER, totp_begin_route },
	{ M_POST, "/me/totp/confirm", R_ANY_USER,
	  ROUTE_BODY | ROUTE_TWOFACTOR_SETUP, AUDIT_TOTP_ENROL, AUDIT_OBJ_USER,
	  totp_confirm_route },
	{ M_PUT, "/settings/two-factor", R_COORD, ROUTE_BODY,
	  AUDIT_TWOFACTOR_POLICY, AUDIT_OBJ_NONE, policy_route },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
