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

int
store_contact_count(struct store *s, const char *case_id, int64_t *n)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CONTACT_COUNT);
	int rc;

	*n = 0;
	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, case_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		rc = *n >= 0 ? STORE_OK : STORE_ECORRUPT;
	} else if (rc == SQLITE_DONE) {
		rc = STORE_ECORRUPT;	/* every case has its row */
	} else {
		rc = store_err_from_sqlite(rc);
	}
	sqlite3_reset(st);
	return rc;
}

int
store_contact_each(struct store *s, const char *case_id,
    int (*cb)(void *, const struct contact_row *), void *arg)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CONTACT_EACH);
	struct contact_row c;
	int rc, n;

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, case_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&c, 0, sizeof(c));
		store_copy_text(c.id, sizeof(c.id), sqlite3_column_text(st, 0));
		store_copy_text(c.case_id, sizeof(c.case_id),
		    sqlite3_column_text(st, 1));
		store_copy_text(c.author_id, sizeof(c.author_id),
		    sqlite3_column_text(st, 2));
		c.created_at = sqlite3_column_int64(st, 3);
		c.entry = sqlite3_column_blob(st, 4);
		n = sqlite3_column_bytes(st, 4);
		if (c.entry == NULL || n <= 0) {
			rc = STORE_ECORRUPT;
			break;
		}
		c.entry_len = (size_t)n;
		if (cb(arg, &c) != 0) {
			rc = STORE_ENOMEM;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return STORE_OK;
	return rc < 0 ? rc : store_err_from_sqlite(rc);
}

int
store_contact_ids(struct store *s, const char *case_id, struct store_ids *out)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CONTACT_IDS);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, case_id);
	return store_collect_ids(st, out);
}

int
store_contact_entry(struct store *s, const char *case_id, const char *id,
    uint8_t **ct, size_t *ct_len)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CONTACT_ENTRY);
	int rc;

	*ct = NULL;
	*ct_len = 0;
	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, case_id);
	store_bind_text(st, 2, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = store_dup_blob(st, 0, ct, ct_len);
		if (rc == STORE_OK && *ct == NULL)
			rc = STORE_ECORRUPT;
	} else if (rc == SQLITE_DONE) {
		rc = STORE_ENOTFOUND;
	} else {
		rc = store_err_from_sqlite(rc);
	}
	sqlite3_reset(st);
	return rc;
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
	sqlite3_stmt *st = store_stmt(s, SQL_CONTACT_DEL_CASE);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, case_id);
	return store_step_done(st);
}
