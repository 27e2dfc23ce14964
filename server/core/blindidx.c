/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * blindidx: K_idx in locked memory, the terms of a person or a lookup,
 * and matching them against the store (see blindidx.h).
 */
#include <string.h>

#include <jansson.h>

#include "crypto/blind.h"
#include "crypto/secmem.h"
#include "server/core/blindidx.h"

static uint8_t *K;			/* K_idx, secmem; NULL before init */
static uint8_t check_value[BLIND_HASH_BYTES];

_Static_assert(STORE_BLIND_BYTES == BLIND_HASH_BYTES,
    "a stored value is one blind hash");

int
blindidx_init(const uint8_t key[32])
{
	if (K == NULL && (K = secmem_alloc(BLIND_KEY_BYTES)) == NULL)
		return -1;
	memcpy(K, key, BLIND_KEY_BYTES);
	if (blind_hash(check_value, K, BLIND_CHECK, "", 0) != 0) {
		blindidx_shutdown();
		return -1;
	}
	return 0;
}

void
blindidx_shutdown(void)
{
	secmem_free(K);		/* wipes */
	K = NULL;
	secmem_wipe(check_value, sizeof(check_value));
}

static int
from_store(int rc)
{
	if (rc == STORE_OK)
		return BLINDIDX_OK;
	return rc == STORE_ENOMEM ? BLINDIDX_ENOMEM : BLINDIDX_ESTORE;
}

int
blindidx_purge_stale(struct store *s)
{
	if (K == NULL)
		return BLINDIDX_ENOKEY;
	return from_store(store_blind_purge_stale(s, check_value));
}

static int
add(struct blindidx_terms *t, int kind, const char *v, size_t v_len)
{
	struct store_blind *e;

	if (t->n >= BLINDIDX_MAX_TERMS)
		return BLINDIDX_OK;	/* the caps below keep us inside */
	e = &t->e[t->n];
	e->kind = kind;
	if (blind_hash(e->value, K, kind, v, v_len) != 0)
		return BLINDIDX_ENOMEM;
	t->n++;
	if (kind == BLIND_PHONE)
		t->phones++;
	return BLINDIDX_OK;
}

static void
terms_start(struct blindidx_terms *t)
{
	memset(t, 0, sizeof(*t));
}

/* Add one phone; *ok = 0 if it does not normalise. */
static int
add_phone(struct blindidx_terms *t, const char *p, size_t len, int *ok)
{
	char norm[LOOKUPNORM_PHONE_BYTES];
	int rc = BLINDIDX_OK;

	*ok = lookupnorm_phone(p, len, norm) == 0;
	if (*ok)
		rc = add(t, BLIND_PHONE, norm, strlen(norm));
	secmem_wipe(norm, sizeof(norm));
	return rc;
}

static int
add_name(struct blindidx_terms *t, const char *p, size_t len, int *ok)
{
	char norm[LOOKUPNORM_VARIANTS][LOOKUP_NAME_OUT_BYTES];
	size_t n = 0;
	int rc = BLINDIDX_OK;

	*ok = lookupnorm_name(p, len, norm, &n) == 0;
	for (size_t i = 0; *ok && rc == BLINDIDX_OK && i < n; i++)
		rc = add(t, BLIND_NAME, norm[i], strlen(norm[i]));
	secmem_wipe(norm, sizeof(norm));
	return rc;
}

int
blindidx_terms_phone(const char *phone, size_t len, struct blindidx_terms *t)
{
	int ok, rc;

	terms_start(t);
	if (K == NULL)
		return BLINDIDX_ENOKEY;
	rc = add_phone(t, phone, len, &ok);
	return rc != BLINDIDX_OK ? rc : ok ? BLINDIDX_OK : BLINDIDX_EINPUT;
}

int
blindidx_terms_name(const char *name, size_t len, struct blindidx_terms *t)
{
	int ok, rc;

	terms_start(t);
	if (K == NULL)
		return BLINDIDX_ENOKEY;
	rc = add_name(t, name, len, &ok);
	return rc != BLINDIDX_OK ? rc : ok ? BLINDIDX_OK : BLINDIDX_EINPUT;
}

/*
 * Each piece of s (split on "," ";" and new lines) through fn, while
 * *left allows; a piece that does not normalise is skipped.
 */
static int
each_piece(struct blindidx_terms *t, const char *s, size_t len,
    int (*fn)(struct blindidx_terms *, const char *, size_t, int *),
    unsigned *left)
{
	size_t i = 0;
	int ok, rc = BLINDIDX_OK;

	while (i < len && *left > 0 && rc == BLINDIDX_OK) {
		size_t j = i;

		while (j < len && s[j] != ',' && s[j] != ';' && s[j] != '\n')
			j++;
		if (j > i) {
			rc = fn(t, s + i, j - i, &ok);
			if (ok)
				(*left)--;
		}
		i = j + 1;
	}
	return rc;
}

/* A person field: a string, or an array of strings (others ignored). */
static int
each_value(struct blindidx_terms *t, const json_t *v,
    int (*fn)(struct blindidx_terms *, const char *, size_t, int *),
    unsigned *left)
{
	size_t i;
	json_t *x;
	int rc = BLINDIDX_OK;

	if (json_is_string(v))
		return each_piece(t, json_string_value(v),
		    json_string_length(v), fn, left);
	if (!json_is_array(v))
		return BLINDIDX_OK;
	json_array_foreach(v, i, x) {
		if (rc != BLINDIDX_OK)
			break;
		if (json_is_string(x))
			rc = each_piece(t, json_string_value(x),
			    json_string_length(x), fn, left);
	}
	return rc;
}

int
blindidx_terms_person(const void *person, size_t person_len,
    struct blindidx_terms *t)
{
	unsigned phones = LOOKUP_PHONES_PER_CASE, names = LOOKUP_NAMES_PER_CASE;
	json_t *p;
	int rc;

	terms_start(t);
	if (K == NULL)
		return BLINDIDX_ENOKEY;
	/* jansson's memory is wiped on free (secmem_json_allocators) */
	p = json_loadb(person, person_len, JSON_REJECT_DUPLICATES, NULL);
	if (p == NULL || !json_is_object(p)) {
		json_decref(p);
		return BLINDIDX_EINPUT;
	}
	rc = add(t, BLIND_CHECK, "", 0);
	if (rc == BLINDIDX_OK)
		rc = each_value(t, json_object_get(p, "phone"), add_phone,
		    &phones);
	if (rc == BLINDIDX_OK)
		rc = each_value(t, json_object_get(p, "name"), add_name,
		    &names);
	if (rc == BLINDIDX_OK)
		rc = each_value(t, json_object_get(p, "aliases"), add_name,
		    &names);
	json_decref(p);
	return rc;
}

int
blindidx_case_put(struct store *s, const char *case_id,
    const struct blindidx_terms *t)
{
	return from_store(store_blind_replace(s, case_id, t->e, t->n));
}

struct match_ctx {
	struct blindidx_hits	*out;
	const char		*exclude;
};

static int
match_one(void *arg, const struct store_blind_match *m)
{
	struct match_ctx *c = arg;
	struct blindidx_hits *o = c->out;

	if (c->exclude != NULL && strcmp(m->case_id, c->exclude) == 0)
		return 0;
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->h[i].case_id, m->case_id) == 0)
			return 0;
	if (o->n >= LOOKUP_MAX_MATCHES) {
		o->more = 1;
		return 0;
	}
	memcpy(o->h[o->n].case_id, m->case_id, sizeof(o->h[0].case_id));
	memcpy(o->h[o->n].codename, m->codename, sizeof(o->h[0].codename));
	memcpy(o->h[o->n].ask, m->ask, sizeof(o->h[0].ask));
	o->n++;
	return 0;
}

int
blindidx_match(struct store *s, const struct blindidx_terms *t, int kind,
    const char *exclude_id, struct blindidx_hits *out)
{
	struct match_ctx c = { out, exclude_id };
	int rc = STORE_OK;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < t->n && rc == STORE_OK; i++) {
		if (t->e[i].kind == BLIND_CHECK ||
		    (kind != 0 && t->e[i].kind != kind))
			continue;
		/* one more than we list, to know whether there are more */
		rc = store_blind_match(s, t->e[i].kind, t->e[i].value,
		    LOOKUP_MAX_MATCHES + 2, match_one, &c);
	}
	return from_store(rc);
}

int
blindidx_unindexed(struct store *s, unsigned limit, struct store_ids *ids,
    int64_t *remaining)
{
	if (K == NULL)
		return BLINDIDX_ENOKEY;
	return from_store(store_blind_unindexed(s, check_value, limit, ids,
	    remaining));
}
