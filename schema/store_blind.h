/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_blind: the case_blind table, the blind indexes behind the case
 * lookup (schema/0011_blind_index.sql). Values are opaque 32-byte keyed
 * hashes made by crypto/blind.h; nothing here holds a key or a plaintext.
 * Functions return a store_err unless said otherwise.
 */
#ifndef CORRIDOR_STORE_BLIND_H
#define CORRIDOR_STORE_BLIND_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"
#include "schema/store_case.h"

#define STORE_BLIND_BYTES	32u
#define STORE_USERNAME_MAX	64u	/* docs/openapi.yaml: usernames */

struct store_blind {
	int	kind;			/* enum blind_kind */
	uint8_t	value[STORE_BLIND_BYTES];
};

/* Replace case_id's rows by the n entries in e (duplicates are fine). */
int store_blind_replace(struct store *s, const char *case_id,
    const struct store_blind *e, size_t n);

/* Delete every row of case_id (shredding). */
int store_blind_delete_case(struct store *s, const char *case_id);

/* A live case whose index holds a value. ask is the username of the
 * case's creator when that is an active coordinator, else "". */
struct store_blind_match {
	char	case_id[ID_CHARS + 1];
	char	codename[CODENAME_MAX_BYTES + 1];
	char	ask[STORE_USERNAME_MAX + 1];
};

/* Call fn(arg, m) for each live case holding (kind, value), at most
 * limit of them, by codename; fn returns 0 to go on, -1 to stop with
 * STORE_ENOMEM. */
int store_blind_match(struct store *s, int kind,
    const uint8_t value[STORE_BLIND_BYTES], unsigned limit,
    int (*fn)(void *arg, const struct store_blind_match *m), void *arg);

/* Delete the rows of every case not marked with check (indexed under
 * another key). */
int store_blind_purge_stale(struct store *s,
    const uint8_t check[STORE_BLIND_BYTES]);

/* Up to limit ids of live cases not marked with check, into out, and
 * *remaining the number of them in all. */
int store_blind_unindexed(struct store *s,
    const uint8_t check[STORE_BLIND_BYTES], unsigned limit,
    struct store_ids *out, int64_t *remaining);

#endif
