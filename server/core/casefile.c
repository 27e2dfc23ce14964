/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * casefile: per-case and per-evacuation keys, field encryption, rotation
 * and shredding, inside the caller's write transaction. See casefile.h.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/field.h"
#include "crypto/seal.h"
#include "crypto/secmem.h"
#include "crypto/token.h"
#include "schema/store_user.h"
#include "schema/store_account.h"
#include "schema/store_assign.h"
#include "schema/store_key.h"
#include "schema/store_contact.h"
#include "schema/store_attach.h"
#include "schema/store_blind.h"
#include "server/core/attach.h"
#include "server/core/casefile.h"
#include "server/core/codename.h"
#include "server/limits.h"

static int
from_store(int rc)
{
	switch (rc) {
	case STORE_OK:		return CASEFILE_OK;
	case STORE_ENOMEM:	return CASEFILE_ENOMEM;
	}
	return CASEFILE_ESTORE;
}

static const char *
kind_name(int kind)
{
	return kind == STORE_KEY_EVAC ? SEAL_KIND_EVAC : SEAL_KIND_CASE;
}

void
casefile_plain_free(struct casefile_plain *pt)
{
	if (pt == NULL || pt->p == NULL)
		return;
	secmem_buf_free(pt->p);		/* wipes */
	pt->p = NULL;
	pt->len = 0;
}

int
casefile_org_holder(struct store *s, const uint8_t *org_sk,
    struct casefile_holder *h)
{
	memset(h, 0, sizeof(*h));
	if (org_sk == NULL)
		return CASEFILE_ENOKEY;
	h->id = CASEFILE_ORG;
	h->sk = org_sk;
	return from_store(store_org_pk_get(s, h->pk));
}

int
casefile_encrypt(uint8_t **ct, size_t *ct_len, const uint8_t key[32],
    const char *table, const char *row, const char *field, uint32_t version,
    const void *pt, size_t pt_len)
{
	size_t max;

	*ct = NULL;
	*ct_len = 0;
	if (pt_len > SIZE_MAX - FIELD_OVERHEAD)
		return CASEFILE_ENOMEM;
	max = pt_len + FIELD_OVERHEAD;
	if ((*ct = malloc(max)) == NULL)
		return CASEFILE_ENOMEM;
	if (field_encrypt(*ct, max, ct_len, key, table, row, field, version,
	    pt_len ? pt : "", pt_len) != 0) {
		free(*ct);
		*ct = NULL;
		return CASEFILE_EINTEGRITY;
	}
	return CASEFILE_OK;
}

int
casefile_decrypt(struct casefile_plain *out, const uint8_t key[32],
    const char *table, const char *row, const char *field, uint32_t version,
    const uint8_t *ct, size_t ct_len)
{
	size_t cap;

	out->p = NULL;
	out->len = 0;
	if (ct == NULL || ct_len < FIELD_OVERHEAD)
		return CASEFILE_EINTEGRITY;
	cap = ct_len - FIELD_OVERHEAD + 1;	/* + NUL */
	/* decrypted content: never in a core file (secmem_buf_alloc) */
	if ((out->p = secmem_buf_alloc(cap)) == NULL)
		return CASEFILE_ENOMEM;
	if (field_decrypt(out->p, cap, &out->len, key, table, row, field,
	    version, ct, ct_len) != 0) {
		secmem_buf_free(out->p);
		out->p = NULL;
		out->len = 0;
		return CASEFILE_EINTEGRITY;
	}
	out->p[out->len] = '\0';
	return CASEFILE_OK;
}

/* Re-encrypt one field from (old key, old version) to (new, new version).
 * *ct is replaced by a fresh buffer. */
static int
reencrypt(uint8_t **ct, size_t *ct_len, const uint8_t old[32],
    uint32_t old_v, const uint8_t new[32], uint32_t new_v, const char *table,
    const char *row, const char *field)
{
	struct casefile_plain pt = { NULL, 0 };
	uint8_t *out = NULL;
	size_t out_len = 0;
	int rc;

	rc = casefile_decrypt(&pt, old, table, row, field, old_v, *ct, *ct_len);
	if (rc != CASEFILE_OK)
		goto done;
	rc = casefile_encrypt(&out, &out_len, new, table, row, field, new_v,
	    pt.p, pt.len);
	if (rc != CASEFILE_OK)
		goto done;
	free(*ct);
	*ct = out;
	*ct_len = out_len;
	out = NULL;
done:
	casefile_plain_free(&pt);
	free(out);
	return rc;
}

int
casefile_key_open(struct store *s, int kind, const char *object_id,
    uint32_t version, const struct casefile_holder *h, uint8_t key[32])
{
	uint8_t blob[SEAL_BLOB_MAX];
	size_t blob_len = 0;
	uint32_t wv = 0;
	int rc;

	secmem_wipe(key, CASEFILE_KEY_BYTES);
	if (h == NULL || h->sk == NULL)
		return CASEFILE_ENOKEY;
	rc = store_key_get(s, kind, object_id, h->id, blob, sizeof(blob),
	    &blob_len, &wv);
	if (rc == STORE_ENOTFOUND)
		return CASEFILE_ENOKEY;
	if (rc == STORE_ECORRUPT)
		return CASEFILE_EINTEGRITY;
	if (rc != STORE_OK)
		return from_store(rc);
	/* a wrap of another key version is stale: never try it */
	if (wv != version)
		return CASEFILE_EINTEGRITY;
	if (seal_open(key, kind_name(kind), object_id, h->id, h->pk, h->sk,
	    blob, blob_len) != 0)
		return CASEFILE_EINTEGRITY;
	return CASEFILE_OK;
}

int
casefile_key_wrap(struct store *s, int kind, const char *object_id,
    uint32_t version, const char *recipient_id, const uint8_t key[32])
{
	uint8_t blob[SEAL_BLOB_MAX], pk[32];
	struct user_row u;
	size_t blob_len;
	int rc;

	if (strcmp(recipient_id, CASEFILE_ORG) == 0) {
		if ((rc = store_org_pk_get(s, pk)) != STORE_OK)
			return from_store(rc);
	} else {
		int erased = 0;

		if ((rc = store_user_by_id(s, recipient_id, &u)) != STORE_OK)
			return from_store(rc);
		memcpy(pk, u.pk, sizeof(pk));
		secmem_wipe(&u, sizeof(u));
		if ((rc = store_account_erased(s, recipient_id, &erased)) !=
		    STORE_OK)
			return from_store(rc);
		/* A key pair whose secret half is erased (panic, duress), or
		 * one made at a reset under a first password someone else
		 * chose, gets no wrap: the assignment stays, waiting for a
		 * coordinator to re-seal once the account has enrolled again
		 * (server/core/account.c). */
		if (erased)
			return CASEFILE_OK;
	}
	if (seal_key(blob, sizeof(blob), &blob_len, kind_name(kind), object_id,
	    recipient_id, key, pk) != 0)
		return CASEFILE_EINTEGRITY;
	rc = store_key_put(s, kind, object_id, recipient_id, version, blob,
	    blob_len);
	return from_store(rc);
}

/* Wrap key to the org and to every id in users. */
static int
wrap_all(struct store *s, int kind, const char *object_id, uint32_t version,
    const struct store_ids *users, const uint8_t key[32])
{
	int rc;

	rc = casefile_key_wrap(s, kind, object_id, version, CASEFILE_ORG, key);
	for (size_t i = 0; rc == CASEFILE_OK && users != NULL && i < users->n;
	    i++)
		rc = casefile_key_wrap(s, kind, object_id, version,
		    users->id[i], key);
	return rc;
}

/* --- cases -------------------------------------------------------------------- */

int
casefile_case_create(struct store *s, struct case_row *c,
    const char *creator_id, const void *person, size_t person_len,
    const void *notes, size_t notes_len, uint8_t key[32])
{
	uint8_t *p_ct = NULL, *n_ct = NULL;
	size_t p_len = 0, n_len = 0;
	unsigned attempt;
	int rc, src = STORE_ECONFLICT;

	token_new_id(c->id);
	c->created_at = c->updated_at = store_now();
	c->key_version = 1;
	c->rotate_pending = 0;
	c->shredded = 0;
	c->shredded_at = 0;
	c->evacuation_id[0] = '\0';
	seal_new_key(key);
	rc = casefile_encrypt(&p_ct, &p_len, key, CASEFILE_T_CASES, c->id,
	    CASEFILE_F_PERSON, c->key_version, person, person_len);
	if (rc == CASEFILE_OK)
		rc = casefile_encrypt(&n_ct, &n_len, key, CASEFILE_T_CASES,
		    c->id, CASEFILE_F_NOTES, c->key_version, notes, notes_len);
	if (rc != CASEFILE_OK)
		goto done;
	for (attempt = 0; attempt < CODENAME_ATTEMPTS; attempt++) {
		if (codename_new(c->codename, sizeof(c->codename)) != 0) {
			rc = CASEFILE_ECODENAME;
			goto done;
		}
		src = store_case_insert(s, c, p_ct, p_len, n_ct, n_len);
		if (src != STORE_ECONFLICT)
			break;
	}
	if (src == STORE_ECONFLICT) {
		rc = CASEFILE_ECODENAME;
		goto done;
	}
	if ((rc = from_store(src)) != CASEFILE_OK)
		goto done;
	if (creator_id != NULL) {
		if ((rc = from_store(store_assign_put(s, c->id, creator_id,
		    creator_id))) != CASEFILE_OK)
			goto done;
		rc = casefile_key_wrap(s, STORE_KEY_CASE, c->id,
		    c->key_version, creator_id, key);
		if (rc != CASEFILE_OK)
			goto done;
	}
	rc = casefile_key_wrap(s, STORE_KEY_CASE, c->id, c->key_version,
	    CASEFILE_ORG, key);
done:
	free(p_ct);
	free(n_ct);
	if (rc != CASEFILE_OK)
		secmem_wipe(key, CASEFILE_KEY_BYTES);
	return rc;
}

/* Re-encrypt every contact entry of case_id from (old, ov) to (new, nv). */
static int
rotate_contacts(struct store *s, const char *case_id, const uint8_t old[32],
    uint32_t ov, const uint8_t new[32], uint32_t nv)
{
	struct store_ids ids = { NULL, 0, 0 };
	uint8_t *ct = NULL;
	size_t ct_len = 0;
	int rc;

	/* ids first: never update a table under an open cursor over it */
	if ((rc = from_store(store_contact_ids(s, case_id, &ids))) !=
	    CASEFILE_OK)
		goto done;
	for (size_t i = 0; i < ids.n; i++) {
		rc = from_store(store_contact_entry(s, case_id, ids.id[i], &ct,
		    &ct_len));
		if (rc != CASEFILE_OK)
			goto done;
		rc = reencrypt(&ct, &ct_len, old, ov, new, nv,
		    CASEFILE_T_CONTACTS, ids.id[i], CASEFILE_F_ENTRY);
		if (rc != CASEFILE_OK)
			goto done;
		rc = from_store(store_contact_set_entry(s, ids.id[i], ct,
		    ct_len));
		if (rc != CASEFILE_OK)
			goto done;
		free(ct);
		ct = NULL;
	}
done:
	free(ct);
	store_ids_free(&ids);
	return rc;
}

int
casefile_case_rotate(struct store *s, struct case_row *c,
    const uint8_t old_key[32], uint8_t new_key[32])
{
	struct store_ids users = { NULL, 0, 0 };
	uint8_t *p_ct = NULL, *n_ct = NULL, k[CASEFILE_KEY_BYTES];
	size_t p_len = 0, n_len = 0;
	uint32_t ov = c->key_version, nv = c->key_version + 1;
	int rc;

	if (c->shredded || nv == 0)
		return CASEFILE_EINTEGRITY;
	seal_new_key(k);
	rc = from_store(store_case_content(s, c->id, &p_ct, &p_len, &n_ct,
	    &n_len));
	if (rc != CASEFILE_OK)
		goto done;
	rc = reencrypt(&p_ct, &p_len, old_key, ov, k, nv, CASEFILE_T_CASES,
	    c->id, CASEFILE_F_PERSON);
	if (rc == CASEFILE_OK)
		rc = reencrypt(&n_ct, &n_len, old_key, ov, k, nv,
		    CASEFILE_T_CASES, c->id, CASEFILE_F_NOTES);
	if (rc == CASEFILE_OK)
		rc = rotate_contacts(s, c->id, old_key, ov, k, nv);
	/* attachment keys are re-wrapped; their chunks stay as they are */
	if (rc == CASEFILE_OK)
		rc = attach_case_rewrap(s, c->id, old_key, ov, k, nv);
	if (rc != CASEFILE_OK)
		goto done;
	rc = from_store(store_case_set_rotated(s, c->id, nv, p_ct, p_len, n_ct,
	    n_len));
	if (rc != CASEFILE_OK)
		goto done;
	/* every old wrap goes; the remaining holders get the new key */
	rc = from_store(store_key_delete_all(s, STORE_KEY_CASE, c->id));
	if (rc == CASEFILE_OK)
		rc = from_store(store_assign_users(s, c->id, &users));
	if (rc == CASEFILE_OK)
		rc = wrap_all(s, STORE_KEY_CASE, c->id, nv, &users, k);
	if (rc != CASEFILE_OK)
		goto done;
	c->key_version = nv;
	c->rotate_pending = 0;
	memcpy(new_key, k, sizeof(k));
done:
	secmem_wipe(k, sizeof(k));
	free(p_ct);
	free(n_ct);
	store_ids_free(&users);
	return rc;
}

int
casefile_case_assign(struct store *s, const struct case_row *c,
    const char *user_id, const char *assigned_by, const uint8_t key[32])
{
	int rc;

	rc = from_store(store_assign_put(s, c->id, user_id, assigned_by));
	if (rc != CASEFILE_OK)
		return rc;
	return casefile_key_wrap(s, STORE_KEY_CASE, c->id, c->key_version,
	    user_id, key);
}

int
casefile_case_shred(struct store *s, const struct case_row *c)
{
	int rc;

	/* wraps first: without them the ciphertext is noise already */
	rc = from_store(store_key_delete_all(s, STORE_KEY_CASE, c->id));
	if (rc == CASEFILE_OK)
		rc = from_store(store_contact_delete_case(s, c->id));
	/* attachments: their key wraps and chunks (the wraps are under
	 * K_case, gone already; the rows go too) */
	if (rc == CASEFILE_OK)
		rc = from_store(store_attach_delete_case(s, c->id));
	/* the lookup's blind indexes: a shredded person is never "seen" */
	if (rc == CASEFILE_OK)
		rc = from_store(store_blind_delete_case(s, c->id));
	if (rc == CASEFILE_OK)
		rc = from_store(store_case_shred(s, c->id));
	return rc;
}

/* --- evacuations ------------------------------------------------------------------ */

int
casefile_evac_create(struct store *s, struct evac_row *e, const void *details,
    size_t details_len, uint8_t key[32])
{
	uint8_t *ct = NULL;
	size_t ct_len = 0;
	unsigned attempt;
	int rc, src = STORE_ECONFLICT;

	token_new_id(e->id);
	e->created_at = e->updated_at = store_now();
	e->key_version = 1;
	e->rotate_pending = 0;
	seal_new_key(key);
	rc = casefile_encrypt(&ct, &ct_len, key, CASEFILE_T_EVACS, e->id,
	    CASEFILE_F_DETAILS, e->key_version, details, details_len);
	if (rc != CASEFILE_OK)
		goto done;
	for (attempt = 0; attempt < CODENAME_ATTEMPTS; attempt++) {
		if (codename_new(e->codename, sizeof(e->codename)) != 0) {
			rc = CASEFILE_ECODENAME;
			goto done;
		}
		src = store_evac_insert(s, e, ct, ct_len);
		if (src != STORE_ECONFLICT)
			break;
	}
	if (src == STORE_ECONFLICT) {
		rc = CASEFILE_ECODENAME;
		goto done;
	}
	if ((rc = from_store(src)) != CASEFILE_OK)
		goto done;
	rc = casefile_key_wrap(s, STORE_KEY_EVAC, e->id, e->key_version,
	    CASEFILE_ORG, key);
done:
	free(ct);
	if (rc != CASEFILE_OK)
		secmem_wipe(key, CASEFILE_KEY_BYTES);
	return rc;
}

static int
evac_rotate(struct store *s, struct evac_row *e, const uint8_t old[32],
    const struct store_ids *holders, uint8_t new_key[32])
{
	uint8_t *ct = NULL, k[CASEFILE_KEY_BYTES];
	size_t ct_len = 0;
	uint32_t ov = e->key_version, nv = e->key_version + 1;
	int rc;

	if (nv == 0)
		return CASEFILE_EINTEGRITY;
	seal_new_key(k);
	rc = from_store(store_evac_details(s, e->id, &ct, &ct_len));
	if (rc == CASEFILE_OK)
		rc = reencrypt(&ct, &ct_len, old, ov, k, nv, CASEFILE_T_EVACS,
		    e->id, CASEFILE_F_DETAILS);
	if (rc == CASEFILE_OK)
		rc = from_store(store_evac_set_rotated(s, e->id, nv, ct,
		    ct_len));
	if (rc == CASEFILE_OK)
		rc = from_store(store_key_delete_all(s, STORE_KEY_EVAC, e->id));
	if (rc == CASEFILE_OK)
		rc = wrap_all(s, STORE_KEY_EVAC, e->id, nv, holders, k);
	if (rc == CASEFILE_OK) {
		e->key_version = nv;
		e->rotate_pending = 0;
		memcpy(new_key, k, sizeof(k));
	}
	secmem_wipe(k, sizeof(k));
	free(ct);
	return rc;
}

int
casefile_evac_sync(struct store *s, struct evac_row *e, const uint8_t *key,
    int force, uint8_t new_key[32], int *rotated)
{
	struct store_ids want = { NULL, 0, 0 }, have = { NULL, 0, 0 };
	int rc, extra = 0;

	*rotated = 0;
	rc = from_store(store_evac_holders(s, e->id, &want));
	if (rc == CASEFILE_OK)
		rc = from_store(store_key_recipients(s, STORE_KEY_EVAC, e->id,
		    &have));
	if (rc != CASEFILE_OK)
		goto done;
	for (size_t i = 0; i < have.n; i++)
		if (!store_ids_has(&want, have.id[i]))
			extra = 1;
	if (extra || force || e->rotate_pending) {
		if (key == NULL) {
			/* nobody here can open K_evac: take the extra wraps
			 * away now, rotate at the next holder's access */
			for (size_t i = 0; rc == CASEFILE_OK && i < have.n; i++)
				if (!store_ids_has(&want, have.id[i]))
					rc = from_store(store_key_delete(s,
					    STORE_KEY_EVAC, e->id, have.id[i]));
			if (rc == CASEFILE_OK)
				rc = from_store(store_evac_set_rotate_pending(s,
				    e->id));
			if (rc == CASEFILE_OK)
				e->rotate_pending = 1;
			goto done;
		}
		rc = evac_rotate(s, e, key, &want, new_key);
		if (rc == CASEFILE_OK)
			*rotated = 1;
		goto done;
	}
	for (size_t i = 0; rc == CASEFILE_OK && i < want.n; i++) {
		if (store_ids_has(&have, want.id[i]))
			continue;
		if (key == NULL) {
			rc = CASEFILE_ENOKEY;
			break;
		}
		rc = casefile_key_wrap(s, STORE_KEY_EVAC, e->id, e->key_version,
		    want.id[i], key);
	}
done:
	store_ids_free(&want);
	store_ids_free(&have);
	return rc;
}

/* --- revocation -------------------------------------------------------------------- */

static int
push_unique(struct store_ids *l, const char *id)
{
	if (store_ids_has(l, id))
		return CASEFILE_OK;
	return from_store(store_ids_push(l, id));
}

static int drop_user(struct store *, const char *,
    const struct casefile_holder *, struct store_ids *, int);

int
casefile_revoke_user(struct store *s, const char *user_id,
    const struct casefile_holder *org, struct store_ids *touched)
{
	return drop_user(s, user_id, org, touched, 0);
}

int
casefile_reset_user(struct store *s, const char *user_id,
    const struct casefile_holder *org, struct store_ids *touched)
{
	return drop_user(s, user_id, org, touched, 1);
}

/* Revocation (keep_assign 0) or a reset (1): see casefile.h. */
static int
drop_user(struct store *s, const char *user_id,
    const struct casefile_holder *org, struct store_ids *touched,
    int keep_assign)
{
	struct store_ids cases = { NULL, 0, 0 }, wrapped = { NULL, 0, 0 };
	struct store_ids evacs = { NULL, 0, 0 };
	uint8_t old[CASEFILE_KEY_BYTES], new[CASEFILE_KEY_BYTES];
	struct case_row c;
	struct evac_row e;
	int rc, rotated;

	/* everything they could open: assignments and wraps, both kinds */
	rc = from_store(store_assign_cases(s, user_id, &cases));
	if (rc == CASEFILE_OK)
		rc = from_store(store_key_objects(s, STORE_KEY_CASE, user_id,
		    &wrapped));
	for (size_t i = 0; rc == CASEFILE_OK && i < wrapped.n; i++)
		rc = push_unique(&cases, wrapped.id[i]);
	if (rc == CASEFILE_OK)
		rc = from_store(store_key_objects(s, STORE_KEY_EVAC, user_id,
		    &evacs));
	if (rc != CASEFILE_OK)
		goto done;
	/* then take it all away, before any re-wrap reads the holder lists */
	rc = keep_assign ? CASEFILE_OK :
	    from_store(store_assign_delete_user(s, user_id));
	if (rc == CASEFILE_OK)
		rc = from_store(store_key_delete_recipient(s, STORE_KEY_CASE,
		    user_id));
	if (rc == CASEFILE_OK)
		rc = from_store(store_key_delete_recipient(s, STORE_KEY_EVAC,
		    user_id));
	if (rc != CASEFILE_OK)
		goto done;

	for (size_t i = 0; i < cases.n; i++) {
		rc = from_store(store_case_get(s, cases.id[i], &c));
		if (rc != CASEFILE_OK)
			goto done;
		if (c.shredded)
			continue;
		if ((rc = push_unique(touched, c.id)) != CASEFILE_OK)
			goto done;
		if (org == NULL) {
			rc = from_store(store_case_set_rotate_pending(s, c.id));
		} else {
			rc = casefile_key_open(s, STORE_KEY_CASE, c.id,
			    c.key_version, org, old);
			if (rc == CASEFILE_OK)
				rc = casefile_case_rotate(s, &c, old, new);
		}
		if (rc != CASEFILE_OK)
			goto done;
	}
	for (size_t i = 0; i < evacs.n; i++) {
		rc = from_store(store_evac_get(s, evacs.id[i], &e));
		if (rc == CASEFILE_OK)
			rc = push_unique(touched, e.id);
		if (rc == CASEFILE_OK && org != NULL)
			rc = casefile_key_open(s, STORE_KEY_EVAC, e.id,
			    e.key_version, org, old);
		if (rc == CASEFILE_OK)
			rc = casefile_evac_sync(s, &e, org ? old : NULL, 1, new,
			    &rotated);
		if (rc != CASEFILE_OK)
			goto done;
	}
done:
	secmem_wipe(old, sizeof(old));
	secmem_wipe(new, sizeof(new));
	store_ids_free(&cases);
	store_ids_free(&wrapped);
	store_ids_free(&evacs);
	return rc;
}

/* --- a new key pair ------------------------------------------------------------ */

/* Re-seal one wrap of holder old to new_pk, keeping its key version. */
static int
rekey_one(struct store *s, int kind, const char *object_id,
    const struct casefile_holder *old, const uint8_t new_pk[32])
{
	uint8_t blob[SEAL_BLOB_MAX], key[32];
	size_t blob_len = 0;
	uint32_t version = 0;
	int rc;

	rc = store_key_get(s, kind, object_id, old->id, blob, sizeof(blob),
	    &blob_len, &version);
	if (rc != STORE_OK)
		return rc == STORE_ECORRUPT ? CASEFILE_EINTEGRITY :
		    from_store(rc);
	if (seal_open(key, kind_name(kind), object_id, old->id, old->pk,
	    old->sk, blob, blob_len) != 0)
		return CASEFILE_EINTEGRITY;
	rc = seal_key(blob, sizeof(blob), &blob_len, kind_name(kind), object_id,
	    old->id, key, new_pk) != 0 ? CASEFILE_EINTEGRITY : CASEFILE_OK;
	secmem_wipe(key, sizeof(key));
	if (rc == CASEFILE_OK)
		rc = from_store(store_key_put(s, kind, object_id, old->id,
		    version, blob, blob_len));
	return rc;
}

int
casefile_rekey_user(struct store *s, const struct casefile_holder *old,
    const uint8_t new_pk[32])
{
	static const int kinds[] = { STORE_KEY_CASE, STORE_KEY_EVAC };
	struct store_ids ids = { NULL, 0, 0 };
	uint8_t blob[SEAL_BLOB_MAX], org[32];
	size_t blob_len = 0;
	int rc = CASEFILE_OK;

	for (size_t k = 0; k < 2 && rc == CASEFILE_OK; k++) {
		rc = from_store(store_key_objects(s, kinds[k], old->id, &ids));
		for (size_t i = 0; i < ids.n && rc == CASEFILE_OK; i++)
			rc = rekey_one(s, kinds[k], ids.id[i], old, new_pk);
		store_ids_free(&ids);
	}
	if (rc != CASEFILE_OK)
		return rc;
	rc = store_org_grant_get(s, old->id, blob, sizeof(blob), &blob_len);
	if (rc == STORE_ENOTFOUND)
		return CASEFILE_OK;
	if (rc != STORE_OK)
		return from_store(rc);
	if (seal_open(org, SEAL_KIND_ORG, CASEFILE_ORG, old->id, old->pk,
	    old->sk, blob, blob_len) != 0)
		return CASEFILE_EINTEGRITY;
	rc = seal_key(blob, sizeof(blob), &blob_len, SEAL_KIND_ORG, CASEFILE_ORG,
	    old->id, org, new_pk) != 0 ? CASEFILE_EINTEGRITY : CASEFILE_OK;
	secmem_wipe(org, sizeof(org));
	if (rc == CASEFILE_OK)
		rc = from_store(store_org_grant_reseal(s, old->id, blob,
		    blob_len));
	return rc;
}
