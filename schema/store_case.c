/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_case: data access for the cases table: rows, ciphertext fields,
 * rotation and shred marks, paging and the retention sweep's query.
 * Ciphertext goes in and out as opaque bytes; nothing here holds a key.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/store_case.h"
#include "schema/store_int.h"

const char *const case_status_names[] = {
	"intake", "verified", "awaiting_evacuation", "in_transit", "relocated",
	"closed", NULL,
};

const char *const case_risk_names[] = {
	"low", "medium", "high", "critical", NULL,
};


#define CASE_COLS "c.id, c.codename, c.status, c.risk, c.region," \
	" c.household_size, c.created_by, c.created_at, c.updated_at," \
	" c.key_version, c.rotate_pending, c.shredded, c.shredded_at," \
	" c.evacuation_id, c.closed_at"
#define CASE_NCOLS 15

static int
row_to_case(sqlite3_stmt *st, void *out)
{
	struct case_row *c = out;
	int64_t v;

	memset(c, 0, sizeof(*c));
	store_copy_text(c->id, sizeof(c->id), sqlite3_column_text(st, 0));
	store_copy_text(c->codename, sizeof(c->codename), sqlite3_column_text(st, 1));
	c->status = store_name_index(case_status_names, sqlite3_column_text(st, 2));
	c->risk = store_name_index(case_risk_names, sqlite3_column_text(st, 3));
	store_copy_text(c->region, sizeof(c->region), sqlite3_column_text(st, 4));
	c->household_size = sqlite3_column_int(st, 5);
	store_copy_text(c->created_by, sizeof(c->created_by),
	    sqlite3_column_text(st, 6));
	c->created_at = sqlite3_column_int64(st, 7);
	c->updated_at = sqlite3_column_int64(st, 8);
	v = sqlite3_column_int64(st, 9);
	c->rotate_pending = sqlite3_column_int(st, 10);
	c->shredded = sqlite3_column_int(st, 11);
	c->shredded_at = sqlite3_column_int64(st, 12);
	store_copy_text(c->evacuation_id, sizeof(c->evacuation_id),
	    sqlite3_column_text(st, 13));
	c->closed_at = sqlite3_column_int64(st, 14);	/* NULL reads as 0 */
	if (c->status < 0 || c->risk < 0 || v < 1 || v > UINT32_MAX ||
	    strlen(c->id) != ID_CHARS)
		return STORE_ECORRUPT;
	c->key_version = (uint32_t)v;
	return STORE_OK;
}

static const char SQL_CASE_INSERT[] =
    "INSERT INTO cases (id, codename, status, risk, region, household_size,"
    " created_by, created_at, updated_at, key_version, evacuation_id,"
    " person, notes, closed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
    " ?10, NULL, ?11, ?12, CASE WHEN ?3 = 'closed' THEN ?8 END)";

int
store_case_insert(struct store *s, const struct case_row *c,
    const uint8_t *person, size_t person_len, const uint8_t *notes,
    size_t notes_len)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CASE_INSERT);

	if (st == NULL)
		return STORE_EIO;
	if (person == NULL || notes == NULL)
		return STORE_ECONFLICT;
	store_bind_text(st, 1, c->id);
	store_bind_text(st, 2, c->codename);
	store_bind_text(st, 3, case_status_names[c->status]);
	store_bind_text(st, 4, case_risk_names[c->risk]);
	store_bind_text(st, 5, c->region);
	sqlite3_bind_int(st, 6, c->household_size);
	store_bind_text(st, 7, c->created_by);
	sqlite3_bind_int64(st, 8, c->created_at);
	sqlite3_bind_int64(st, 9, c->updated_at);
	sqlite3_bind_int64(st, 10, c->key_version);
	store_bind_blob(st, 11, person, person_len);
	store_bind_blob(st, 12, notes, notes_len);
	return store_step_done(st);
}

static const char SQL_CASE_GET[] =
    "SELECT " CASE_COLS " FROM cases c WHERE c.id = ?";

int
store_case_get(struct store *s, const char *id, struct case_row *c)
{
	return store_get_one(s, SQL_CASE_GET, id, NULL, row_to_case, c);
}

static const char SQL_CASE_CONTENT[] =
    "SELECT person, notes FROM cases WHERE id = ?";

struct content_out {
	uint8_t	**person, **notes;
	size_t	 *person_len, *notes_len;
};

static int
row_to_content(sqlite3_stmt *st, void *arg)
{
	struct content_out *o = arg;
	int rc = store_dup_blob(st, 0, o->person, o->person_len);

	if (rc == STORE_OK)
		rc = store_dup_blob(st, 1, o->notes, o->notes_len);
	if (rc != STORE_OK) {
		free(*o->person);
		*o->person = NULL;
		*o->person_len = 0;
	}
	return rc;
}

int
store_case_content(struct store *s, const char *id, uint8_t **person,
    size_t *person_len, uint8_t **notes, size_t *notes_len)
{
	struct content_out o = { person, notes, person_len, notes_len };

	*person = *notes = NULL;
	*person_len = *notes_len = 0;
	return store_get_one(s, SQL_CASE_CONTENT, id, NULL, row_to_content, &o);
}

/* closed_at follows the status in the same statement (the table's CHECK
 * wants both to agree): set when the case enters 'closed', kept while it
 * stays closed, cleared when it leaves. ?1 is the new status, ?5 now. */
static const char SQL_CASE_META[] =
    "UPDATE cases SET status = ?1, risk = ?2, region = ?3,"
    " household_size = ?4, updated_at = ?5,"
    " closed_at = CASE WHEN ?1 = 'closed' THEN coalesce(closed_at, ?5)"
    " ELSE NULL END"
    " WHERE id = ?6 AND shredded = 0";

int
store_case_update_meta(struct store *s, const struct case_row *c)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CASE_META);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, case_status_names[c->status]);
	store_bind_text(st, 2, case_risk_names[c->risk]);
	store_bind_text(st, 3, c->region);
	sqlite3_bind_int(st, 4, c->household_size);
	sqlite3_bind_int64(st, 5, store_now());
	store_bind_text(st, 6, c->id);
	return store_step_one(s, st);
}

static const char SQL_CASE_SET_PERSON[] =
    "UPDATE cases SET person = ?, updated_at = ? WHERE id = ? AND shredded = 0";
static const char SQL_CASE_SET_NOTES[] =
    "UPDATE cases SET notes = ?, updated_at = ? WHERE id = ? AND shredded = 0";

int
store_case_set_field(struct store *s, const char *id, int field,
    const uint8_t *ct, size_t ct_len)
{
	sqlite3_stmt *st = store_stmt(s, field == CASE_FIELD_PERSON ?
	    SQL_CASE_SET_PERSON : SQL_CASE_SET_NOTES);

	if (st == NULL)
		return STORE_EIO;
	if (ct == NULL)
		return STORE_ECONFLICT;
	store_bind_blob(st, 1, ct, ct_len);
	sqlite3_bind_int64(st, 2, store_now());
	store_bind_text(st, 3, id);
	return store_step_one(s, st);
}

static const char SQL_CASE_ROTATED[] =
    "UPDATE cases SET key_version = ?, person = ?, notes = ?,"
    " rotate_pending = 0 WHERE id = ? AND shredded = 0";

int
store_case_set_rotated(struct store *s, const char *id, uint32_t key_version,
    const uint8_t *person, size_t person_len, const uint8_t *notes,
    size_t notes_len)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CASE_ROTATED);

	if (st == NULL)
		return STORE_EIO;
	if (person == NULL || notes == NULL)
		return STORE_ECONFLICT;
	sqlite3_bind_int64(st, 1, key_version);
	store_bind_blob(st, 2, person, person_len);
	store_bind_blob(st, 3, notes, notes_len);
	store_bind_text(st, 4, id);
	return store_step_one(s, st);
}

static const char SQL_CASE_PENDING[] =
    "UPDATE cases SET rotate_pending = 1 WHERE id = ? AND shredded = 0";

int
store_case_set_rotate_pending(struct store *s, const char *id)
{
	/* not store_run_one: a tombstone has nothing to rotate */
	return store_run_ids(s, SQL_CASE_PENDING, id, NULL);
}

static const char SQL_CASE_SET_EVAC[] =
    "UPDATE cases SET evacuation_id = ?, updated_at = ? WHERE id = ?";

int
store_case_set_evacuation(struct store *s, const char *id,
    const char *evacuation_id)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CASE_SET_EVAC);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, evacuation_id && *evacuation_id ?
	    evacuation_id : NULL);
	sqlite3_bind_int64(st, 2, store_now());
	store_bind_text(st, 3, id);
	return store_step_one(s, st);
}

static const char SQL_CASE_SHRED[] =
    "UPDATE cases SET shredded = 1, shredded_at = ?, updated_at = ?,"
    " person = NULL, notes = NULL, rotate_pending = 0"
    " WHERE id = ? AND shredded = 0";

int
store_case_shred(struct store *s, const char *id)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CASE_SHRED);
	int64_t now = store_now();

	if (st == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, now);
	store_bind_text(st, 3, id);
	return store_step_one(s, st);
}

/* The sweep's listing walks the partial index cases_by_closed_at; the
 * status term is belt and braces (the table's CHECK implies it). */
static const char SQL_CASE_DUE[] =
    "SELECT id FROM cases WHERE closed_at IS NOT NULL AND shredded = 0"
    " AND status = 'closed' AND closed_at <= ? ORDER BY closed_at"
    " LIMIT ?";

const char *
store_case_due_sql(void)
{
	return SQL_CASE_DUE;
}

int
store_case_due(struct store *s, int64_t cutoff, unsigned limit,
    struct store_ids *out)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CASE_DUE);

	if (st == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, cutoff);
	sqlite3_bind_int(st, 2, (int)limit);
	return store_collect_ids(st, out);
}

/*
 * Both listings page by case id through an index, so a page costs
 * O(limit log n) whatever the page number: all cases walk the primary-key
 * index of cases; a caseworker's walk the (user_id, case_id) primary key of
 * assignments (CROSS JOIN pins that order). Both read the case's columns
 * from the covering index cases_list (schema/0012_case_list_index.sql),
 * never from the table: ids are random and rows sit in insertion order, so
 * the table would cost one page read (and decryption) per listed case;
 * INDEXED BY pins it, since for an equality lookup the planner would
 * otherwise take the primary key's index. The assignees come from the
 * assignments_by_case index. The filters are fixed text with NULL
 * binds for "any", so each listing stays one static statement:
 * ?1 after, ?2 limit, ?3 status, ?4 risk, ?5 region, ?6 user.
 */
#define CASE_LIST_FILTER \
    " AND (?3 IS NULL OR c.status = ?3) AND (?4 IS NULL OR c.risk = ?4)" \
    " AND (?5 IS NULL OR c.region = ?5)"
static const char SQL_CASE_LIST_ALL[] =
    "SELECT " CASE_COLS ", (SELECT group_concat(b.user_id) FROM assignments b"
    " WHERE b.case_id = c.id)"
    " FROM cases c INDEXED BY cases_list WHERE c.id > ?1" CASE_LIST_FILTER
    " ORDER BY c.id LIMIT ?2";
static const char SQL_CASE_LIST_USER[] =
    "SELECT " CASE_COLS ", (SELECT group_concat(b.user_id) FROM assignments b"
    " WHERE b.case_id = c.id)"
    " FROM assignments a CROSS JOIN cases c INDEXED BY cases_list"
    " ON c.id = a.case_id"
    " WHERE a.user_id = ?6 AND a.case_id > ?1" CASE_LIST_FILTER
    " ORDER BY a.case_id LIMIT ?2";

const char *
store_case_list_sql(int for_user)
{
	return for_user ? SQL_CASE_LIST_USER : SQL_CASE_LIST_ALL;
}

struct case_walk {
	int	(*cb)(void *, const struct case_row *, const char *);
	void	*arg;
};

static int
walk_case(sqlite3_stmt *st, void *arg)
{
	struct case_walk *w = arg;
	const unsigned char *a = sqlite3_column_text(st, CASE_NCOLS);
	struct case_row c;
	int rc;

	if ((rc = row_to_case(st, &c)) != STORE_OK)
		return rc;
	return w->cb(w->arg, &c, a ? (const char *)a : "") != 0 ?
	    STORE_ENOMEM : STORE_OK;
}

int
store_case_list(struct store *s, const char *user_id, const char *after,
    const struct case_filter *f, unsigned limit,
    int (*cb)(void *, const struct case_row *, const char *), void *arg)
{
	static const struct case_filter none = { NULL, NULL, NULL };
	sqlite3_stmt *st = store_stmt(s, store_case_list_sql(user_id != NULL));
	struct case_walk w = { cb, arg };

	if (st == NULL)
		return STORE_EIO;
	if (f == NULL)
		f = &none;
	store_bind_text(st, 1, after ? after : "");
	sqlite3_bind_int(st, 2, (int)limit);
	store_bind_text(st, 3, f->status);
	store_bind_text(st, 4, f->risk);
	store_bind_text(st, 5, f->region);
	if (user_id != NULL)
		store_bind_text(st, 6, user_id);
	return store_each_row(st, walk_case, &w);
}
