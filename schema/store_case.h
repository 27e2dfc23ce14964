/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_case: data access for cases, their assignments, their contact
 * entries and the key wraps of cases and evacuations. Rows here hold plain
 * metadata and opaque ciphertext only: nothing in this file encrypts,
 * decrypts or sees a key (server/casefile.c does). Prepared statements
 * only. Functions return a store_err unless said otherwise.
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

/* A growable list of ids (cases, users, evacuations). Free with
 * store_ids_free; a zeroed struct is an empty list. */
struct store_ids {
	char	(*id)[ID_CHARS + 1];
	size_t	 n;
	size_t	 cap;
};

int store_ids_push(struct store_ids *l, const char *id);
/* 1 if id is in l. */
int store_ids_has(const struct store_ids *l, const char *id);
void store_ids_free(struct store_ids *l);

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

/*
 * One page of cases in id order, strictly after `after` ("" for the first
 * page), at most limit rows: all cases (user_id NULL) or those assigned to
 * user_id. cb gets each row and its assignees as a comma-separated list of
 * user ids ("" for none); it returns 0 to go on. Both listings walk an
 * index in order (no sort, no OFFSET), see store_case_list_sql.
 */
int store_case_list(struct store *s, const char *user_id, const char *after,
    unsigned limit, int (*cb)(void *arg, const struct case_row *c,
    const char *assignees), void *arg);

/* The SQL text behind store_case_list, for the query-plan test. */
const char *store_case_list_sql(int for_user);

/* --- assignments ------------------------------------------------------------ */

/* STORE_ECONFLICT if already assigned. */
int store_assign_put(struct store *s, const char *case_id, const char *user_id,
    const char *assigned_by);
/* STORE_ENOTFOUND if not assigned. */
int store_assign_delete(struct store *s, const char *case_id,
    const char *user_id);
int store_assign_delete_user(struct store *s, const char *user_id);
/* *yes = 1 if user_id is assigned to case_id. */
int store_assign_exists(struct store *s, const char *case_id,
    const char *user_id, int *yes);
/* Append the assignees of case_id (user id order) to out. */
int store_assign_users(struct store *s, const char *case_id,
    struct store_ids *out);
/* Append the cases assigned to user_id to out. */
int store_assign_cases(struct store *s, const char *user_id,
    struct store_ids *out);

/* --- key wraps (cases and evacuations) -------------------------------------- */

enum store_key_kind { STORE_KEY_CASE = 0, STORE_KEY_EVAC = 1 };

/* Insert or replace the wrap of object_id for recipient_id ('org' or a
 * user id). */
int store_key_put(struct store *s, int kind, const char *object_id,
    const char *recipient_id, uint32_t key_version, const uint8_t *sealed,
    size_t sealed_len);
/* The wrap into out (out_max bytes). STORE_ENOTFOUND if none. */
int store_key_get(struct store *s, int kind, const char *object_id,
    const char *recipient_id, uint8_t *out, size_t out_max, size_t *out_len,
    uint32_t *key_version);
int store_key_delete(struct store *s, int kind, const char *object_id,
    const char *recipient_id);
int store_key_delete_all(struct store *s, int kind, const char *object_id);
int store_key_delete_recipient(struct store *s, int kind,
    const char *recipient_id);
/* Append the recipients holding a wrap of object_id (including 'org'). */
int store_key_recipients(struct store *s, int kind, const char *object_id,
    struct store_ids *out);
/* Append the objects recipient_id holds a wrap of. */
int store_key_objects(struct store *s, int kind, const char *recipient_id,
    struct store_ids *out);

/* --- contacts ---------------------------------------------------------------- */

struct contact_row {
	char		 id[ID_CHARS + 1];
	char		 case_id[ID_CHARS + 1];
	char		 author_id[ID_CHARS + 1];
	int64_t		 created_at;
	const uint8_t	*entry;		/* ciphertext; see each function */
	size_t		 entry_len;
};

int store_contact_insert(struct store *s, const struct contact_row *c);
/*
 * *n = how many contacts case_id holds, as kept by the triggers of
 * schema/0005_contact_count.sql: one primary-key lookup in contact_counts,
 * whatever the number. Read it in the transaction that acts on it.
 * STORE_ECORRUPT if the case has no count (every case gets one when it is
 * inserted, so the case is missing or the database is damaged).
 */
int store_contact_count(struct store *s, const char *case_id, int64_t *n);
/* Each contact of case_id in storage order; entry is valid only during
 * the call. cb returns 0 to go on. */
int store_contact_each(struct store *s, const char *case_id,
    int (*cb)(void *arg, const struct contact_row *c), void *arg);
/* Append the ids of case_id's contacts to out. */
int store_contact_ids(struct store *s, const char *case_id,
    struct store_ids *out);
/* The entry ciphertext of contact id (of case_id) as a malloc'd copy;
 * free with free(). */
int store_contact_entry(struct store *s, const char *case_id, const char *id,
    uint8_t **ct, size_t *ct_len);
int store_contact_set_entry(struct store *s, const char *id,
    const uint8_t *ct, size_t ct_len);
int store_contact_delete_case(struct store *s, const char *case_id);

#endif
