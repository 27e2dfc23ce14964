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
 *   POST /me/totp/recovery-codes {"password", "code"}: ten new
 *                          recovery codes, the old ones void
 *   PUT /settings/two-factor {"required"}: a coordinator requires
 *                          two-factor login of every account, or not
 *
 * While the policy requires it, a session without two-factor login may
 * use only these enrolment routes, GET /me, PUT /me/password (the first
 * password comes first) and logout (router.c). A wrong code at enrolment
 * counts toward the login throttle like a wrong password.
 *
 * A decoy session (a duress login) must change nothing about the account
 * and still look like a normal one: its enrolment answers as a real one
 * would, keeps the secret only in the session, and stores nothing; its
 * GET /me keeps showing the account's real two_factor.
 */
#include <string.h>

#include "crypto/secmem.h"
#include "crypto/userkey.h"
#include "schema/store_account.h"
#include "schema/store_user.h"
#include "server/audit/audit.h"
#include "server/core/account.h"
#include "server/core/kdfpool.h"
#include "server/core/lockout.h"
#include "server/log/log.h"
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
	struct twofactor_match m;
	int rc;

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
	/*
	 * Reads only, on the request's read snapshot: a wrong code writes
	 * nothing and takes no write lock, exactly as a wrong password does
	 * (both end in the same batched session.fail entry). Taking the
	 * write lock first, as this did before, made the right password
	 * with a wrong code measurably slower than a wrong password: an
	 * oracle that the password is right (review L1).
	 */
	rc = twofactor_code_check(r->db, user_id, code, store_now(), 1, &m);
	if (rc == TWOFACTOR_BAD)
		return -1;
	if (rc != TWOFACTOR_OK) {
		req_unavailable(r);
		return -2;
	}
	/* it matched: used up with the login's audit entry, or not at all */
	if (req_write_begin(r) != 0) {
		rc = -2;
		goto done;
	}
	switch (twofactor_code_use(r->db, user_id, &m)) {
	case TWOFACTOR_OK:
		rc = 0;
		/* the login's entry says which factor it was (docs/audit.md) */
		req_audit_flag(r, AUDIT_FACTOR_TAG, m.recovery ?
		    AUDIT_FACTOR_RECOVERY : AUDIT_FACTOR_TOTP);
		lockout_clear(user_id);
		break;
	case TWOFACTOR_BAD:
		rc = -1;	/* another login used it between */
		break;
	default:
		req_unavailable(r);
		rc = -2;
	}
done:
	twofactor_match_wipe(&m);
	return rc;
}

int
route_twofactor_login_failed(struct req *r, const char *user_id)
{
	if (lockout_fail(user_id) < TWOFACTOR_LOCKOUT_FAILURES)
		return 0;
	/*
	 * The one write of a wrong code: the cap is reached. The answer
	 * stays the same 401; the lock, its alert and account.lockout are
	 * committed with the failed login's own entry (commit_failure).
	 */
	if (req_write_begin(r) != 0)
		return -1;
	if (store_account_lock(r->db, user_id) != STORE_OK) {
		req_unavailable(r);
		return -1;
	}
	if (account_audit_also(r, AUDIT_ACCOUNT_LOCKOUT, user_id) != 0)
		return -1;
	r->after.commit_failure = 1;
	log_line(LOG_WARN, "req=%s user=%s locked out after %u wrong "
	    "second-factor codes", r->request_id, user_id,
	    TWOFACTOR_LOCKOUT_FAILURES);
	return 0;
}

int
route_twofactor_me(struct req *r, json_t *me)
{
	int64_t left = 0;
	int st = twofactor_state(r->db, r->actor_id, &left);

	if (st < 0)
		return -1;
	/*
	 * A decoy that went through its own (unstored) enrolment sees it on,
	 * as a real enrolment would show: the account's row is untouched,
	 * but a decoy answering "off" right after "on", or held on the
	 * enrolment screen for ever while the policy requires two-factor
	 * login, would give itself away. Before that, and for every other
	 * session, this is the account's own state.
	 */
	if (r->decoy && st == TWOFACTOR_NONE && session_twofactor(r->sess)) {
		st = TWOFACTOR_ON;
		left = RECOVERY_CODES;
	}
	return json_object_set_new(me, "two_factor", json_pack(
	    "{s:b, s:b, s:I}", "enabled", st == TWOFACTOR_ON,
	    "required", twofactor_policy_required(),
	    "recovery_codes_left", (json_int_t)left)) == 0 ? 0 : -1;
}

/*
 * A decoy session (a duress login) enrols as a real one would, with the
 * same answers, but stores nothing: the secret it was shown is kept boxed
 * in the session's key cache under this name (no case id looks like it),
 * with byte 31 set while an enrolment is begun and not confirmed.
 */
#define DECOY_TOTP_SLOT	"~decoy-totp~"
#define DECOY_TOTP_SET	31u

/* POST /me/totp */
static void
totp_begin_route(struct req *r)
{
	char secret[TOTP_SECRET_B32_CHARS + 1], uri[MAX_OTPAUTH_URI_BYTES];
	uint8_t decoy[32];
	struct user_row u;
	char *qr = NULL;
	int rc;

	req_audit_object(r, AUDIT_OBJ_USER, r->actor_id);
	memset(uri, 0, sizeof(uri));
	memset(decoy, 0, sizeof(decoy));
	memset(&u, 0, sizeof(u));
	/* a decoy reads the account's state but writes nothing */
	if (!r->decoy && req_write_begin(r) != 0)
		return;
	if (store_user_by_id(r->db, r->actor_id, &u) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	rc = twofactor_begin(r->db, u.id, u.username, secret, uri,
	    r->decoy ? decoy : NULL);
	if (rc == TWOFACTOR_BAD) {
		req_problem(r, 409, "already-enrolled",
		    "Two-factor login is already set up for this account.");
		goto done;
	}
	if (rc != TWOFACTOR_OK) {
		req_unavailable(r);
		goto done;
	}
	if (r->decoy) {
		decoy[DECOY_TOTP_SET] = 1;
		session_key_put(r->sess, r->sess_key, DECOY_TOTP_SLOT, 0,
		    decoy);
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
	secmem_wipe(decoy, sizeof(decoy));
	secmem_wipe(secret, sizeof(secret));
	secmem_wipe(uri, sizeof(uri));
	secmem_wipe(&u, sizeof(u));
}

/*
 * A decoy's POST /me/totp/confirm, after its password proof: the code is
 * checked against the secret its POST /me/totp showed, and the answer
 * carries recovery codes made for it alone. Nothing is stored; the
 * enrolment is forgotten, as a confirmed one cannot be confirmed again.
 */
static int
decoy_confirm(struct req *r, const char *code,
    char codes[RECOVERY_CODES][RECOVERY_CODE_SHOWN_BYTES])
{
	uint8_t secret[32];
	int rc = TWOFACTOR_BAD;

	if (session_key_get(r->sess, r->sess_key, DECOY_TOTP_SLOT, 0,
	    secret) == 0 && secret[DECOY_TOTP_SET] == 1)
		rc = twofactor_decoy_confirm(secret, code, store_now());
	if (rc == TWOFACTOR_OK) {
		secmem_wipe(secret, sizeof(secret));
		session_key_put(r->sess, r->sess_key, DECOY_TOTP_SLOT, 0,
		    secret);
		rc = twofactor_recovery_new(NULL, r->actor_id, codes);
	}
	secmem_wipe(secret, sizeof(secret));
	return rc;
}

/* The caller's current password (route_session_password_proof); a wrong
 * one answers 403 wrong-password. 0, or -1 answered. */
static int
password_step(struct req *r, const char *password, struct user_row *u)
{
	int rc = route_session_password_proof(r, password, u);

	if (rc == -1)
		req_deny(r, 403, "wrong-password", "The password is wrong.");
	return rc == 0 ? 0 : -1;
}

/* Answer {"recovery_codes": [...]} with codes. */
static void
codes_answer(struct req *r, int status,
    char codes[RECOVERY_CODES][RECOVERY_CODE_SHOWN_BYTES])
{
	json_t *list = json_array();

	for (unsigned i = 0; list != NULL && i < RECOVERY_CODES; i++)
		if (json_array_append_new(list, json_string(codes[i])) != 0) {
			json_decref(list);
			list = NULL;
		}
	if (list == NULL) {
		req_internal(r);
		return;
	}
	req_json(r, status, json_pack("{s:o}", "recovery_codes", list));
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
	int rc;

	req_audit_object(r, AUDIT_OBJ_USER, r->actor_id);
	memset(codes, 0, sizeof(codes));
	memset(&u, 0, sizeof(u));
	if (route_twofactor_confirm_body_parse(r->json, &in) != BODY_OK) {
		req_bad_body(r);
		return;
	}
	if (password_step(r, in.password, &u) != 0)
		goto done;
	if (r->decoy)
		rc = decoy_confirm(r, in.code, codes);
	else if (req_write_begin(r) != 0)
		goto done;
	else
		rc = twofactor_confirm(r->db, u.id, in.code, store_now(),
		    codes);
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
	/* a decoy too: its session then passes the policy gate, as an
	 * enrolled one would (in memory only) */
	r->after.twofactor_user = 1;
	codes_answer(r, 200, codes);
done:
	secmem_wipe(codes, sizeof(codes));
	secmem_wipe(&u, sizeof(u));
}

/*
 * POST /me/totp/recovery-codes {"password", "code"}: ten new recovery
 * codes, shown once; the old ones stop working in the same transaction.
 * The current password AND a current TOTP code (not a recovery code: one
 * found on paper must not make more), so neither a stolen session token
 * nor the password alone can mint codes that outlive the phone. The code
 * is used up (no replay). A wrong password answers 403 wrong-password, a
 * wrong code 403 wrong-code, both counted by the login throttle; an
 * account without two-factor login 409 not-enrolled. A decoy session
 * answers the same, checked the same (the duress password, the account's
 * code), with codes stored nowhere.
 */
static void
recovery_codes_route(struct req *r)
{
	char codes[RECOVERY_CODES][RECOVERY_CODE_SHOWN_BYTES];
	struct totp_confirm_input in;
	struct twofactor_match m;
	struct user_row u;
	int rc;

	req_audit_object(r, AUDIT_OBJ_USER, r->actor_id);
	memset(codes, 0, sizeof(codes));
	memset(&u, 0, sizeof(u));
	memset(&m, 0, sizeof(m));
	if (route_twofactor_confirm_body_parse(r->json, &in) != BODY_OK) {
		req_bad_body(r);
		return;
	}
	switch (twofactor_state(r->db, r->actor_id, NULL)) {
	case TWOFACTOR_ON:
		break;
	case TWOFACTOR_NONE:
		req_deny(r, 409, "not-enrolled", "Two-factor login is not "
		    "set up for this account (POST /me/totp).");
		return;
	default:
		req_unavailable(r);
		return;
	}
	if (password_step(r, in.password, &u) != 0)
		goto done;
	rc = twofactor_code_check(r->db, u.id, in.code, store_now(), 0, &m);
	if (rc == TWOFACTOR_OK && !r->decoy) {
		if (req_write_begin(r) != 0)
			goto done;
		rc = twofactor_code_use(r->db, u.id, &m);
	}
	if (rc == TWOFACTOR_OK)
		rc = twofactor_recovery_new(r->decoy ? NULL : r->db, u.id,
		    codes);
	if (rc == TWOFACTOR_BAD) {
		throttle_fail(u.username, r->client_ip);
		req_deny(r, 403, "wrong-code",
		    "The code is wrong or was already used.");
		goto done;
	}
	if (rc != TWOFACTOR_OK) {
		req_unavailable(r);
		goto done;
	}
	throttle_success(u.username, r->client_ip);
	codes_answer(r, 200, codes);
done:
	twofactor_match_wipe(&m);
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
	/* which way it was switched (docs/audit.md, review M3) */
	req_audit_flag(r, AUDIT_POLICY_TAG, required ? 1u : 0u);
	req_json(r, 200, json_pack("{s:b}", "required", required));
}

const struct route route_twofactor_table[] = {
	{ M_POST, "/me/totp", R_ANY_USER, ROUTE_TWOFACTOR_SETUP,
	  AUDIT_TOTP_BEGIN, AUDIT_OBJ_USER, totp_begin_route },
	{ M_POST, "/me/totp/confirm", R_ANY_USER,
	  ROUTE_BODY | ROUTE_TWOFACTOR_SETUP, AUDIT_TOTP_ENROL, AUDIT_OBJ_USER,
	  totp_confirm_route },
	{ M_POST, "/me/totp/recovery-codes", R_ANY_USER, ROUTE_BODY,
	  AUDIT_TOTP_RECOVERY, AUDIT_OBJ_USER, recovery_codes_route },
	{ M_PUT, "/settings/two-factor", R_COORD, ROUTE_BODY,
	  AUDIT_TWOFACTOR_POLICY, AUDIT_OBJ_NONE, policy_route },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
