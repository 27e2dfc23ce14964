/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * account: erasing, resetting and re-sealing accounts under coercion
 * (account.h). The HTTP side is server/api/route_account.c and the
 * duress branch of the login in server/api/route_session.c.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/secmem.h"
#include "crypto/userkey.h"
#include "schema/store_account.h"
#include "schema/store_case.h"
#include "schema/store_key.h"
#include "schema/store_totp.h"
#include "server/audit/audit.h"
#include "server/core/access.h"
#include "server/core/account.h"
#include "server/core/casefile.h"
#include "server/core/lockout.h"
#include "server/core/session.h"
#include "server/core/users.h"
#include "server/limits.h"

int
account_erase(struct req *r, const struct user_row *u, const char *kind)
{
	struct store_ids touched = { NULL, 0, 0 };
	uint8_t blob[USERKEY_BLOB_BYTES];
	int rc, ret = -1;

	memcpy(blob, u->sk_sealed, sizeof(blob));
	userkey_erase(blob);
	/* the mark first: nothing below (or later) wraps a key to the old
	 * public key, which whoever took the password may still open from a
	 * copy of the database made before the erasure */
	rc = store_user_set_sealed(r->db, u->id, blob);
	if (rc == STORE_OK)
		rc = store_account_erased_put(r->db, u->id, kind);
	/* a coordinator's grant of the org key was sealed to that key pair
	 * too; it is then no holder (store_org_grant_count) */
	if (rc == STORE_OK)
		rc = store_org_grant_delete(r->db, u->id);
	secmem_wipe(blob, sizeof(blob));
	if (rc != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	/*
	 * Every case and evacuation wrap to the old public key goes, and the
	 * affected keys are marked rotate_pending, as an admin's revocation
	 * does (no org key here: a duress login and a self-panic have none);
	 * the assignments stay for a reset and re-seal to give back.
	 */
	rc = casefile_reset_user(r->db, u->id, NULL, &touched);
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		goto done;
	}
	for (size_t i = 0; i < touched.n; i++)
		session_key_forget(touched.id[i]);
	/* the old users page and the deleted wraps leave the WAL once the
	 * commit is durable: at once for a panic; for a duress login on the
	 * checkpoint thread, so that its answer takes no longer than a
	 * normal login's */
	if (strcmp(kind, "duress") == 0)
		r->after.wal_truncate = 1;
	else
		r->after.checkpoint = 1;
	ret = 0;
done:
	store_ids_free(&touched);
	return ret;
}

int
account_audit_also(struct req *r, int action, const char *object_id)
{
	struct audit_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.actor_id = r->actor_id;
	ev.role = r->role;
	ev.action = action;
	ev.object_type = AUDIT_OBJ_USER;
	ev.object_id = object_id;
	ev.outcome = AUDIT_ALLOWED;
	ev.request_id = r->request_id;
	if (audit_append(r->db, &ev) != 0) {
		req_unavailable(r);
		return -1;
	}
	return 0;
}

int
account_reset(struct req *r, const struct user_row *u,
    const uint8_t pk[USERKEY_PK_BYTES], const uint8_t blob[USERKEY_BLOB_BYTES])
{
	int status = u->status;

	/* a coordinator's grant of the org key was sealed to the old key
	 * pair: they are pending again until a coordinator confirms them */
	if (u->role == ROLE_COORDINATOR)
		status = USER_PENDING;
	/* the user row first: the rotation below must already see the
	 * account marked reset, so it wraps nothing to the new key pair */
	/* the old key pair's pages leave the WAL after the commit */
	r->after.checkpoint = 1;
	if (store_user_reset(r->db, u->id, pk, blob, status) != STORE_OK ||
	    store_org_grant_delete(r->db, u->id) != STORE_OK ||
	    store_account_reset(r->db, u->id) != STORE_OK ||
	    /* two-factor login goes too: the phone may be with whoever
	     * took the person, and recovery codes may have been found; the
	     * person sets it up again from their new enrolment */
	    store_totp_delete(r->db, u->id) != STORE_OK) {
		req_unavailable(r);
		return -1;
	}
	/* store_account_reset lifted a lockout; its run of wrong codes
	 * starts again from nothing */
	lockout_clear(u->id);
	return users_reset_grants(r, u->id);
}

int
account_password_changed(struct req *r, const char *user_id)
{
	return store_account_enrolled(r->db, user_id) == STORE_OK &&
	    store_account_duress_set(r->db, user_id, NULL) == STORE_OK ? 0 : -1;
}

/* The waiting (user, case) pairs, collected before any write. */
struct waiting_list {
	struct store_waiting	*w;
	size_t			 n;
};

static int
collect_waiting(void *arg, const struct store_waiting *w)
{
	struct waiting_list *l = arg;

	if (l->n >= MAX_RESEAL_PER_REQUEST)
		return 1;
	l->w[l->n++] = *w;
	return 0;
}

int
account_reseal(struct req *r, const char *user_id, unsigned *done)
{
	struct waiting_list l = { NULL, 0 };
	struct casefile_holder org;
	uint8_t key[CASEFILE_KEY_BYTES];
	struct case_row c;
	int rc, ret = -1;

	*done = 0;
	if (access_org_holder(r, &org) != 0)
		return -1;
	if ((l.w = calloc(MAX_RESEAL_PER_REQUEST, sizeof(*l.w))) == NULL) {
		req_internal(r);
		return -1;
	}
	if (store_account_waiting(r->db, user_id, MAX_RESEAL_PER_REQUEST,
	    collect_waiting, &l) != STORE_OK) {
		req_unavailable(r);
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		if (store_case_get(r->db, l.w[i].case_id, &c) != STORE_OK) {
			req_unavailable(r);
			goto out;
		}
		rc = casefile_key_open(r->db, STORE_KEY_CASE, c.id,
		    c.key_version, &org, key);
		if (rc == CASEFILE_OK)
			rc = casefile_key_wrap(r->db, STORE_KEY_CASE, c.id,
			    c.key_version, l.w[i].user_id, key);
		secmem_wipe(key, sizeof(key));
		if (rc != CASEFILE_OK) {
			access_fail(r, rc);
			goto out;
		}
		/* a member of an evacuation: its key follows */
		if (access_evac_sync(r, c.evacuation_id, 0, NULL) != 0)
			goto out;
		(*done)++;
	}
	ret = 0;
out:
	secmem_wipe(key, sizeof(key));
	free(l.w);
	return ret;
}
