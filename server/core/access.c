/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * access: the authorization decision for case and evacuation routes, and
 * the key that goes with it. See access.h for the rules.
 *
 * Key cache discipline: a key goes into the session cache only when it was
 * unwrapped from the caller's own wrap, and that wrap was not written by
 * this request (or the object was created by it). A key reached through
 * the org wrap is never cached: every use of it must pass the org key's
 * password confirmation (REAUTH_WINDOW_S), and a cached copy would let a
 * session reuse it without one. A key made by a rotation is never cached
 * before its commit: if the commit failed, a later rotation would reuse
 * the same version number under another key and the cache would hand out
 * the wrong one.
 */
#include <string.h>

#include "crypto/seal.h"
#include "crypto/secmem.h"
#include "crypto/userkey.h"
#include "schema/store_user.h"
#include "server/core/access.h"
#include "server/audit/audit.h"
#include "server/audit/audit_reason.h"
#include "server/core/session.h"
#include "schema/store_assign.h"
#include "schema/store_key.h"

void
access_fail(struct req *r, int rc)
{
	switch (rc) {
	case CASEFILE_OK:
		break;
	case CASEFILE_ESTORE:
		req_unavailable(r);
		break;
	case CASEFILE_ECODENAME:
		req_problem(r, 503, "busy", "Could not allocate a codename; retry.");
		r->retry_after_s = 1;
		break;
	case CASEFILE_EINTEGRITY:
	case CASEFILE_ENOKEY:
		/* a wrap or ciphertext that does not open: tampering, or a
		 * bug; either way nothing is returned */
		req_problem(r, 500, "integrity",
		    "Stored content failed its integrity check; nothing was "
		    "returned.");
		break;
	default:
		req_internal(r);
		break;
	}
}

/*
 * Open the org secret key into r->org_sk for this request: the caller must
 * be an active coordinator holding an org grant (else 403 not-confirmed)
 * who confirmed their password less than REAUTH_WINDOW_S ago (else 403
 * reauth-required, the prompt a client answers with POST /session/confirm
 * and a retry). The grant is sealed to the coordinator's key pair, whose
 * secret half the request opens with its K_s. r->org_sk is wiped when the
 * router is done with the request. 0, or -1 after answering.
 */
static int
org_open(struct req *r)
{
	uint8_t blob[SEAL_BLOB_MAX], org_pk[32], pk[32], sk[32];
	size_t blob_len = 0;
	int rc, ret = -1;

	if (r->sess == NULL || r->role != ROLE_COORDINATOR ||
	    r->user_status != USER_ACTIVE) {
		req_deny(r, 403, "not-confirmed",
		    "Only a confirmed coordinator holds the organisation key.");
		return -1;
	}
	if (!session_confirmed(r->sess)) {
		req_deny(r, 403, "reauth-required",
		    "This needs the organisation key: confirm your password "
		    "(POST /api/v1/session/confirm), then retry. A confirmation "
		    "lasts 5 minutes.");
		return -1;
	}
	rc = store_org_grant_get(r->db, r->actor_id, blob, sizeof(blob),
	    &blob_len);
	if (rc == STORE_ENOTFOUND) {
		req_deny(r, 403, "not-confirmed",
		    "Only a confirmed coordinator holds the organisation key.");
		return -1;
	}
	if (rc != STORE_OK || store_org_pk_get(r->db, org_pk) != STORE_OK) {
		req_unavailable(r);
		return -1;
	}
	memcpy(pk, session_pk(r->sess), sizeof(pk));
	if (session_sk_open(r->sess, r->sess_key, sk) != 0 ||
	    seal_open(r->org_sk, SEAL_KIND_ORG, CASEFILE_ORG, r->actor_id, pk,
	    sk, blob, blob_len) != 0 || !userkey_matches(org_pk, r->org_sk)) {
		/* the unwrapped key must be the org key we publish */
		secmem_wipe(r->org_sk, sizeof(r->org_sk));
		access_fail(r, CASEFILE_EINTEGRITY);
		goto done;
	}
	r->org_open = 1;
	ret = 0;
done:
	secmem_wipe(sk, sizeof(sk));
	return ret;
}

int
access_org_holder(struct req *r, struct casefile_holder *h)
{
	int rc;

	if (!r->org_open && org_open(r) != 0)
		return -1;
	if ((rc = casefile_org_holder(r->db, r->org_sk, h)) != CASEFILE_OK) {
		access_fail(r, rc);
		return -1;
	}
	return 0;
}

/* The caller as a holder: their secret key, opened with the request's K_s
 * into sk, which the caller wipes. 0, or -1 after answering. */
static int
user_holder(struct req *r, struct casefile_holder *h, uint8_t sk[32])
{
	memset(h, 0, sizeof(*h));
	h->id = r->actor_id;
	memcpy(h->pk, session_pk(r->sess), sizeof(h->pk));
	if (session_sk_open(r->sess, r->sess_key, sk) != 0) {
		req_internal(r);
		return -1;
	}
	h->sk = sk;
	return 0;
}

/*
 * X-Access-Reason: 1 present and valid (*out, *out_len point into the
 * request headers), 0 absent, -1 invalid (answered 400). Valid is 1 to
 * MAX_REASON_BYTES bytes of UTF-8 without control characters, not all
 * blanks.
 */
int
access_reason_get(struct req *r, const char **out, size_t *out_len)
{
	const unsigned char *s =
	    (const unsigned char *)req_header(r, "X-Access-Reason");
	size_t n, i, printable = 0;

	if (s == NULL)
		return 0;
	n = strlen((const char *)s);
	if (n == 0 || n > MAX_REASON_BYTES)
		goto bad;
	for (i = 0; i < n; ) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				goto bad;
			if (c != ' ')
				printable++;
			i++;
			continue;
		}
		/* strict UTF-8: no overlongs, no surrogates, <= U+10FFFF */
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			goto bad;
		}
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp < 0xa0))
			goto bad;
		printable++;
		i += k + 1;
	}
	if (printable == 0)
		goto bad;
	*out = (const char *)s;
	*out_len = n;
	return 1;
bad:
	req_deny(r, 400, "invalid-reason",
	    "X-Access-Reason must be 1 to 512 bytes of printable UTF-8 text.");
	return -1;
}

static int
begin(struct req *r, unsigned flags)
{
	if ((flags & ACCESS_WRITE) || store_in_write(r->db))
		return req_write_begin(r);
	if (store_read_begin(r->db) != STORE_OK) {
		req_unavailable(r);
		return -1;
	}
	return 0;
}

/*
 * The key of object id (kind STORE_KEY_CASE or STORE_KEY_EVAC, key version
 * version) for the caller: from the session cache or the caller's own
 * wrap, or, via_org, through the org key and never cached (see the top of
 * the file). 0, or -1 after answering.
 */
static int
object_key(struct req *r, int kind, const char *id, uint32_t version,
    int via_org, uint8_t key[CASEFILE_KEY_BYTES])
{
	struct casefile_holder h;
	uint8_t sk[32];
	int rc;

	if (!via_org && session_key_get(r->sess, r->sess_key, id, version,
	    key) == 0)
		return 0;
	rc = via_org ? access_org_holder(r, &h) : user_holder(r, &h, sk);
	if (rc != 0)
		return -1;
	rc = casefile_key_open(r->db, kind, id, version, &h, key);
	secmem_wipe(sk, sizeof(sk));
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		return -1;
	}
	if (!via_org)
		session_key_put(r->sess, r->sess_key, id, version, key);
	return 0;
}

/*
 * One kind of object the routes reach through access: how to load it, who
 * holds its key and how to rotate it. access_case_open and access_evac_open
 * are the same decision over this table.
 */
struct access_kind {
	int	audit_obj;	/* AUDIT_OBJ_* of the audit entry */
	int	key_kind;	/* STORE_KEY_* of its wraps */
	int	needs_reason;	/* content reached through the org wrap is
				 * break-glass (cases) */
	/* Fetch row id (STORE_*; STORE_ENOTFOUND if none). */
	int	(*load)(struct store *s, const char *id, void *row);
	/* *holder = 1 if the caller holds a wrap of its key (STORE_*). */
	int	(*holds)(struct req *r, const char *id, int *holder);
	/* Rotate it now (in the write transaction): *rotated = 1 and the
	 * new key in newk when the key changed (CASEFILE_*). */
	int	(*rotate)(struct store *s, void *row, const uint8_t *key,
		    uint8_t newk[CASEFILE_KEY_BYTES], int *rotated);
};

/* An access_case or access_evac, seen through its parts. */
struct access_obj {
	void		*row;		/* struct case_row or struct evac_row */
	const uint32_t	*version;	/* the row's key version */
	const int	*pending;	/* the row's rotate_pending */
	const int	*shredded;	/* the row's shredded, NULL: never */
	int		*holder;	/* the caller holds a wrap of the key */
	int		*break_glass;	/* content read through the org key */
	int		*have_key;
	uint8_t		*key;		/* CASEFILE_KEY_BYTES */
};

static int
case_load(struct store *s, const char *id, void *row)
{
	return store_case_get(s, id, row);
}

/* Every role's assignment counts (only caseworkers are ever assigned). */
static int
case_holds(struct req *r, const char *id, int *holder)
{
	return store_assign_exists(r->db, id, req_case_subject(r), holder);
}

static int
case_rotate(struct store *s, void *row, const uint8_t *key,
    uint8_t newk[CASEFILE_KEY_BYTES], int *rotated)
{
	*rotated = 1;
	return casefile_case_rotate(s, row, key, newk);
}

static int
evac_load(struct store *s, const char *id, void *row)
{
	return store_evac_get(s, id, row);
}

/* A caseworker holds K_evac through a live member case; a coordinator
 * never holds it (theirs comes through the org wrap). */
static int
evac_holds(struct req *r, const char *id, int *holder)
{
	if (r->role != ROLE_CASEWORKER) {
		*holder = 0;
		return STORE_OK;
	}
	return store_evac_is_member(r->db, id, req_case_subject(r), holder);
}

static int
evac_rotate(struct store *s, void *row, const uint8_t *key,
    uint8_t newk[CASEFILE_KEY_BYTES], int *rotated)
{
	return casefile_evac_sync(s, row, key, 1, newk, rotated);
}

static const struct access_kind kind_case = {
	AUDIT_OBJ_CASE, STORE_KEY_CASE, 1,
	case_load, case_holds, case_rotate,
};

static const struct access_kind kind_evac = {
	AUDIT_OBJ_EVACUATION, STORE_KEY_EVAC, 0,
	evac_load, evac_holds, evac_rotate,
};

/*
 * A coordinator reaching into the content of a case not theirs: the
 * X-Access-Reason header, and an auditor to seal it to. 0 (the reason is
 * set for the audit entry), or -1 after answering.
 */
static int
break_glass(struct req *r)
{
	const char *reason = NULL;
	size_t reason_len = 0;
	int64_t recipients = 0;
	int rc;

	rc = access_reason_get(r, &reason, &reason_len);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		req_deny(r, 403, "reason-required",
		    "Reading this case's content needs an "
		    "X-Access-Reason header; the reason is audited.");
		return -1;
	}
	/* the reason is sealed to the auditors: with none enrolled
	 * nobody could ever read it, so the read is refused */
	if (audit_reason_recipients(r->db, &recipients) != STORE_OK) {
		req_unavailable(r);
		return -1;
	}
	if (recipients == 0) {
		req_deny(r, 409, "no-auditor", "A break-glass read "
		    "needs at least one enrolled auditor to seal the "
		    "reason to; ask an admin to create one.");
		return -1;
	}
	r->audit_reason = reason;
	r->audit_reason_len = reason_len;
	return 0;
}

/* Wipe the key and end a read snapshot. */
static void
obj_close(struct req *r, uint8_t *key, int *have_key)
{
	secmem_wipe(key, CASEFILE_KEY_BYTES);
	*have_key = 0;
	store_read_end(r->db);
}

/*
 * Load object id of kind k for r's caller and decide (see access.h). The
 * key comes from the caller's own wrap when they hold one, else from the
 * org wrap. 0, or -1 after answering and closing o.
 */
static int
obj_open(struct req *r, const struct access_kind *k, const char *id,
    unsigned flags, struct access_obj *o)
{
	uint8_t newk[CASEFILE_KEY_BYTES];
	int rc, rotated = 0, restarted = 0;

	req_audit_object(r, k->audit_obj, id);
	if (r->role != ROLE_CASEWORKER && r->role != ROLE_COORDINATOR) {
		/* invariant: the role masks keep everyone else out */
		req_deny(r, 403, "forbidden", "Your role may not do this.");
		return -1;
	}
again:
	if (begin(r, flags) != 0)
		goto fail;
	rc = k->load(r->db, id, o->row);
	if (rc == STORE_ENOTFOUND) {
		req_not_found(r);
		goto fail;
	}
	if (rc != STORE_OK || k->holds(r, id, o->holder) != STORE_OK) {
		req_unavailable(r);
		goto fail;
	}
	if (r->role == ROLE_CASEWORKER && !*o->holder) {
		req_not_found(r);	/* they may not know it exists */
		goto fail;
	}
	if ((flags & ACCESS_ASSIGNED) && !*o->holder) {
		req_deny(r, 403, "not-assigned",
		    "Only someone assigned to this case may do this.");
		goto fail;
	}
	if (o->shredded != NULL && *o->shredded) {
		req_deny(r, 410, "shredded",
		    "This case was shredded: its keys and content are gone.");
		goto fail;
	}
	if (k->needs_reason && (flags & ACCESS_CONTENT) && !*o->holder) {
		if (break_glass(r) != 0)
			goto fail;
		*o->break_glass = 1;
	}
	if (!(flags & (ACCESS_CONTENT | ACCESS_MANAGE)))
		return 0;
	if (object_key(r, k->key_kind, id, *o->version, !*o->holder, o->key)
	    != 0)
		goto fail;
	*o->have_key = 1;
	if (!*o->pending)
		return 0;

	/* a holder was removed while nobody could open the key: rotate now,
	 * which needs the write transaction and a fresh look at the row */
	if (!store_in_write(r->db)) {
		if (restarted++) {
			req_internal(r);
			goto fail;
		}
		secmem_wipe(o->key, CASEFILE_KEY_BYTES);
		*o->have_key = 0;
		store_read_end(r->db);
		flags |= ACCESS_WRITE;
		goto again;
	}
	rc = k->rotate(r->db, o->row, o->key, newk, &rotated);
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		goto fail;
	}
	if (rotated) {
		session_key_forget(id);
		memcpy(o->key, newk, sizeof(newk));
	}
	secmem_wipe(newk, sizeof(newk));
	return 0;
fail:
	secmem_wipe(newk, sizeof(newk));
	obj_close(r, o->key, o->have_key);
	return -1;
}

int
access_case_open(struct req *r, const char *id, unsigned flags,
    struct access_case *a)
{
	struct access_obj o = { &a->c, &a->c.key_version, &a->c.rotate_pending,
	    &a->c.shredded, &a->assigned, &a->break_glass, &a->have_key,
	    a->key };

	memset(a, 0, sizeof(*a));
	return obj_open(r, &kind_case, id, flags, &o);
}

void
access_case_close(struct req *r, struct access_case *a)
{
	obj_close(r, a->key, &a->have_key);
}

int
access_evac_open(struct req *r, const char *id, unsigned flags,
    struct access_evac *a)
{
	int holder = 0, no_break_glass = 0;
	struct access_obj o = { &a->e, &a->e.key_version, &a->e.rotate_pending,
	    NULL, &holder, &no_break_glass, &a->have_key, a->key };

	memset(a, 0, sizeof(*a));
	return obj_open(r, &kind_evac, id, flags, &o);
}

void
access_evac_close(struct req *r, struct access_evac *a)
{
	obj_close(r, a->key, &a->have_key);
}

int
access_evac_sync(struct req *r, const char *evac_id, int force,
    struct access_evac *a)
{
	struct casefile_holder org;
	struct evac_row e;
	uint8_t key[CASEFILE_KEY_BYTES], newk[CASEFILE_KEY_BYTES];
	int rc, rotated = 0, ret = -1;

	if (evac_id == NULL || evac_id[0] == '\0')
		return 0;
	if (access_org_holder(r, &org) != 0)
		return -1;
	rc = store_evac_get(r->db, evac_id, &e);
	if (rc != STORE_OK) {
		access_fail(r, rc == STORE_ENOTFOUND ? CASEFILE_EINTEGRITY :
		    CASEFILE_ESTORE);
		return -1;
	}
	/* not from the cache: this request may already have changed wraps */
	rc = casefile_key_open(r->db, STORE_KEY_EVAC, e.id, e.key_version, &org,
	    key);
	if (rc == CASEFILE_OK)
		rc = casefile_evac_sync(r->db, &e, key, force, newk, &rotated);
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		goto done;
	}
	if (rotated) {
		session_key_forget(e.id);
		if (a != NULL) {
			a->e = e;
			memcpy(a->key, newk, sizeof(a->key));
			a->have_key = 1;
		}
	}
	ret = 0;
done:
	secmem_wipe(key, sizeof(key));
	secmem_wipe(newk, sizeof(newk));
	return ret;
}
