/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_account: accounts under coercion (issue 14). A user's own
 * sessions, login history, panic button and duress password; a
 * coordinator's or admin's panic and reset of another account, the
 * re-sealing of a re-enrolled account's cases, and the alerts.
 *
 * A duress login (server/api/route_session.c) opens a decoy session. What
 * it must not reveal is decided here and in router.c: GET /me looks like
 * the account's normal answer (no duress password set, nothing waiting,
 * no alert about itself), the case routes answer as for a caseworker with
 * no assignments, and the routes that would store something (a password,
 * a duress password) burn the same Argon2 work and answer 503 busy, as a
 * loaded server does. docs/threat-model.md lists what a decoy still
 * cannot hide.
 */
#include <string.h>

#include "crypto/secmem.h"
#include "crypto/userkey.h"
#include "schema/store_account.h"
#include "schema/store_user.h"
#include "server/audit/audit.h"
#include "server/audit/audit_reason.h"
#include "server/core/access.h"
#include "server/core/account.h"
#include "server/core/kdfpool.h"
#include "server/core/session.h"
#include "server/core/throttle.h"
#include "server/core/users.h"
#include "server/http/jsonin.h"
#include "server/http/rfc3339.h"
#include "server/api/route.h"
#include "server/api/route_twofactor.h"

/* --- the Argon2 work ---------------------------------------------------- */

/* Burn a login's work on pw (a decoy's stand-in for a real check). */
static void
dummy_run(void *arg)
{
	const char *pw = arg;

	userkey_dummy_work(pw, strlen(pw));
}

int
route_account_decoy_busy(struct req *r, const char *pw)
{
	if (!r->decoy)
		return 0;
	if (kdfpool_run(dummy_run, (void *)(uintptr_t)pw) != 0)
		r->retry_after_s = 1;	/* busy for real */
	req_problem(r, 503, "busy", "Too many logins at once; retry.");
	r->retry_after_s = 1;
	return 1;
}

/*
 * PUT /me/duress: open the sealed key with the real password; if it was
 * sealed at weaker limits, re-seal it (the verifier is bound to its salt);
 * make the duress password's verifier for the blob that will be stored.
 */
struct duress_kdf {
	const struct user_row *u;
	const char	*pw, *duress;
	uint8_t		*blob;		/* OUT: the blob to keep */
	int		 resealed;	/* OUT: blob differs from u's */
	uint8_t		*verifier;	/* OUT */
	int		 ok;		/* OUT: 1 done, 0 wrong password,
					 * -1 failed */
};

static void
duress_kdf_run(void *arg)
{
	struct duress_kdf *k = arg;
	uint8_t sk[USERKEY_SK_BYTES];

	memcpy(k->blob, k->u->sk_sealed, USERKEY_BLOB_BYTES);
	k->resealed = 0;
	k->ok = userkey_open(sk, k->u->id, k->pw, strlen(k->pw), k->blob,
	    USERKEY_BLOB_BYTES) == 0;
	if (!k->ok)
		return;
	if (userkey_is_weak(k->blob, USERKEY_BLOB_BYTES)) {
		k->resealed = 1;
		if (userkey_seal(k->blob, k->u->id, k->pw, strlen(k->pw), sk)
		    != 0)
			k->ok = -1;
	}
	secmem_wipe(sk, sizeof(sk));
	if (k->ok == 1 && userkey_duress_verifier(k->verifier, k->u->id,
	    k->duress, strlen(k->duress), k->blob, USERKEY_BLOB_BYTES) != 0)
		k->ok = -1;
}

/* POST /users/{id}/reset: a fresh key pair sealed under the first
 * password the coordinator or admin gives. */
struct reset_kdf {
	const struct user_row *u;
	const char	*pw;
	uint8_t		*pk, *blob;	/* OUT */
	int		 ok;
};

static void
reset_kdf_run(void *arg)
{
	struct reset_kdf *k = arg;
	uint8_t sk[USERKEY_SK_BYTES];

	userkey_generate(k->pk, sk);
	k->ok = userkey_seal(k->blob, k->u->id, k->pw, strlen(k->pw), sk) == 0;
	secmem_wipe(sk, sizeof(sk));
}

static int
kdf_busy(struct req *r, void (*fn)(void *), void *arg)
{
	if (kdfpool_run(fn, arg) == 0)
		return 0;
	req_problem(r, 503, "busy", "Too many logins at once; retry.");
	r->retry_after_s = 1;
	return -1;
}

/* --- the row a key-pair write was prepared from ---------------------------- */

int
route_account_unchanged(struct req *r, const struct user_row *before)
{
	struct user_row now;
	int same;

	if (route_user_load(r, before->id, &now) != 0)
		return -1;
	/* an erasure (panic, duress) and a reset both write a new sealed
	 * blob, so comparing it catches them; a reset account's own
	 * enrolment is no change (it was read that way) */
	same = now.status == before->status && now.role == before->role &&
	    now.enrolled == before->enrolled &&
	    secmem_equal(now.pk, before->pk, sizeof(now.pk)) &&
	    secmem_equal(now.sk_sealed, before->sk_sealed,
	    sizeof(now.sk_sealed));
	secmem_wipe(&now, sizeof(now));
	if (same)
		return 0;
	req_problem(r, 409, "account-changed", "The account changed while "
	    "this request was being checked (a panic, a reset, a revocation "
	    "or another password change); nothing was stored.");
	return -1;
}

/* --- GET /me, the parts of this issue ------------------------------------- */

static int
count_one(void *arg, const struct store_waiting *w)
{
	(void)w;
	(*(int64_t *)arg)++;
	return 0;
}

int
route_account_me_fields(struct req *r, const struct user_row *u, json_t *o)
{
	uint8_t v[STORE_DURESS_BYTES];
	char fp[USERKEY_FP_CHARS];
	int64_t waiting = 0, alerts = 0;
	int have = 0;

	if (store_account_duress_get(r->db, u->id, v, &have) != STORE_OK)
		return -1;
	secmem_wipe(v, sizeof(v));
	if (!r->decoy && store_account_waiting(r->db, u->id,
	    MAX_RESEAL_PER_REQUEST, count_one, &waiting) != STORE_OK)
		return -1;
	userkey_fingerprint(fp, u->pk);
	/* read aloud to a coordinator who re-seals cases to this key pair
	 * (POST /users/{id}/reseal); a decoy shows the account's, unchanged
	 * by the erasure */
	if (json_object_set_new(o, "pk_fingerprint", json_string(fp)) != 0 ||
	    json_object_set_new(o, "duress_set",
	    json_boolean(have && !r->decoy)) != 0 ||
	    json_object_set_new(o, "cases_waiting",
	    json_integer(r->decoy ? 0 : waiting)) != 0)
		return -1;
	/* the role the account has, not the decoy's caseworker stand-in */
	if (u->role != ROLE_COORDINATOR && u->role != ROLE_ADMIN)
		return 0;
	/* a decoy shows no alert: other people's duress logins and panics
	 * are exactly what the captor must not learn of */
	if (!r->decoy && store_account_alert_count(r->db, u->id, &alerts) !=
	    STORE_OK)
		return -1;
	return json_object_set_new(o, "alerts", json_integer(alerts));
}

/* --- one's own sessions and logins ------------------------------------------ */

static void
me_sessions_route(struct req *r)
{
	struct session_info s[MAX_SESSIONS_PER_USER];
	char created[RFC3339_BYTES], seen[RFC3339_BYTES];
	unsigned n = session_list(r->actor_id, r->sess, s,
	    MAX_SESSIONS_PER_USER);
	json_t *arr = json_array();

	for (unsigned i = 0; arr != NULL && i < n; i++) {
		rfc3339_format(created, s[i].created);
		rfc3339_format(seen, s[i].last_seen);
		if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s, "
		    "s:b, s:s?}", "id", s[i].id, "created_at", created,
		    "last_seen_at", seen, "current", s[i].current,
		    "client", s[i].label[0] ? s[i].label : NULL)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	if (arr == NULL) {
		req_internal(r);
		return;
	}
	req_json(r, 200, json_pack("{s:o}", "sessions", arr));
}

static void
me_session_delete_route(struct req *r)
{
	req_audit_object(r, AUDIT_OBJ_SESSION, r->params[0]);
	if (session_end_id(r->actor_id, r->params[0]) != 0) {
		req_not_found(r);
		return;
	}
	req_no_content(r);
}

static int
login_one(void *arg, const struct store_login *l)
{
	char at[RFC3339_MS_BYTES];

	rfc3339_format_ms(at, (uint64_t)l->time_ms);
	return json_array_append_new(arg, json_pack("{s:s, s:s}", "at", at,
	    "result", l->action == AUDIT_SESSION_CREATE &&
	    l->outcome == AUDIT_ALLOWED ? "success" : "failure"));
}

static void
me_logins_route(struct req *r)
{
	json_t *arr = json_array();

	req_audit_object(r, AUDIT_OBJ_USER, r->actor_id);
	if (arr == NULL || store_account_logins(r->db, r->actor_id,
	    AUDIT_SESSION_CREATE, AUDIT_SESSION_FAIL, MAX_LOGIN_HISTORY,
	    login_one, arr) != STORE_OK) {
		json_decref(arr);
		req_unavailable(r);
		return;
	}
	req_json(r, 200, json_pack("{s:o}", "logins", arr));
}

/* --- panic ------------------------------------------------------------------ */

static void
me_panic_route(struct req *r)
{
	struct user_row u;

	req_audit_object(r, AUDIT_OBJ_USER, r->actor_id);
	if (req_write_begin(r) != 0 || route_user_load(r, r->actor_id, &u) != 0)
		return;
	if (users_org_holder_check(r, u.id, "Confirm another coordinator "
	    "before using the panic button: your copy of the org key would "
	    "go with your key, and it is the last usable one.") != 0)
		goto done;
	if (account_erase(r, &u, "panic") == 0) {
		/* this session too: it ends now, the answer still leaves */
		session_end_user(u.id, NULL);
		req_no_content(r);
	}
done:
	secmem_wipe(&u, sizeof(u));
}

/*
 * Which accounts a caller may panic or reset: admins any but their own; a
 * coordinator caseworkers, auditors and unconfirmed coordinators (as for
 * revocation, so one newly confirmed coordinator cannot take over). 0 or
 * -1 after answering.
 */
static int
may_act_on(struct req *r, const struct user_row *u)
{
	if (strcmp(u->id, r->actor_id) == 0) {
		req_problem(r, 409, "self", "Use your own panic button "
		    "(POST /me/panic); another person resets your account.");
		return -1;
	}
	if (r->role == ROLE_COORDINATOR && (u->role == ROLE_ADMIN ||
	    (u->role == ROLE_COORDINATOR && u->status == USER_ACTIVE))) {
		req_deny(r, 403, "admin-only", "Only an admin can do this to "
		    "an admin or a confirmed coordinator.");
		return -1;
	}
	return 0;
}

/*
 * The X-Access-Reason a panic, reset or re-seal of another account needs
 * (audited). The reason is sealed to the auditors; with none enrolled it
 * could never be read, and refusing would leave a detained colleague's
 * access open (or a recovery blocked): the action goes ahead and is logged
 * without the text. 0 (r's audit reason set if any auditor can read it),
 * or -1 after answering.
 */
static int
reason_required(struct req *r)
{
	const char *reason = NULL;
	size_t reason_len = 0;
	int64_t recipients = 0;
	int rc = access_reason_get(r, &reason, &reason_len);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		req_problem(r, 422, "reason-required", "Say why in an "
		    "X-Access-Reason header; the reason is audited.");
		return -1;
	}
	if (audit_reason_recipients(r->db, &recipients) != STORE_OK) {
		req_unavailable(r);
		return -1;
	}
	if (recipients > 0) {
		r->audit_reason = reason;
		r->audit_reason_len = reason_len;
	}
	return 0;
}

static void
user_panic_route(struct req *r)
{
	const char *id = r->params[0];
	struct user_row u;

	req_audit_object(r, AUDIT_OBJ_USER, id);
	if (reason_required(r) != 0)
		return;
	if (req_write_begin(r) != 0 || route_user_load(r, id, &u) != 0)
		return;
	if (may_act_on(r, &u) != 0 ||
	    users_org_holder_check(r, u.id, "Confirm another coordinator "
	    "before erasing the key of the last one holding the org key.")
	    != 0)
		goto done;
	if (account_erase(r, &u, "panic") != 0)
		goto done;
	session_end_user(u.id, NULL);
	req_json(r, 200, route_user_json(&u));
done:
	secmem_wipe(&u, sizeof(u));
}

/* --- the duress password -------------------------------------------------- */

static void
me_duress_put_route(struct req *r)
{
	static const char *const allowed[] = { "password", "duress_password",
	    NULL };
	const char *pw = NULL, *duress = NULL;
	uint8_t blob[USERKEY_BLOB_BYTES], v[STORE_DURESS_BYTES];
	struct duress_kdf kdf;
	struct user_row u;
	unsigned retry;
	size_t n;

	req_audit_object(r, AUDIT_OBJ_USER, r->actor_id);
	memset(&u, 0, sizeof(u));
	if (jsonin_only(r->json, allowed) != JSONIN_OK ||
	    jsonin_string(r->json, "password", 1, 1, MAX_PASSWORD_BYTES, 1,
	    &pw, NULL) != JSONIN_OK ||
	    jsonin_string(r->json, "duress_password", 1, MIN_PASSWORD_BYTES,
	    MAX_PASSWORD_BYTES, 1, &duress, NULL) != JSONIN_OK) {
		req_bad_body(r);
		return;
	}
	if (route_account_decoy_busy(r, pw))
		return;
	if (route_user_load(r, r->actor_id, &u) != 0)
		return;
	if (throttle_check(u.username, r->client_ip, &retry) != 0) {
		req_deny(r, 429, "throttled",
		    "Too many failed attempts; wait before trying again.");
		r->retry_after_s = retry;
		goto done;
	}
	n = strlen(pw);
	if (n == strlen(duress) && secmem_equal(pw, duress, n)) {
		req_problem(r, 422, "duress-same-password", "The duress "
		    "password must differ from your password.");
		goto done;
	}
	if (users_password_ok(r, duress, u.username, pw) != 0)
		goto done;
	/* a duress login erases the key, and a coordinator's org grant with
	 * it: never the last usable one */
	if (users_org_holder_check(r, u.id, "A duress login would erase the "
	    "last usable copy of the org key with your key: confirm a second "
	    "coordinator first (docs/operations.md).") != 0)
		goto done;
	memset(&kdf, 0, sizeof(kdf));
	kdf.u = &u;
	kdf.pw = pw;
	kdf.duress = duress;
	kdf.blob = blob;
	kdf.verifier = v;
	if (kdf_busy(r, duress_kdf_run, &kdf) != 0)
		goto done;
	if (kdf.ok == 0) {
		throttle_fail(u.username, r->client_ip);
		req_deny(r, 403, "wrong-password", "The password is wrong.");
		goto done;
	}
	if (kdf.ok < 0) {
		req_internal(r);
		goto done;
	}
	throttle_success(u.username, r->client_ip);
	/* the row the verifier was made for must still be the account's:
	 * a concurrent panic or reset would otherwise be undone by the
	 * re-sealed blob, or get a verifier bound to a dead salt; and the
	 * holder count may have changed meanwhile */
	if (req_write_begin(r) != 0 || route_account_unchanged(r, &u) != 0 ||
	    users_org_holder_check(r, u.id, "A duress login would erase the "
	    "last usable copy of the org key with your key: confirm a second "
	    "coordinator first (docs/operations.md).") != 0)
		goto done;
	if ((kdf.resealed && store_user_set_sealed(r->db, u.id, blob) !=
	    STORE_OK) || store_account_duress_set(r->db, u.id, v) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	req_no_content(r);
done:
	secmem_wipe(blob, sizeof(blob));
	secmem_wipe(v, sizeof(v));
	secmem_wipe(&u, sizeof(u));
}

/*
 * DELETE /me/duress {"password"}: the current password too, with the same
 * Argon2 work and throttle as PUT (review L2): a stolen session token
 * alone must not quietly remove the person's duress password before a
 * checkpoint. A decoy session proves the duress password that opened it
 * (route_session_password_proof), and then there is nothing to clear, as
 * far as a decoy shows: 204, nothing written.
 */
static void
me_duress_delete_route(struct req *r)
{
	static const char *const allowed[] = { "password", NULL };
	const char *pw = NULL;
	struct user_row u;
	int rc;

	req_audit_object(r, AUDIT_OBJ_USER, r->actor_id);
	memset(&u, 0, sizeof(u));
	if (jsonin_only(r->json, allowed) != JSONIN_OK ||
	    jsonin_string(r->json, "password", 1, 1, MAX_PASSWORD_BYTES, 1,
	    &pw, NULL) != JSONIN_OK) {
		req_bad_body(r);
		return;
	}
	rc = route_session_password_proof(r, pw, &u);
	if (rc == -1)
		req_deny(r, 403, "wrong-password", "The password is wrong.");
	if (rc != 0)
		goto done;
	throttle_success(u.username, r->client_ip);
	if (r->decoy) {
		req_no_content(r);
		goto done;
	}
	if (req_write_begin(r) != 0)
		goto done;
	if (store_account_duress_set(r->db, r->actor_id, NULL) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	req_no_content(r);
done:
	secmem_wipe(&u, sizeof(u));
}

/* --- recovery ------------------------------------------------------------- */

static int
waiting_one(void *arg, const struct store_waiting *w)
{
	return json_array_append_new(arg, json_pack("{s:s, s:s, s:s}",
	    "user_id", w->user_id, "case_id", w->case_id,
	    "codename", w->codename));
}

static void
me_waiting_route(struct req *r)
{
	json_t *arr = json_array();

	req_audit_object(r, AUDIT_OBJ_USER, r->actor_id);
	if (arr == NULL || (!r->decoy && store_account_waiting(r->db,
	    r->actor_id, MAX_RESEAL_PER_REQUEST, waiting_one, arr) !=
	    STORE_OK)) {
		json_decref(arr);
		req_unavailable(r);
		return;
	}
	req_json(r, 200, json_pack("{s:o}", "cases", arr));
}

/* What a reset of u needs besides may_act_on: a live account, and never
 * the last usable org grant. 0, or -1 after answering. */
static int
reset_allowed(struct req *r, const struct user_row *u)
{
	if (u->status == USER_REVOKED) {
		req_problem(r, 409, "revoked",
		    "A revoked account cannot be reset.");
		return -1;
	}
	return users_org_holder_check(r, u->id, "Confirm another "
	    "coordinator before resetting the last one holding the org key.");
}

static void
user_reset_route(struct req *r)
{
	static const char *const allowed[] = { "password", NULL };
	uint8_t pk[USERKEY_PK_BYTES], blob[USERKEY_BLOB_BYTES];
	const char *id = r->params[0], *pw = NULL;
	struct reset_kdf kdf;
	struct user_row u;

	req_audit_object(r, AUDIT_OBJ_USER, id);
	memset(&u, 0, sizeof(u));
	if (jsonin_only(r->json, allowed) != JSONIN_OK ||
	    jsonin_string(r->json, "password", 1, MIN_PASSWORD_BYTES,
	    MAX_PASSWORD_BYTES, 1, &pw, NULL) != JSONIN_OK) {
		req_bad_body(r);
		return;
	}
	if (reason_required(r) != 0)
		return;
	/* whoever knows the first password can enrol as the person and be
	 * re-sealed their caseload: a stolen token alone must not do it */
	if (!session_confirmed(r->sess)) {
		req_deny(r, 403, "reauth-required", "Confirm your password "
		    "(POST /api/v1/session/confirm), then retry. A "
		    "confirmation lasts 5 minutes.");
		return;
	}
	if (route_user_load(r, id, &u) != 0 || may_act_on(r, &u) != 0)
		goto done;
	if (users_password_ok(r, pw, u.username, NULL) != 0)
		goto done;
	if (reset_allowed(r, &u) != 0)
		goto done;
	memset(&kdf, 0, sizeof(kdf));
	kdf.u = &u;
	kdf.pw = pw;
	kdf.pk = pk;
	kdf.blob = blob;
	if (kdf_busy(r, reset_kdf_run, &kdf) != 0)
		goto done;
	if (!kdf.ok) {
		req_internal(r);
		goto done;
	}
	/* again inside the write transaction, on the row as it is now: a
	 * revocation, a confirmation or another reset may have landed during
	 * the Argon2 run */
	if (req_write_begin(r) != 0 || route_user_load(r, id, &u) != 0 ||
	    may_act_on(r, &u) != 0 || reset_allowed(r, &u) != 0 ||
	    account_reset(r, &u, pk, blob) != 0)
		goto done;
	session_end_user(u.id, NULL);
	if (route_user_load(r, id, &u) != 0)
		goto done;
	req_json(r, 200, route_user_json(&u));
done:
	secmem_wipe(blob, sizeof(blob));
	secmem_wipe(&u, sizeof(u));
}

/*
 * POST /users/{id}/reseal {"pk_fingerprint"}: the fingerprint the person
 * reads aloud from their own Security screen must be their key pair's, so
 * that whoever knew the first password of a reset (and enrolled in the
 * person's place) is sealed nothing.
 */
static void
user_reseal_route(struct req *r)
{
	static const char *const allowed[] = { "pk_fingerprint", NULL };
	const char *id = r->params[0], *given = NULL;
	char fp[USERKEY_FP_CHARS];
	struct user_row u;
	unsigned n = 0;
	int same;

	req_audit_object(r, AUDIT_OBJ_USER, id);
	if (jsonin_only(r->json, allowed) != JSONIN_OK ||
	    jsonin_string(r->json, "pk_fingerprint", 1, 1, USERKEY_FP_CHARS - 1,
	    0, &given, NULL) != JSONIN_OK) {
		req_bad_body(r);
		return;
	}
	if (reason_required(r) != 0)
		return;
	if (req_write_begin(r) != 0 || route_user_load(r, id, &u) != 0)
		return;
	userkey_fingerprint(fp, u.pk);
	same = strlen(given) == strlen(fp) &&
	    secmem_equal(given, fp, strlen(fp));
	secmem_wipe(&u, sizeof(u));
	if (!same) {
		req_deny(r, 409, "fingerprint-mismatch", "That is not the "
		    "fingerprint of this account's key pair: ask the person to "
		    "read it from their own Security screen. Nothing was "
		    "sealed.");
		return;
	}
	if (account_reseal(r, id, &n) != 0)
		return;
	req_json(r, 200, json_pack("{s:I}", "resealed", (json_int_t)n));
}

/* --- alerts ---------------------------------------------------------------- */

static int
alert_one(void *arg, const struct store_alert *a)
{
	char at[RFC3339_BYTES];

	rfc3339_format(at, a->created_at);
	return json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s, "
	    "s:s}", "id", a->id, "user_id", a->user_id, "username",
	    a->username, "kind", a->kind, "created_at", at));
}

static void
alerts_route(struct req *r)
{
	json_t *alerts = json_array(), *waiting = json_array();

	if (alerts == NULL || waiting == NULL ||
	    store_account_alerts(r->db, MAX_ALERTS_LISTED, alert_one, alerts)
	    != STORE_OK ||
	    /* case codenames are for coordinators; admins see accounts */
	    (r->role == ROLE_COORDINATOR && store_account_waiting(r->db, NULL,
	    MAX_RESEAL_PER_REQUEST, waiting_one, waiting) != STORE_OK)) {
		json_decref(alerts);
		json_decref(waiting);
		req_unavailable(r);
		return;
	}
	req_json(r, 200, json_pack("{s:o, s:o}", "alerts", alerts,
	    "waiting", waiting));
}

const struct route route_account_table[] = {
	{ M_GET, "/me/sessions", R_ANY_USER, ROUTE_PENDING, AUDIT_NONE,
	  AUDIT_OBJ_SESSION, me_sessions_route },
	{ M_DELETE, "/me/sessions/{id}", R_ANY_USER, ROUTE_PENDING,
	  AUDIT_SESSION_REVOKE, AUDIT_OBJ_SESSION, me_session_delete_route },
	{ M_GET, "/me/logins", R_ANY_USER, ROUTE_PENDING, AUDIT_USER_LOGINS,
	  AUDIT_OBJ_USER, me_logins_route },
	{ M_POST, "/me/panic", R_ANY_USER, ROUTE_PENDING, AUDIT_ACCOUNT_PANIC,
	  AUDIT_OBJ_USER, me_panic_route },
	{ M_PUT, "/me/duress", R_ANY_USER, ROUTE_BODY, AUDIT_USER_DURESS,
	  AUDIT_OBJ_USER, me_duress_put_route },
	{ M_DELETE, "/me/duress", R_ANY_USER, ROUTE_BODY, AUDIT_USER_DURESS,
	  AUDIT_OBJ_USER, me_duress_delete_route },
	{ M_GET, "/me/waiting", R_ANY_USER, 0, AUDIT_CASE_LIST,
	  AUDIT_OBJ_USER, me_waiting_route },
	{ M_POST, "/users/{id}/panic", R_ADMIN | R_COORD, 0,
	  AUDIT_ACCOUNT_PANIC, AUDIT_OBJ_USER, user_panic_route },
	{ M_POST, "/users/{id}/reset", R_ADMIN | R_COORD, ROUTE_BODY,
	  AUDIT_USER_RESET, AUDIT_OBJ_USER, user_reset_route },
	{ M_POST, "/users/{id}/reseal", R_COORD, ROUTE_BODY, AUDIT_USER_RESEAL,
	  AUDIT_OBJ_USER, user_reseal_route },
	{ M_GET, "/alerts", R_ADMIN | R_COORD, 0, AUDIT_ALERT_LIST,
	  AUDIT_OBJ_NONE, alerts_route },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
