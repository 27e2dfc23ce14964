/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_contact: a case's contact log, one encrypted entry a row, and
 * the per-case count that schema/0005_contact_count.sql's triggers keep.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/store_contact.h"
#include "schema/store_int.h"

static const char SQL_CONTACT_INSERT[] =
    "INSERT INTO contacts (id, case_id, author_id, created_at, entry)"
    " VALUES (?, ?, ?, ?, ?)";
/* kept by triggers (schema/0005_contact_count.sql): one primary-key
 * lookup, not a walk over the case's entries in contacts_by_case */
static const char SQL_CONTACT_COUNT[] =
    "SELECT contact_count FROM contact_counts WHERE case_id = ?";
static const char SQL_CONTACT_EACH[] =
    "SELECT id, case_id, author_id, created_at, entry FROM contacts"
    " WHERE case_id = ? ORDER BY created_at, id";
static const char SQL_CONTACT_IDS[] =
    "SELECT id FROM contacts WHERE case_id = ? ORDER BY id";
static const char SQL_CONTACT_ENTRY[] =
    "SELECT entry FROM contacts WHERE case_id = ? AND id = ?";
static const char SQL_CONTACT_SET[] =
    "UPDATE contacts SET entry = ? WHERE id = ?";
static const char SQL_CONTACT_DEL_CASE[] =
    "DELETE FROM contacts WHERE case_id = ?";

int
store_contact_insert(struct store *s, const struct contact_row *c)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CONTACT_INSERT);

	if (st == NULL)
		return STORE_EIO;
	if (c->entry == NULL)
		return STORE_ECONFLICT;
	store_bind_text(st, 1, c->id);
	store_bind_text(st, 2, c->case_id);
	store_bind_text(st, 3, c->author_id);
	sqlite3_bind_int64(st, 4, c->created_at);
	store_bind_blob(st, 5, c->entry, c->entry_len);
	return store_step_done(st);
}

static int
row_to_count(sqlite3_stmt *st, void *n)
{
	*(int64_t *)n = sqlite3_column_int64(st, 0);
	return *(int64_t *)n >= 0 ? STORE_OK : STORE_ECORRUPT;
}

int
store_contact_count(struct store *s, const char *case_id, int64_t *n)
{
	int rc;

	*n = 0;
	rc = store_get_one(s, SQL_CONTACT_COUNT, case_id, NULL, row_to_count, n);
	/* every case has its row */
	return rc == STORE_ENOTFOUND ? STORE_ECORRUPT : rc;
}

struct contact_walk {
	int	(*cb)(void *, const struct contact_row *);
	void	*arg;
};

static int
row_to_contact(sqlite3_stmt *st, void *arg)
{
	struct contact_walk *w = arg;
	struct contact_row c;
	int n;

	memset(&c, 0, sizeof(c));
	store_copy_text(c.id, sizeof(c.id), sqlite3_column_text(st, 0));
	store_copy_text(c.case_id, sizeof(c.case_id), sqlite3_column_text(st, 1));
	store_copy_text(c.author_id, sizeof(c.author_id),
	    sqlite3_column_text(st, 2));
	c.created_at = sqlite3_column_int64(st, 3);
	c.entry = sqlite3_column_blob(st, 4);
	n = sqlite3_column_bytes(st, 4);
	if (c.entry == NULL || n <= 0)
		return STORE_ECORRUPT;
	c.entry_len = (size_t)n;
	return w->cb(w->arg, &c) != 0 ? STORE_ENOMEM : STORE_OK;
}

int
store_contact_each(struct store *s, const char *case_id,
    int (*cb)(void *, const struct contact_row *), void *arg)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CONTACT_EACH);
	struct contact_walk w = { cb, arg };

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, case_id);
	return store_each_row(st, row_to_contact, &w);
}

int
store_contact_ids(struct store *s, const char *case_id, struct store_ids *out)
{
	return store_list_ids(s, SQL_CONTACT_IDS, case_id, NULL, out);
}

struct blob_out {
	uint8_t	**p;
	size_t	 *len;
};

static int
row_to_entry(sqlite3_stmt *st, void *arg)
{
	struct blob_out *o = arg;
	int rc = store_dup_blob(st, 0, o->p, o->len);

	return rc == STORE_OK && *o->p == NULL ? STORE_ECORRUPT : rc;
}

int
store_contact_entry(struct store *s, const char *case_id, const char *id,
    uint8_t **ct, size_t *ct_len)
{
	struct blob_out o = { ct, ct_len };

	*ct = NULL;
	*ct_len = 0;
	return store_get_one(s, SQL_CONTACT_ENTRY, case_id, id, row_to_entry,
	    &o);
}

int
store_contact_set_entry(struct store *s, const char *id, const uint8_t *ct,
    size_t ct_len)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CONTACT_SET);

	if (st == NULL)
		return STORE_EIO;
	if (ct == NULL)
		return STORE_ECONFLICT;
	store_bind_blob(st, 1, ct, ct_len);
	store_bind_text(st, 2, id);
	return store_step_one(s, st);
}

int
store_contact_delete_case(struct store *s, const char *case_id)
{
	return store_run_ids(s, SQL_CONTACT_DEL_CASE, case_id, NULL);
}
