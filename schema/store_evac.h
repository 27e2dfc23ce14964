/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_evac: data access for evacuations and their membership (a case
 * belongs to at most one evacuation, through cases.evacuation_id). The
 * details column is opaque ciphertext; key wraps live in store_case.h
 * (store_key_*, STORE_KEY_EVAC). Functions return a store_err.
 */
#ifndef CORRIDOR_STORE_EVAC_H
#define CORRIDOR_STORE_EVAC_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"
#include "schema/store_case.h"
#include "schema/store_key.h"

/* Stages in API order, NULL-terminated (for jsonin_enum). */
extern const char *const evac_stage_names[];

struct evac_row {
	char		id[ID_CHARS + 1];
	char		codename[CODENAME_MAX_BYTES + 1];
	int		stage;			/* index in evac_stage_names */
	char		created_by[ID_CHARS + 1];
	int64_t		created_at;
	int64_t		updated_at;
	uint32_t	key_version;
	int		rotate_pending;
};

/* STORE_ECONFLICT: id or codename taken. */
int store_evac_insert(struct store *s, const struct evac_row *e,
    const uint8_t *details, size_t details_len);
int store_evac_get(struct store *s, const char *id, struct evac_row *e);
/* The details ciphertext as a malloc'd copy; free with free(). */
int store_evac_details(struct store *s, const char *id, uint8_t **ct,
    size_t *ct_len);
int store_evac_set_stage(struct store *s, const char *id, int stage);
int store_evac_set_details(struct store *s, const char *id,
    const uint8_t *ct, size_t ct_len);
/* After a rotation: details under the new key version, pending cleared. */
int store_evac_set_rotated(struct store *s, const char *id,
    uint32_t key_version, const uint8_t *ct, size_t ct_len);
int store_evac_set_rotate_pending(struct store *s, const char *id);

/*
 * One page of evacuations in id order after `after` ("" first): all of
 * them (user_id NULL), or those holding a live case assigned to user_id.
 * cb returns 0 to go on.
 */
int store_evac_list(struct store *s, const char *user_id, const char *after,
    unsigned limit, int (*cb)(void *arg, const struct evac_row *e), void *arg);

/* Append the member cases of evac_id (id order): all of them, or only
 * those assigned to user_id when it is not NULL. */
int store_evac_cases(struct store *s, const char *evac_id, const char *user_id,
    struct store_ids *out);

/* Append the distinct users assigned to a live (not shredded) member case
 * of evac_id: the people K_evac must be wrapped to besides the org. */
int store_evac_holders(struct store *s, const char *evac_id,
    struct store_ids *out);

/* *yes = 1 if user_id is assigned to a live member case of evac_id. */
int store_evac_is_member(struct store *s, const char *evac_id,
    const char *user_id, int *yes);

#endif
