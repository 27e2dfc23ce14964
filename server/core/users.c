/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* users: account logic shared by routes and the command line. */
#include <string.h>

#include "crypto/secmem.h"
#include "crypto/token.h"
#include "crypto/userkey.h"
#include "schema/store.h"
#include "schema/store_case.h"
#include "schema/store_user.h"
#include "server/core/access.h"
#include "server/core/casefile.h"
#include "server/core/password.h"
#include "server/limits.h"
#include "server/http/req.h"
#include "server/core/session.h"
#include "server/core/users.h"

int
users_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n < MIN_USERNAME_BYTES || n > MAX_USERNAME_BYTES)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
users_password_ok(struct req *r, const char *pw, const char *username,
    const char *old)
{
	enum password_verdict v = password_check(pw, username, old);

	if (v == PASSWORD_OK)
		return 0;
	if (v == PASSWORD_EINTERNAL)
		req_internal(r);
	else
		req_problem(r, 422, "weak-password", password_verdict_text(v));
	return -1;
}

int
users_new(struct user_row *u, const char *username, const char *pw,
    size_t pw_len, int role)
{
	uint8_t sk[USERKEY_SK_BYTES];
	int rc;

	memset(u, 0, sizeof(*u));
	if (strlen(username) >= sizeof(u->username))
		return -1;
	token_new_id(u->id);
	memcpy(u->username, username, strlen(username) + 1);
	u->role = role;
	u->status = role == ROLE_COORDINATOR ? USER_PENDING : USER_ACTIVE;
	u->created_at = store_now();
	userkey_generate(u->pk, sk);
	rc = userkey_seal(u->sk_sealed, u->id, pw, pw_len, sk);
	secmem_wipe(sk, sizeof(sk));
	return rc;
}

/*
 * A coordinator's session can open org wraps, so every affected case and
 * evacuation is rotated now. An admin's cannot (admins never hold case
 * keys): the user's wraps and assignments are deleted now, and each
 * affected object is marked rotate_pending so that its next holder rotates
 * it before doing anything else (server/access.c).
 */
static int drop_grants(struct req *, const char *,
    int (*)(struct store *, const char *, const struct casefile_holder *,
    struct store_ids *));

int
users_revoke_grants(struct req *r, const char *user_id)
{
	return drop_grants(r, user_id, casefile_revoke_user);
}

int
users_reset_grants(struct req *r, const char *user_id)
{
	return drop_grants(r, user_id, casefile_reset_user);
}

int
users_org_holder_check(struct req *r, const char *user_id, const char *detail)
{
	int64_t holders = 0;
	int holds = 0;

	if (store_org_grant_usable(r->db, user_id, &holds) != STORE_OK ||
	    (holds && store_org_grant_count(r->db, &holders) != STORE_OK)) {
		req_unavailable(r);
		return -1;
	}
	if (!holds || holders >= 2)
		return 0;
	req_problem(r, 409, "last-coordinator", detail);
	return -1;
}

/* Revocation or reset: drop is casefile_revoke_user or _reset_user. */
static int
drop_grants(struct req *r, const char *user_id,
    int (*drop)(struct store *, const char *, const struct casefile_holder *,
    struct store_ids *))
{
	struct store_ids touched = { NULL, 0, 0 };
	struct casefile_holder org, *orgp = NULL;
	int rc, ret = -1;

	/* a coordinator opens the org key for this (needs a fresh password
	 * confirmation); an admin never holds it */
	if (r->sess != NULL && r->role == ROLE_COORDINATOR) {
		if (access_org_holder(r, &org) != 0)
			return -1;
		orgp = &org;
	}
	rc = drop(r->db, user_id, orgp, &touched);
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		goto done;
	}
	/* no session may keep a key of the old versions */
	for (size_t i = 0; i < touched.n; i++)
		session_key_forget(touched.id[i]);
	ret = 0;
done:
	store_ids_free(&touched);
	return ret;
}
