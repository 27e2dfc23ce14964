/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_lookup: "have we seen this person before?" (issue 15, part 2).
 *
 *   POST /cases/lookup   {"phone"} or {"name"}: match or no match, and per
 *                        match only the codename and whom to ask. The term
 *                        travels in the body only, is never logged and is
 *                        not in the audit entry (case.lookup names no
 *                        object). Rate-limited per account (lookuplimit.h).
 *   POST /cases/reindex  a confirmed coordinator indexes, through the org
 *                        key, cases written before the index existed or
 *                        under a replaced index key, a batch at a time.
 *
 * The blind indexes themselves are server/core/blindidx.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/secmem.h"
#include "schema/store_case.h"
#include "server/api/route.h"
#include "server/api/route_body.h"
#include "server/api/route_lookup.h"
#include "server/audit/audit.h"
#include "server/core/access.h"
#include "server/core/blindidx.h"
#include "server/core/casefile.h"
#include "server/core/lookuplimit.h"
#include "server/http/jsonin.h"
#include "server/limits.h"

int
route_lookup_body_parse(const json_t *obj, struct lookup_input *in)
{
	static const char *const allowed[] = { "phone", "name", NULL };
	int has_phone = 0, has_name = 0;

	in->phone = in->name = NULL;
	if (jsonin_only(obj, allowed) != JSONIN_OK ||
	    jsonin_string(obj, "phone", 0, 1, MAX_LOOKUP_PHONE_BYTES, 0,
	    &in->phone, &has_phone) != JSONIN_OK ||
	    jsonin_string(obj, "name", 0, 1, MAX_LOOKUP_NAME_BYTES, 0,
	    &in->name, &has_name) != JSONIN_OK ||
	    has_phone + has_name != 1) {
		in->phone = in->name = NULL;
		return BODY_EINVALID;
	}
	return BODY_OK;
}

json_t *
route_lookup_matches_json(const struct blindidx_hits *h)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < h->n; i++) {
		const char *ask = h->h[i].ask;
		json_t *o = json_pack("{s:s, s:s?}", "codename",
		    h->h[i].codename, "ask", ask[0] != '\0' ? ask : NULL);

		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Answer 429 for r's account if its lookup bucket is empty. 0 to go on. */
static int
lookup_allowed(struct req *r)
{
	unsigned retry = 1;

	if (lookuplimit_take(r->actor_id, &retry) == 0)
		return 0;
	req_deny(r, 429, "rate-limited",
	    "Too many lookups from this account; wait before the next one.");
	r->retry_after_s = retry;
	return -1;
}

static void
lookup_route(struct req *r)
{
	struct lookup_input in;
	struct blindidx_terms t;
	struct blindidx_hits hits;
	json_t *m;
	int rc;

	memset(&t, 0, sizeof(t));
	if (route_lookup_body_parse(r->json, &in) != BODY_OK) {
		req_bad_body(r);
		return;
	}
	rc = in.phone != NULL ?
	    blindidx_terms_phone(in.phone, strlen(in.phone), &t) :
	    blindidx_terms_name(in.name, strlen(in.name), &t);
	if (rc == BLINDIDX_EINPUT) {
		req_problem(r, 422, "invalid-term", in.phone != NULL ?
		    "The phone number needs a country code (+ or 00), or must "
		    "be a Russian number (8, 7 or 9 first)." :
		    "The name has nothing left to look up after normalising.");
		goto done;
	}
	if (rc != BLINDIDX_OK) {
		req_internal(r);
		goto done;
	}
	/* a well-formed lookup spends a token, whatever it finds */
	if (lookup_allowed(r) != 0)
		goto done;
	if (blindidx_match(r->db, &t, 0, NULL, &hits) != BLINDIDX_OK) {
		req_unavailable(r);
		goto done;
	}
	/* a decoy session (a duress login) spent the same work and learns
	 * nothing: which people are cases, and who handles them, is what
	 * the captor wants most */
	if (r->decoy) {
		hits.n = 0;
		hits.more = 0;
	}
	if ((m = route_lookup_matches_json(&hits)) == NULL) {
		req_internal(r);
		goto done;
	}
	req_json(r, 200, json_pack("{s:b, s:o, s:b}", "match", hits.n > 0,
	    "matches", m, "more", hits.more));
done:
	secmem_wipe(&t, sizeof(t));
}

/* Index one case through the org key h. 0, or -1 after answering. */
static int
reindex_one(struct req *r, const struct casefile_holder *h, const char *id)
{
	struct casefile_plain pp = { NULL, 0 };
	struct blindidx_terms t;
	struct case_row c;
	uint8_t key[CASEFILE_KEY_BYTES], *p_ct = NULL, *n_ct = NULL;
	size_t p_len = 0, n_len = 0;
	int rc = -1, crc;

	memset(key, 0, sizeof(key));
	memset(&t, 0, sizeof(t));
	if (store_case_get(r->db, id, &c) != STORE_OK ||
	    store_case_content(r->db, id, &p_ct, &p_len, &n_ct, &n_len) !=
	    STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	crc = casefile_key_open(r->db, STORE_KEY_CASE, c.id, c.key_version, h,
	    key);
	if (crc == CASEFILE_OK)
		crc = casefile_decrypt(&pp, key, CASEFILE_T_CASES, c.id,
		    CASEFILE_F_PERSON, c.key_version, p_ct, p_len);
	if (crc != CASEFILE_OK) {
		access_fail(r, crc);
		goto done;
	}
	crc = blindidx_terms_person(pp.p, pp.len, &t);
	if (crc == BLINDIDX_OK)
		crc = blindidx_case_put(r->db, c.id, &t);
	if (crc != BLINDIDX_OK) {
		req_unavailable(r);
		goto done;
	}
	rc = 0;
done:
	secmem_wipe(key, sizeof(key));
	secmem_wipe(&t, sizeof(t));
	casefile_plain_free(&pp);
	free(p_ct);
	free(n_ct);
	return rc;
}

static void
reindex_route(struct req *r)
{
	struct store_ids ids = { NULL, 0, 0 };
	struct casefile_holder h;
	int64_t remaining = 0;

	if (req_write_begin(r) != 0)
		return;
	if (access_org_holder(r, &h) != 0)
		goto done;
	if (blindidx_unindexed(r->db, REINDEX_BATCH_CASES, &ids, &remaining)
	    != BLINDIDX_OK) {
		req_unavailable(r);
		goto done;
	}
	for (size_t i = 0; i < ids.n; i++)
		if (reindex_one(r, &h, ids.id[i]) != 0)
			goto done;
	req_json(r, 200, json_pack("{s:I, s:I}", "indexed",
	    (json_int_t)ids.n, "remaining", (json_int_t)(remaining -
	    (int64_t)ids.n)));
done:
	store_ids_free(&ids);
}

const struct route route_lookup_table[] = {
	{ M_POST, "/cases/lookup", R_CASEWORKER | R_COORD, ROUTE_BODY,
	  AUDIT_CASE_LOOKUP, AUDIT_OBJ_NONE, lookup_route },
	{ M_POST, "/cases/reindex", R_COORD, 0,
	  AUDIT_CASE_REINDEX, AUDIT_OBJ_NONE, reindex_route },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
