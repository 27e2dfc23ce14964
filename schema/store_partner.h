/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_partner: the partners table (other corridor instances a case can
 * be handed to) and the transfers table (every bundle sent or imported,
 * by id). schema/0013_transfers.sql. Prepared statements only; every
 * function returns a store_err.
 */
#ifndef CORRIDOR_STORE_PARTNER_H
#define CORRIDOR_STORE_PARTNER_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/token.h"
#include "schema/store.h"

#define PARTNER_NAME_MAX	128u	/* bytes; the CHECK in 0010 */
#define PARTNER_ORIGIN_MAX	255u	/* NOTE_NAME_MAX_BYTES */
#define PARTNER_PK_BYTES	32u
#define TRANSFER_ID_BYTES	16u
#define TRANSFER_HASH_BYTES	32u

enum transfer_direction {
	TRANSFER_SENT = 1,
	TRANSFER_IMPORTED = 2,
};

struct partner_row {
	char		id[ID_CHARS + 1];
	char		name[PARTNER_NAME_MAX + 1];
	char		origin[PARTNER_ORIGIN_MAX + 1];
	uint8_t		pk[PARTNER_PK_BYTES];
	int64_t		created_at;
};

/* Insert p. STORE_ECONFLICT if its name, origin or key is registered. */
int store_partner_insert(struct store *s, const struct partner_row *p);

/* The partner with this id, name or origin (whichever matches first).
 * STORE_ENOTFOUND. */
int store_partner_find(struct store *s, const char *key,
    struct partner_row *p);

/* Every partner, by name; cb returns 0 to go on. */
int store_partner_each(struct store *s,
    int (*cb)(void *arg, const struct partner_row *p), void *arg);

/* Partners registered. */
int store_partner_count(struct store *s, int64_t *n);

/* Delete partner id. STORE_ENOTFOUND. */
int store_partner_delete(struct store *s, const char *id);

/* Record bundle id, sent or imported. STORE_ECONFLICT if the id is
 * recorded in that direction already. */
int store_transfer_insert(struct store *s,
    const uint8_t id[TRANSFER_ID_BYTES], int direction, const char *case_id,
    const char *partner_origin, const uint8_t hash[TRANSFER_HASH_BYTES]);

/* *yes = 1 if bundle id has been imported. */
int store_transfer_known(struct store *s,
    const uint8_t id[TRANSFER_ID_BYTES], int *yes);

#endif
