/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * blindidx: "have we seen this person before?" without plaintext on the
 * server (issue 15, docs/cases.md). When a case's person is written, its
 * phone numbers and names are normalised (lookupnorm.h) and stored only
 * as keyed BLAKE2b blind indexes under the index key K_idx (crypto/
 * blind.h, schema/store_blind.h). A lookup hashes the term the same way
 * and answers which live cases hold it.
 *
 * K_idx comes from the data directory's `index-key` file (wrapped under
 * the signing passphrase like `audit-key`, never under K_db) and lives in
 * locked memory from blindidx_init to blindidx_shutdown.
 *
 * Which person fields are indexed: "phone" (a string, or an array of
 * strings) and "name" and "aliases" (likewise); strings are split on ","
 * ";" and new lines. A value that does not normalise is not indexed.
 *
 * WARNING: equal values give equal index rows, and whoever holds K_idx
 * can test guesses (docs/threat-model.md).
 */
#ifndef CORRIDOR_BLINDIDX_H
#define CORRIDOR_BLINDIDX_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"
#include "crypto/blind.h"
#include "schema/store_blind.h"
#include "server/core/lookupnorm.h"
#include "server/limits.h"

enum blindidx_err {
	BLINDIDX_OK = 0,
	BLINDIDX_ESTORE = -1,	/* the database failed: 503 */
	BLINDIDX_ENOMEM = -2,
	BLINDIDX_EINPUT = -3,	/* a term that does not normalise: 422 */
	BLINDIDX_ENOKEY = -4,	/* blindidx_init was not called */
};

/* The blind indexes of one person or one term: the check marker, then
 * phones and names. */
#define BLINDIDX_MAX_TERMS	(1u + LOOKUP_PHONES_PER_CASE + \
				 LOOKUP_NAMES_PER_CASE * LOOKUPNORM_VARIANTS)
struct blindidx_terms {
	struct store_blind	e[BLINDIDX_MAX_TERMS];
	size_t			n;
	size_t			phones;		/* how many are phones */
};

/* One matching case: its codename, and whom to ask ("" = a coordinator). */
struct blindidx_hit {
	char	case_id[ID_CHARS + 1];
	char	codename[CODENAME_MAX_BYTES + 1];
	char	ask[STORE_USERNAME_MAX + 1];
};
struct blindidx_hits {
	struct blindidx_hit	h[LOOKUP_MAX_MATCHES];
	size_t			n;
	int			more;	/* more cases matched than listed */
};

/* Take K_idx (copied into locked memory; the caller wipes its copy).
 * 0 or -1. */
int blindidx_init(const uint8_t key[32]) __attribute__((warn_unused_result));
void blindidx_shutdown(void);

/* Drop the rows of cases indexed under another key (a replaced
 * index-key). Inside the caller's write transaction. */
int blindidx_purge_stale(struct store *s) __attribute__((warn_unused_result));

/* The terms of a person object (serialized JSON, person_len bytes): the
 * check marker, every phone and name that normalises. */
int blindidx_terms_person(const void *person, size_t person_len,
    struct blindidx_terms *t) __attribute__((warn_unused_result));

/* The terms of one lookup: a phone or a name. BLINDIDX_EINPUT if it
 * does not normalise. */
int blindidx_terms_phone(const char *phone, size_t len,
    struct blindidx_terms *t) __attribute__((warn_unused_result));
int blindidx_terms_name(const char *name, size_t len,
    struct blindidx_terms *t) __attribute__((warn_unused_result));

/* Replace case_id's index rows by t. Inside the write transaction. */
int blindidx_case_put(struct store *s, const char *case_id,
    const struct blindidx_terms *t) __attribute__((warn_unused_result));

/* The live cases, other than exclude_id (NULL: none), holding any of t's
 * terms of the kind asked (BLIND_PHONE or BLIND_NAME; 0: both). */
int blindidx_match(struct store *s, const struct blindidx_terms *t,
    int kind, const char *exclude_id, struct blindidx_hits *out)
    __attribute__((warn_unused_result));

/* Up to limit live cases not yet indexed under K_idx, and how many there
 * are in all. */
int blindidx_unindexed(struct store *s, unsigned limit, struct store_ids *ids,
    int64_t *remaining) __attribute__((warn_unused_result));

#endif
