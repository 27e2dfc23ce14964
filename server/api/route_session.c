/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_session: log in, log out, who am I, change my password, confirm
 * my password for the org key.
 *
 * Login costs exactly one Argon2id run whatever happens: an unknown user, a
 * disabled user and a wrong password all burn the same work and get the
 * same 401 body, so neither the answer nor its timing tells them apart.
 * That work runs on the low-priority kdfpool threads (server/kdfpool.h),
 * which also cap how many logins derive keys or wait at once (503 busy).
 *
 * A login opens only the user's own secret key, and the session keeps it
 * boxed under the K_s the token carries (server/core/session.h). The org
 * key is never opened at login: a coordinator's request that needs it
 * opens it from their grant, within REAUTH_WINDOW_S of a password
 * confirmation (POST /session/confirm, below; server/core/access.c).
 *
 * Every password change makes a new key pair and re-seals the user's
 * case and evacuation wraps, org grant and (an auditor's) sealed reasons
 * to it, so an old copy of the sealed key (a backup) and the old password
 * (coerced, or leaked) open no grant made since. The keys those grants
 * protect are not rotated: see docs/threat-model.md.
 */
#include <string.h>

#include "crypto/secmem.h"
#include "crypto/seal.h"
#include "crypto/userkey.h"
#include "schema/store_account.h"
#include "schema/store_user.h"
#include "server/audit/audit.h"
#include "server/audit/audit_reason.h"
#include "server/http/jsonin.h"
#include "server/core/access.h"
#include "server/core/account.h"
#include "server/core/casefile.h"
#include "server/core/kdfpool.h"
#include "server/api/route.h"
#include "server/api/route_body.h"
#include "server/api/route_twofactor.h"
#include "server/core/twofactor.h"
#include "server/core/session.h"
#include "server/core/throttle.h"
#include "server/http/rfc3339.h"
#include "server/core/users.h"

/*
 * The caller's row into u, if their password may be tried now (the login
 * throttle, keyed by username). 0, or -1 after answering 503 or 429.
 */
static int
caller_may_try(struct req *r, struct user_row *u)
{
	unsigned retry;

	if (store_user_by_id(r->db, r->actor_id, u) != STORE_OK) {
		req_unavailable(r);
		return -1;
	}
	if (throttle_check(u->username, r->client_ip, &retry) != 0) {
		req_deny(r, 429, "throttled",
		    "Too many failed attempts; wait before trying again.");
		r->retry_after_s = retry;
		return -1;
	}
	return 0;
}

static void
login_failed(struct req *r)
{
	r->audit_action = AUDIT_SESSION_FAIL;
	req_deny(r, 401, "login-failed", "Unknown user or wrong password.");
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
	const uint8_t	*duress;	/* the duress verifier, or NULL */
	uint8_t		*sk;		/* OUT, 32 bytes */
	int		 opened;	/* OUT */
	int		 duress_hit;	/* OUT: the duress password */
	uint8_t		*resealed;	/* OUT, USERKEY_BLOB_BYTES: the key
					 * sealed again at today's Argon2
					 * limits, if the blob had weaker */
	int		 upgraded;	/* OUT: resealed is set */
};

static void
login_kdf_run(void *arg)
{
	struct login_kdf *k = arg;

	k->upgraded = 0;
	k->duress_hit = 0;
	if (k->user_id != NULL) {
		/* one Argon2 run answers both passwords, the same steps
		 * whichever was given (crypto/userkey.h) */
		int res = userkey_login(k->sk, k->user_id, k->pw, k->pw_len,
		    k->sealed, k->sealed_len, k->duress);

		k->opened = res == USERKEY_LOGIN_OPEN;
		k->duress_hit = res == USERKEY_LOGIN_DURESS;
		/* a blob from before MODERATE: migrate it now that the
		 * password is here (a second Argon2 run, once). Not with a
		 * duress password, whose verifier is bound to the blob's
		 * salt (PUT /me/duress re-seals a weak blob first) */
		if (k->opened && k->duress == NULL &&
		    userkey_is_weak(k->sealed, k->sealed_len))
			k->upgraded = userkey_seal(k->resealed, k->user_id,
			    k->pw, k->pw_len, k->sk) == 0;
	} else {
		userkey_dummy_work(k->pw, k->pw_len);
		k->opened = 0;
	}
}

/*
 * A password confirmation: open the sealed key with the password and
 * check that it is the session's key pair. Every pointer is the caller's.
 */
struct confirm_kdf {
	const struct user_row *u;
	const char	*pw;
	const uint8_t	*session_pk;
	const uint8_t	*duress;	/* a decoy session: the verifier
					 * its password must match */
	int		 ok;		/* OUT */
};

static void
confirm_kdf_run(void *arg)
{
	struct confirm_kdf *k = arg;
	uint8_t sk[USERKEY_SK_BYTES];

	if (k->duress != NULL)
		/* the sealed key is erased; the duress verifier, bound to
		 * its salt, still checks the password that opened the
		 * decoy, in the same one Argon2 run */
		k->ok = userkey_login(sk, k->u->id, k->pw, strlen(k->pw),
		    k->u->sk_sealed, sizeof(k->u->sk_sealed), k->duress) ==
		    USERKEY_LOGIN_DURESS;
	else
		k->ok = userkey_open(sk, k->u->id, k->pw, strlen(k->pw),
		    k->u->sk_sealed, sizeof(k->u->sk_sealed)) == 0 &&
		    userkey_matches(k->session_pk, sk);
	secmem_wipe(sk, sizeof(sk));
}

/*
 * A password change: open the sealed key with the old password into sk
 * (the caller re-seals the user's grants with it); make a fresh key pair
 * (enrol_pk, enrol_sk) and seal its secret half under the new password
 * into blob. Every pointer is the caller's, who wipes sk and blob (the
 * router wipes r->after.enrol_sk).
 */
struct password_kdf {
	const struct user_row *u;
	const char	*oldpw, *newpw;
	uint8_t		*sk;		/* 32 bytes, scratch */
	uint8_t		*enrol_pk;	/* OUT, 32 bytes: the new key pair */
	uint8_t		*enrol_sk;	/* OUT, 32 bytes */
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
	if (!k->ok)
		return;
	/*
	 * Always a fresh key pair. At enrolment the first password was
	 * chosen by an admin, who may know the key pair sealed under it;
	 * later, an old copy of the sealed key (any backup) opens with the
	 * old password, which may have been coerced or leaked. Re-sealing
	 * the same secret key would leave both able to open every grant.
	 */
	userkey_generate(k->enrol_pk, k->enrol_sk);
	k->ok = userkey_seal(k->blob, u->id, k->newpw, strlen(k->newpw),
	    k->enrol_sk) == 0 ? 1 : -1;
}

/* --- request bodies (route_body.h) ------------------------------------------ */

int
route_session_body_parse(const json_t *obj, struct login_input *in)
{
	static const char *const allowed[] = { "username", "password", "code",
	    "client", NULL };

	memset(in, 0, sizeof(*in));
	if (jsonin_only(obj, allowed) != JSONIN_OK ||
	    jsonin_string(obj, "username", 1, 1, MAX_USERNAME_BYTES, 0,
	    &in->username, NULL) != JSONIN_OK ||
	    jsonin_string(obj, "password", 1, 1, MAX_PASSWORD_BYTES, 1,
	    &in->password, NULL) != JSONIN_OK ||
	    jsonin_string(obj, "code", 0, 1, MAX_TWOFACTOR_CODE_BYTES, 0,
	    &in->code, NULL) != JSONIN_OK ||
	    (in->code != NULL && !twofactor_code_wellformed(in->code)) ||
	    jsonin_string(obj, "client", 0, 1, MAX_CLIENT_LABEL_BYTES, 0,
	    &in->client, NULL) != JSONIN_OK) {
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

int
route_session_confirm_body_parse(const json_t *obj, struct confirm_input *in)
{
	static const char *const allowed[] = { "password", NULL };

	memset(in, 0, sizeof(*in));
	if (jsonin_only(obj, allowed) != JSONIN_OK ||
	    jsonin_string(obj, "password", 1, 1, MAX_PASSWORD_BYTES, 1,
	    &in->password, NULL) != JSONIN_OK) {
		memset(in, 0, sizeof(*in));
		return BODY_EINVALID;
	}
	return BODY_OK;
}

/* --- the duress branch of a login ------------------------------------------ */

/*
 * The duress password (and the second factor, if u has one: checked
 * first, as for the real password) was given for u (active): in the
 * login's write transaction, erase u's sealed key, open the coordinators'
 * alert and write account.duress beside the login's own session.create;
 * then end every session of u. sk gets a throwaway key for the decoy session. The
 * answer stays the normal login's (201 and a token): nothing in it, its
 * shape or its cost tells the two apart. The Argon2 work was the same one
 * run (login_kdf_run), and the write transaction is the one every
 * successful login takes (session_create_route); what is added here is a
 * few rows in it. 0, or -1 after answering 503.
 */
static int
login_duress(struct req *r, const struct user_row *u, uint8_t sk[32])
{
	uint8_t pk[32];

	memcpy(r->actor_id, u->id, sizeof(r->actor_id));
	r->role = u->role;
	if (req_write_begin(r) != 0)
		return -1;
	if (account_erase(r, u, "duress") != 0 ||
	    account_audit_also(r, AUDIT_ACCOUNT_DURESS, u->id) != 0)
		return -1;
	/* ended now; if the commit then fails they stay ended, which errs
	 * on the safe side (as a revocation does). Earlier decoys stay: a
	 * second duress login on another device must not end the first */
	session_end_user_except_decoys(u->id);
	userkey_generate(pk, sk);
	secmem_wipe(pk, sizeof(pk));
	return 0;
}

/* --- routes ------------------------------------------------------------------ */

static void
session_create_route(struct req *r)
{
	struct login_input in;
	struct login_kdf kdf;
	struct session_opts opts;
	const char *username, *password;
	uint8_t sk[32], resealed[USERKEY_BLOB_BYTES];
	uint8_t duress[STORE_DURESS_BYTES];
	char token[TOKEN_B64_CHARS + 1], exp[21];
	struct user_row u;
	unsigned retry;
	int64_t expires;
	int rc, have_user, opened, have_duress = 0, decoy = 0, twofactor = 0;
	int locked = 0;

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
	if (have_user && (store_account_duress_get(r->db, u.id, duress,
	    &have_duress) != STORE_OK ||
	    store_account_locked(r->db, u.id, &locked) != STORE_OK)) {
		req_unavailable(r);
		goto done;
	}
	memset(&kdf, 0, sizeof(kdf));
	kdf.duress = have_duress ? duress : NULL;
	kdf.user_id = have_user ? u.id : NULL;
	kdf.pw = password;
	kdf.pw_len = strlen(password);
	kdf.sealed = u.sk_sealed;
	kdf.sealed_len = sizeof(u.sk_sealed);
	kdf.sk = sk;
	kdf.resealed = resealed;
	if (kdfpool_run(login_kdf_run, &kdf) != 0) {
		r->audit_action = AUDIT_SESSION_FAIL;
		req_problem(r, 503, "busy", "Too many logins at once; retry.");
		r->retry_after_s = 1;
		goto done;
	}
	opened = kdf.opened;
	if (have_user)
		req_audit_object(r, AUDIT_OBJ_USER, u.id);
	/* a locked account (too many wrong codes) is refused like a wrong
	 * password, whichever password and code come, after the same work */
	if ((!opened && !kdf.duress_hit) || locked ||
	    (u.status != USER_ACTIVE && u.status != USER_PENDING)) {
		throttle_fail(username, r->client_ip);
		login_failed(r);
		goto done;
	}
	/*
	 * The second factor, if the account has one: the same 401, and the
	 * same steps, for the password and the duress password. It comes
	 * before any duress side effect: the duress password without the
	 * phone erases nothing (it is then no more than a wrong login).
	 */
	rc = route_twofactor_login_step(r, u.id, in.code, &twofactor);
	if (rc == -1) {
		throttle_fail(username, r->client_ip);
		/* a code was given and was wrong: it counts toward the
		 * lockout (a missing one guesses nothing) */
		if (in.code != NULL &&
		    route_twofactor_login_failed(r, u.id) != 0)
			goto done;
		login_failed(r);
		goto done;
	}
	if (rc != 0)
		goto done;
	/*
	 * Every login that succeeds, with the real password or the duress
	 * one, with or without a second factor, now takes the same write
	 * transaction, and its session.create commits in it (review M3).
	 * Before, a normal login without two-factor joined the batched audit
	 * commit while a duress login took the write lock for its erasure:
	 * under write load only the duress path waited for the lock, which
	 * a captor timing the login could see. What the duress path adds
	 * inside the transaction (the erased key, the alert, a second entry)
	 * is a few rows, microseconds against the wait and the one group
	 * fsync both share. Every failure, on the other hand, writes nothing
	 * and joins the batch (review L1, route_twofactor.c), so a right
	 * password with a wrong code costs what a wrong password does.
	 */
	if (req_write_begin(r) != 0)
		goto done;
	if (kdf.duress_hit) {
		if (login_duress(r, &u, sk) != 0)
			goto done;
		decoy = 1;
	}
	if (kdf.upgraded) {
		/* stored with the login's audit entry, in one transaction */
		if (store_user_set_sealed(r->db, u.id, resealed) != STORE_OK) {
			req_unavailable(r);
			goto done;
		}
	}
	opts.twofactor = twofactor;
	opts.decoy = decoy;
	opts.label = in.client;
	if (session_create_opts(&u, sk, &opts, token, sizeof(token),
	    &expires) != 0) {
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
	secmem_wipe(resealed, sizeof(resealed));
	secmem_wipe(duress, sizeof(duress));
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
	json_t *o;

	if (store_user_by_id(r->db, r->actor_id, &u) != STORE_OK) {
		req_unavailable(r);
		return;
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", u.id,
	    "username", u.username, "role", role_name(u.role),
	    "status", user_status_name(u.status), "enrolled", u.enrolled);
	/* a decoy session's two_factor is the account's, as before the
	 * duress login: its TOTP row stays until a reset */
	if (o == NULL || route_twofactor_me(r, o) != 0 ||
	    route_account_me_fields(r, &u, o) != 0) {
		json_decref(o);
		if (r->status == 0)
			req_unavailable(r);
		return;
	}
	req_json(r, 200, o);
}

static void
password_route(struct req *r)
{
	struct password_input in;
	struct password_kdf kdf;
	struct casefile_holder old;
	const char *oldpw, *newpw;
	uint8_t sk[32], blob[USERKEY_BLOB_BYTES];
	struct user_row u;
	int ok, rc;

	req_audit_object(r, AUDIT_OBJ_USER, r->actor_id);
	if (route_session_password_body_parse(r->json, &in) != BODY_OK) {
		req_bad_body(r);
		return;
	}
	if (route_account_decoy_busy(r, in.old_password))
		return;
	oldpw = in.old_password;
	newpw = in.new_password;
	if (caller_may_try(r, &u) != 0)
		goto done;
	/* cheap, so before the Argon2 work; the old password is compared
	 * only after it is proven right, below */
	if (users_password_ok(r, newpw, u.username, NULL) != 0)
		return;
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
	if (users_password_ok(r, newpw, u.username, oldpw) != 0)
		goto done;
	/* u was read before the Argon2 run: a panic, duress login or reset
	 * since then must not be undone by storing a key pair sealed from
	 * the old blob */
	if (req_write_begin(r) != 0 || route_account_unchanged(r, &u) != 0)
		goto done;
	/* every grant to the new key pair, then the key pair itself; at
	 * enrolment there is no grant yet (an unenrolled user can be
	 * neither assigned nor confirmed) */
	memset(&old, 0, sizeof(old));
	old.id = u.id;
	memcpy(old.pk, u.pk, sizeof(old.pk));
	old.sk = sk;
	rc = casefile_rekey_user(r->db, &old, r->after.enrol_pk);
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		goto done;
	}
	/* an auditor's sealed break-glass reasons follow the key pair */
	if (u.role == ROLE_AUDITOR && audit_reason_rekey(r->db, u.id, u.pk,
	    sk, r->after.enrol_pk) != 0) {
		req_unavailable(r);
		goto done;
	}
	if ((u.enrolled ?
	    store_user_rekey(r->db, u.id, r->after.enrol_pk, blob) :
	    store_user_enrol(r->db, u.id, r->after.enrol_pk, blob)) !=
	    STORE_OK || account_password_changed(r, u.id) != 0) {
		req_unavailable(r);
		goto done;
	}
	r->after.enrol = 1;
	session_end_user(u.id, r->sess);
	req_no_content(r);
done:
	secmem_wipe(sk, sizeof(sk));
	secmem_wipe(blob, sizeof(blob));
}

/*
 * POST /session/confirm {"password"}: a coordinator proves the password
 * again; for REAUTH_WINDOW_S their requests may open the org key. The same
 * Argon2 work and throttle as a login. A wrong password answers 403
 * wrong-password, clears any earlier confirmation and leaves the session
 * alive (a 401 would tell clients the token is dead); audited as
 * session.confirm, denied.
 */
int
route_session_password_proof(struct req *r, const char *password,
    struct user_row *u)
{
	struct confirm_kdf kdf;
	uint8_t pk[32], duress[STORE_DURESS_BYTES];
	int have = 0, rc;

	if (caller_may_try(r, u) != 0)
		return -2;
	memcpy(pk, session_pk(r->sess), sizeof(pk));
	memset(&kdf, 0, sizeof(kdf));
	kdf.u = u;
	kdf.pw = password;
	kdf.session_pk = pk;
	if (r->decoy) {
		if (store_account_duress_get(r->db, u->id, duress, &have) !=
		    STORE_OK) {
			req_unavailable(r);
			return -2;
		}
		/* no verifier (cleared since): nothing matches */
		kdf.duress = duress;
	}
	rc = kdfpool_run(confirm_kdf_run, &kdf);
	secmem_wipe(duress, sizeof(duress));
	if (rc != 0) {
		req_problem(r, 503, "busy", "Too many logins at once; retry.");
		r->retry_after_s = 1;
		return -2;
	}
	if (!kdf.ok || (r->decoy && !have)) {
		throttle_fail(u->username, r->client_ip);
		return -1;
	}
	return 0;
}

static void
session_confirm_route(struct req *r)
{
	struct confirm_input in;
	struct user_row u;
	int rc;

	req_audit_object(r, AUDIT_OBJ_USER, r->actor_id);
	if (route_session_confirm_body_parse(r->json, &in) != BODY_OK) {
		req_bad_body(r);
		return;
	}
	rc = route_session_password_proof(r, in.password, &u);
	if (rc == -2)
		goto done;
	if (rc != 0) {
		session_confirm(r->sess, 0);
		req_deny(r, 403, "wrong-password", "The password is wrong.");
		goto done;
	}
	throttle_success(u.username, r->client_ip);
	/* live only once session.confirm is durable (router.c) */
	r->after.confirm = 1;
	req_no_content(r);
done:
	secmem_wipe(&u, sizeof(u));
}

const struct route route_session_table[] = {
	{ M_POST, "/session", R_ANON, ROUTE_BODY, AUDIT_SESSION_CREATE,
	  AUDIT_OBJ_USER, session_create_route },
	{ M_DELETE, "/session", R_ANY_USER,
	  ROUTE_PENDING | ROUTE_TWOFACTOR_SETUP, AUDIT_SESSION_END,
	  AUDIT_OBJ_SESSION, session_delete_route },
	{ M_GET, "/me", R_ANY_USER, ROUTE_PENDING | ROUTE_TWOFACTOR_SETUP,
	  AUDIT_NONE, AUDIT_OBJ_USER, me_route },
	{ M_PUT, "/me/password", R_ANY_USER,
	  ROUTE_BODY | ROUTE_PENDING | ROUTE_TWOFACTOR_SETUP,
	  AUDIT_USER_PASSWORD, AUDIT_OBJ_USER, password_route },
	{ M_POST, "/session/confirm", R_COORD | R_ADMIN, ROUTE_BODY,
	  AUDIT_SESSION_CONFIRM, AUDIT_OBJ_USER, session_confirm_route },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
