/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_contact: the contact log of a case (contacts table), one
 * encrypted entry a row, with the per-case count kept by triggers
 * (schema/0005_contact_count.sql). Functions return a store_err unless
 * said otherwise.
 */
#ifndef CORRIDOR_STORE_CONTACT_H
#define CORRIDOR_STORE_CONTACT_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"

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
