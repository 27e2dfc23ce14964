/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_case: data access for the cases table: case rows, their
 * ciphertext fields, rotation and shred marks, paging and the retention
 * sweep's query. Assignments (store_assign.h), key wraps (store_key.h) and
 * contact entries (store_contact.h) have files of their own. Rows here
 * hold plain metadata and opaque ciphertext only: nothing in this file
 * encrypts, decrypts or sees a key (server/core/casefile.c does).
 * Prepared statements only. Functions return a store_err unless said
 * otherwise.
 */
#ifndef CORRIDOR_STORE_CASE_H
#define CORRIDOR_STORE_CASE_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"
#include "crypto/token.h"	/* ID_CHARS */

/* Case statuses and risk levels, in API order. NULL-terminated, so the
 * arrays serve jsonin_enum directly; the index is the code. */
extern const char *const case_status_names[];
extern const char *const case_risk_names[];

enum case_status {
	CASE_INTAKE = 0,
	CASE_VERIFIED,
	CASE_AWAITING_EVACUATION,
	CASE_IN_TRANSIT,
	CASE_RELOCATED,
	CASE_CLOSED,
};

/* "adjective-noun-NNN": two words of at most 12 bytes and 3 digits. */
#define CODENAME_MAX_BYTES	32u
/* The region column's buffer; server/limits.h caps what a request may
 * send (MAX_REGION_BYTES) and asserts that it fits. */
#define STORE_REGION_MAX_BYTES	64u

struct case_row {
	char		id[ID_CHARS + 1];
	char		codename[CODENAME_MAX_BYTES + 1];
	int		status;			/* enum case_status */
	int		risk;			/* index in case_risk_names */
	char		region[STORE_REGION_MAX_BYTES + 1];
	int		household_size;
	char		created_by[ID_CHARS + 1];
	int64_t		created_at;
	int64_t		updated_at;
	uint32_t	key_version;
	int		rotate_pending;
	int		shredded;
	int64_t		shredded_at;		/* 0 unless shredded */
	char		evacuation_id[ID_CHARS + 1];	/* "" when none */
	int64_t		closed_at;	/* when it was closed; 0 unless the
					 * status is closed (kept by a
					 * tombstone) */
};

/* --- cases ---------------------------------------------------------------- */

/* Insert c with its two ciphertexts. STORE_ECONFLICT: the id or codename is
 * taken (the caller draws a new codename). */
int store_case_insert(struct store *s, const struct case_row *c,
    const uint8_t *person, size_t person_len, const uint8_t *notes,
    size_t notes_len);

/* Fetch the metadata of case id into c. STORE_ENOTFOUND if none. */
int store_case_get(struct store *s, const char *id, struct case_row *c);

/*
 * The two ciphertexts of case id, as malloc'd copies the caller frees with
 * free() (they are ciphertext, not secrets). Both NULL with length 0 for a
 * tombstone.
 */
int store_case_content(struct store *s, const char *id, uint8_t **person,
    size_t *person_len, uint8_t **notes, size_t *notes_len);

/* Write status, risk, region and household size of c; touch updated_at.
 * closed_at follows the status: set to now when c enters CASE_CLOSED,
 * unchanged while it stays closed, cleared when it leaves (c->closed_at
 * is not read). */
int store_case_update_meta(struct store *s, const struct case_row *c);

enum case_field { CASE_FIELD_PERSON, CASE_FIELD_NOTES };

/* Replace one ciphertext (encrypted under the current key version). */
int store_case_set_field(struct store *s, const char *id, int field,
    const uint8_t *ct, size_t ct_len);

/* After a rotation: both ciphertexts, the new key version, and
 * rotate_pending cleared, in one statement. */
int store_case_set_rotated(struct store *s, const char *id,
    uint32_t key_version, const uint8_t *person, size_t person_len,
    const uint8_t *notes, size_t notes_len);

int store_case_set_rotate_pending(struct store *s, const char *id);
int store_case_set_evacuation(struct store *s, const char *id,
    const char *evacuation_id);

/* Make case id a tombstone: ciphertexts gone, shredded = 1. */
int store_case_shred(struct store *s, const char *id);

/*
 * Append to out the ids of at most limit live (not shredded) closed cases
 * whose closed_at is at or before cutoff (Unix seconds), oldest closing
 * first: the retention sweep's work list. Walks the partial index
 * cases_by_closed_at (schema/0004_retention.sql), so the cost follows the
 * number of closed cases, not of all cases.
 */
int store_case_due(struct store *s, int64_t cutoff, unsigned limit,
    struct store_ids *out);

/* The SQL text behind store_case_due, for the query-plan test. */
const char *store_case_due_sql(void);

/* Filters of a case listing, each NULL for any: a status and a risk by
 * name (case_status_names, case_risk_names), a region by exact match. */
struct case_filter {
	const char	*status;
	const char	*risk;
	const char	*region;
};

/*
 * One page of cases in id order, strictly after `after` ("" for the first
 * page), at most limit rows matching f (NULL: no filter): all cases
 * (user_id NULL) or those assigned to user_id. cb gets each row and its
 * assignees as a comma-separated list of user ids ("" for none); it
 * returns 0 to go on. Both listings walk an index in order (no sort, no
 * OFFSET), see store_case_list_sql; a filter is applied to the rows the
 * walk meets, so a page with a rare filter may read many rows.
 */
int store_case_list(struct store *s, const char *user_id, const char *after,
    const struct case_filter *f, unsigned limit, int (*cb)(void *arg,
    const struct case_row *c, const char *assignees), void *arg);

/* The SQL text behind store_case_list, for the query-plan test. */
const char *store_case_list_sql(int for_user);

#endif
