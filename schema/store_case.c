/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_case: data access for cases, assignments, contact entries and the
 * key wraps of cases and evacuations. Ciphertext goes in and out as opaque
 * bytes; nothing here holds a key.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/store_case.h"

const char *const case_status_names[] = {
	"intake", "verified", "awaiting_evacuation", "in_transit", "relocated",
	"closed", NULL,
};

const char *const case_risk_names[] = {
	"low", "medium", "high", "critical", NULL,
};

static int
name_index(const char *const *names, const unsigned char *s)
{
	if (s == NULL)
		return -1;
	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], (const char *)s) == 0)
			return i;
	return -1;
}

static void
copy_text(char *dst, size_t dst_len, const unsigned char *src)
{
	size_t n = src ? strlen((const char *)src) : 0;

	if (n >= dst_len)
		n = dst_len - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static int
step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store_err_from_sqlite(rc);
}

/* step_done, then STORE_ENOTFOUND unless exactly one row changed. */
static int
step_one(struct store *s, sqlite3_stmt *st)
{
	int rc = step_done(st);

	if (rc != STORE_OK)
		return rc;
	return sqlite3_changes(store_db(s)) == 1 ? STORE_OK : STORE_ENOTFOUND;
}

static void
bind_blob(sqlite3_stmt *st, int i, const uint8_t *p, size_t len)
{
	if (p == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_blob(st, i, len ? p : (const uint8_t *)"", (int)len,
		    SQLITE_TRANSIENT);
}

/* --- id lists -------------------------------------------------------------- */

int
store_ids_push(struct store_ids *l, const char *id)
{
	size_t n = strlen(id);

	if (n != ID_CHARS)
		return STORE_ECORRUPT;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *p;

		if (cap > SIZE_MAX / sizeof(*l->id) ||
		    (p = realloc(l->id, cap * sizeof(*l->id))) == NULL)
			return STORE_ENOMEM;
		l->id = p;
		l->cap = cap;
	}
	memcpy(l->id[l->n], id, n + 1);
	l->n++;
	return STORE_OK;
}

int
store_ids_has(const struct store_ids *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->id[i], id) == 0)
			return 1;
	return 0;
}

void
store_ids_free(struct store_ids *l)
{
	if (l == NULL)
		return;
	free(l->id);
	memset(l, 0, sizeof(*l));
}

/* Run st (bound by the caller) and append column 0 of each row to out. */
static int
collect_ids(sqlite3_stmt *st, struct store_ids *out)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(st, 0);

		if (id == NULL ||
		    (rc = store_ids_push(out, (const char *)id)) != STORE_OK) {
			sqlite3_reset(st);
			return id == NULL ? STORE_ECORRUPT : rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store_err_from_sqlite(rc);
}

/* --- cases ------------------------------------------------------------------ */

#define CASE_COLS "c.id, c.codename, c.status, c.risk, c.region," \
	" c.household_size, c.created_by, c.created_at, c.updated_at," \
	" c.key_version, c.rotate_pending, c.shredded, c.shredded_at," \
	" c.evacuation_id, c.closed_at"
#define CASE_NCOLS 15

static int
row_to_case(sqlite3_stmt *st, struct case_row *c)
{
	int64_t v;

	memset(c, 0, sizeof(*c));
	copy_text(c->id, sizeof(c->id), sqlite3_column_text(st, 0));
	copy_text(c->codename, sizeof(c->codename), sqlite3_column_text(st, 1));
	c->status = name_index(case_status_names, sqlite3_column_text(st, 2));
	c->risk = name_index(case_risk_names, sqlite3_column_text(st, 3));
	copy_text(c->region, sizeof(c->region), sqlite3_column_text(st, 4));
	c->household_size = sqlite3_column_int(st, 5);
	copy_text(c->created_by, sizeof(c->created_by),
	    sqlite3_column_text(st, 6));
	c->created_at = sqlite3_column_int64(st, 7);
	c->updated_at = sqlite3_column_int64(st, 8);
	v = sqlite3_column_int64(st, 9);
	c->rotate_pending = sqlite3_column_int(st, 10);
	c->shredded = sqlite3_column_int(st, 11);
	c->shredded_at = sqlite3_column_int64(st, 12);
	copy_text(c->evacuation_id, sizeof(c->evacuation_id),
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
	bind_blob(st, 11, person, person_len);
	bind_blob(st, 12, notes, notes_len);
	return step_done(st);
}

static const char SQL_CASE_GET[] =
    "SELECT " CASE_COLS " FROM cases c WHERE c.id = ?";

int
store_case_get(struct store *s, const char *id, struct case_row *c)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CASE_GET);
	int rc;

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = row_to_case(st, c);
	else if (rc == SQLITE_DONE)
		rc = STORE_ENOTFOUND;
	else
		rc = store_err_from_sqlite(rc);
	sqlite3_reset(st);
	return rc;
}

/* Copy blob column i into a fresh malloc'd buffer (NULL for SQL NULL). */
static int
dup_blob(sqlite3_stmt *st, int i, uint8_t **out, size_t *out_len)
{
	const void *p = sqlite3_column_blob(st, i);
	int n = sqlite3_column_bytes(st, i);

	*out = NULL;
	*out_len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return STORE_OK;
	if (n < 0)
		return STORE_ECORRUPT;
	if ((*out = malloc(n > 0 ? (size_t)n : 1)) == NULL)
		return STORE_ENOMEM;
	if (n > 0)
		memcpy(*out, p, (size_t)n);
	*out_len = (size_t)n;
	return STORE_OK;
}

static const char SQL_CASE_CONTENT[] =
    "SELECT person, notes FROM cases WHERE id = ?";

int
store_case_content(struct store *s, const char *id, uint8_t **person,
    size_t *person_len, uint8_t **notes, size_t *notes_len)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CASE_CONTENT);
	int rc;

	*person = *notes = NULL;
	*person_len = *notes_len = 0;
	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = dup_blob(st, 0, person, person_len);
		if (rc == STORE_OK)
			rc = dup_blob(st, 1, notes, notes_len);
		if (rc != STORE_OK) {
			free(*person);
			*person = NULL;
			*person_len = 0;
		}
	} else if (rc == SQLITE_DONE) {
		rc = STORE_ENOTFOUND;
	} else {
		rc = store_err_from_sqlite(rc);
	}
	sqlite3_reset(st);
	return rc;
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
	return step_one(s, st);
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
	bind_blob(st, 1, ct, ct_len);
	sqlite3_bind_int64(st, 2, store_now());
	store_bind_text(st, 3, id);
	return step_one(s, st);
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
	bind_blob(st, 2, person, person_len);
	bind_blob(st, 3, notes, notes_len);
	store_bind_text(st, 4, id);
	return step_one(s, st);
}

static const char SQL_CASE_PENDING[] =
    "UPDATE cases SET rotate_pending = 1 WHERE id = ? AND shredded = 0";

int
store_case_set_rotate_pending(struct store *s, const char *id)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CASE_PENDING);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, id);
	return step_done(st);	/* a tombstone has nothing to rotate */
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
	return step_one(s, st);
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
	return step_one(s, st);
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
	return collect_ids(st, out);
}

/*
 * Both listings page by case id through an index, so a page costs
 * O(limit log n) whatever the page number: all cases walk the primary-key
 * index of cases; a caseworker's walk the (user_id, case_id) primary key of
 * assignments (CROSS JOIN pins that order). The assignees come from the
 * assignments_by_case index.
 */
static const char SQL_CASE_LIST_ALL[] =
    "SELECT " CASE_COLS ", (SELECT group_concat(b.user_id) FROM assignments b"
    " WHERE b.case_id = c.id)"
    " FROM cases c WHERE c.id > ? ORDER BY c.id LIMIT ?";
static const char SQL_CASE_LIST_USER[] =
    "SELECT " CASE_COLS ", (SELECT group_concat(b.user_id) FROM assignments b"
    " WHERE b.case_id = c.id)"
    " FROM assignments a CROSS JOIN cases c ON c.id = a.case_id"
    " WHERE a.user_id = ? AND a.case_id > ? ORDER BY a.case_id LIMIT ?";

const char *
store_case_list_sql(int for_user)
{
	return for_user ? SQL_CASE_LIST_USER : SQL_CASE_LIST_ALL;
}

int
store_case_list(struct store *s, const char *user_id, const char *after,
    unsigned limit, int (*cb)(void *, const struct case_row *, const char *),
    void *arg)
{
	sqlite3_stmt *st = store_stmt(s, store_case_list_sql(user_id != NULL));
	struct case_row c;
	int rc, i = 1;

	if (st == NULL)
		return STORE_EIO;
	if (user_id != NULL)
		store_bind_text(st, i++, user_id);
	store_bind_text(st, i++, after ? after : "");
	sqlite3_bind_int(st, i, (int)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *a = sqlite3_column_text(st, CASE_NCOLS);

		if ((rc = row_to_case(st, &c)) != STORE_OK)
			break;
		if (cb(arg, &c, a ? (const char *)a : "") != 0) {
			rc = STORE_ENOMEM;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return STORE_OK;
	return rc < 0 ? rc : store_err_from_sqlite(rc);
}

/* --- assignments -------------------------------------------------------------- */

static const char SQL_ASSIGN_PUT[] =
    "INSERT INTO assignments (user_id, case_id, assigned_by, created_at)"
    " VALUES (?, ?, ?, ?)";
static const char SQL_ASSIGN_DEL[] =
    "DELETE FROM assignments WHERE user_id = ? AND case_id = ?";
static const char SQL_ASSIGN_DEL_USER[] =
    "DELETE FROM assignments WHERE user_id = ?";
static const char SQL_ASSIGN_EXISTS[] =
    "SELECT 1 FROM assignments WHERE user_id = ? AND case_id = ?";
static const char SQL_ASSIGN_USERS[] =
    "SELECT user_id FROM assignments WHERE case_id = ? ORDER BY user_id";
static const char SQL_ASSIGN_CASES[] =
    "SELECT case_id FROM assignments WHERE user_id = ? ORDER BY case_id";

int
store_assign_put(struct store *s, const char *case_id, const char *user_id,
    const char *assigned_by)
{
	sqlite3_stmt *st = store_stmt(s, SQL_ASSIGN_PUT);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	store_bind_text(st, 2, case_id);
	store_bind_text(st, 3, assigned_by);
	sqlite3_bind_int64(st, 4, store_now());
	return step_done(st);
}

int
store_assign_delete(struct store *s, const char *case_id, const char *user_id)
{
	sqlite3_stmt *st = store_stmt(s, SQL_ASSIGN_DEL);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	store_bind_text(st, 2, case_id);
	return step_one(s, st);
}

int
store_assign_delete_user(struct store *s, const char *user_id)
{
	sqlite3_stmt *st = store_stmt(s, SQL_ASSIGN_DEL_USER);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	return step_done(st);
}

int
store_assign_exists(struct store *s, const char *case_id, const char *user_id,
    int *yes)
{
	sqlite3_stmt *st = store_stmt(s, SQL_ASSIGN_EXISTS);
	int rc;

	*yes = 0;
	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	store_bind_text(st, 2, case_id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		*yes = 1;
		return STORE_OK;
	}
	return rc == SQLITE_DONE ? STORE_OK : store_err_from_sqlite(rc);
}

int
store_assign_users(struct store *s, const char *case_id, struct store_ids *out)
{
	sqlite3_stmt *st = store_stmt(s, SQL_ASSIGN_USERS);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, case_id);
	return collect_ids(st, out);
}

int
store_assign_cases(struct store *s, const char *user_id, struct store_ids *out)
{
	sqlite3_stmt *st = store_stmt(s, SQL_ASSIGN_CASES);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	return collect_ids(st, out);
}

/* --- key wraps ------------------------------------------------------------------ */

/* One SQL text per kind: [STORE_KEY_CASE], [STORE_KEY_EVAC]. */
static const char SQL_CKEY_PUT[] =
    "INSERT OR REPLACE INTO case_keys (case_id, recipient_id, key_version,"
    " sealed) VALUES (?, ?, ?, ?)";
static const char SQL_EKEY_PUT[] =
    "INSERT OR REPLACE INTO evac_keys (evacuation_id, recipient_id,"
    " key_version, sealed) VALUES (?, ?, ?, ?)";
static const char SQL_CKEY_GET[] =
    "SELECT sealed, key_version FROM case_keys"
    " WHERE case_id = ? AND recipient_id = ?";
static const char SQL_EKEY_GET[] =
    "SELECT sealed, key_version FROM evac_keys"
    " WHERE evacuation_id = ? AND recipient_id = ?";
static const char SQL_CKEY_DEL[] =
    "DELETE FROM case_keys WHERE case_id = ? AND recipient_id = ?";
static const char SQL_EKEY_DEL[] =
    "DELETE FROM evac_keys WHERE evacuation_id = ? AND recipient_id = ?";
static const char SQL_CKEY_DEL_ALL[] =
    "DELETE FROM case_keys WHERE case_id = ?";
static const char SQL_EKEY_DEL_ALL[] =
    "DELETE FROM evac_keys WHERE evacuation_id = ?";
static const char SQL_CKEY_DEL_RCPT[] =
    "DELETE FROM case_keys WHERE recipient_id = ?";
static const char SQL_EKEY_DEL_RCPT[] =
    "DELETE FROM evac_keys WHERE recipient_id = ?";
static const char SQL_CKEY_RCPTS[] =
    "SELECT recipient_id FROM case_keys WHERE case_id = ?"
    " ORDER BY recipient_id";
static const char SQL_EKEY_RCPTS[] =
    "SELECT recipient_id FROM evac_keys WHERE evacuation_id = ?"
    " ORDER BY recipient_id";
static const char SQL_CKEY_OBJS[] =
    "SELECT case_id FROM case_keys WHERE recipient_id = ? ORDER BY case_id";
static const char SQL_EKEY_OBJS[] =
    "SELECT evacuation_id FROM evac_keys WHERE recipient_id = ?"
    " ORDER BY evacuation_id";

static sqlite3_stmt *
kstmt(struct store *s, int kind, const char *csql, const char *esql)
{
	return store_stmt(s, kind == STORE_KEY_EVAC ? esql : csql);
}

int
store_key_put(struct store *s, int kind, const char *object_id,
    const char *recipient_id, uint32_t key_version, const uint8_t *sealed,
    size_t sealed_len)
{
	sqlite3_stmt *st = kstmt(s, kind, SQL_CKEY_PUT, SQL_EKEY_PUT);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, object_id);
	store_bind_text(st, 2, recipient_id);
	sqlite3_bind_int64(st, 3, key_version);
	bind_blob(st, 4, sealed, sealed_len);
	return step_done(st);
}

int
store_key_get(struct store *s, int kind, const char *object_id,
    const char *recipient_id, uint8_t *out, size_t out_max, size_t *out_len,
    uint32_t *key_version)
{
	sqlite3_stmt *st = kstmt(s, kind, SQL_CKEY_GET, SQL_EKEY_GET);
	int rc, n;
	int64_t v;

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, object_id);
	store_bind_text(st, 2, recipient_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		n = sqlite3_column_bytes(st, 0);
		v = sqlite3_column_int64(st, 1);
		if (n <= 0 || (size_t)n > out_max || v < 1 || v > UINT32_MAX) {
			rc = STORE_ECORRUPT;
		} else {
			memcpy(out, sqlite3_column_blob(st, 0), (size_t)n);
			*out_len = (size_t)n;
			*key_version = (uint32_t)v;
			rc = STORE_OK;
		}
	} else if (rc == SQLITE_DONE) {
		rc = STORE_ENOTFOUND;
	} else {
		rc = store_err_from_sqlite(rc);
	}
	sqlite3_reset(st);
	return rc;
}

int
store_key_delete(struct store *s, int kind, const char *object_id,
    const char *recipient_id)
{
	sqlite3_stmt *st = kstmt(s, kind, SQL_CKEY_DEL, SQL_EKEY_DEL);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, object_id);
	store_bind_text(st, 2, recipient_id);
	return step_done(st);
}

int
store_key_delete_all(struct store *s, int kind, const char *object_id)
{
	sqlite3_stmt *st = kstmt(s, kind, SQL_CKEY_DEL_ALL, SQL_EKEY_DEL_ALL);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, object_id);
	return step_done(st);
}

int
store_key_delete_recipient(struct store *s, int kind, const char *recipient_id)
{
	sqlite3_stmt *st = kstmt(s, kind, SQL_CKEY_DEL_RCPT, SQL_EKEY_DEL_RCPT);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, recipient_id);
	return step_done(st);
}

int
store_key_recipients(struct store *s, int kind, const char *object_id,
    struct store_ids *out)
{
	sqlite3_stmt *st = kstmt(s, kind, SQL_CKEY_RCPTS, SQL_EKEY_RCPTS);
	int rc;

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, object_id);
	/* 'org' is not an id: collect by hand */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(st, 0);

		if (id == NULL)
			continue;
		if (strcmp((const char *)id, "org") == 0)
			continue;
		if ((rc = store_ids_push(out, (const char *)id)) != STORE_OK) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store_err_from_sqlite(rc);
}

int
store_key_objects(struct store *s, int kind, const char *recipient_id,
    struct store_ids *out)
{
	sqlite3_stmt *st = kstmt(s, kind, SQL_CKEY_OBJS, SQL_EKEY_OBJS);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, recipient_id);
	return collect_ids(st, out);
}

/* --- contacts ---------------------------------------------------------------------- */

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
	bind_blob(st, 5, c->entry, c->entry_len);
	return step_done(st);
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
		copy_text(c.id, sizeof(c.id), sqlite3_column_text(st, 0));
		copy_text(c.case_id, sizeof(c.case_id),
		    sqlite3_column_text(st, 1));
		copy_text(c.author_id, sizeof(c.author_id),
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
	return collect_ids(st, out);
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
		rc = dup_blob(st, 0, ct, ct_len);
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
	bind_blob(st, 1, ct, ct_len);
	store_bind_text(st, 2, id);
	return step_one(s, st);
}

int
store_contact_delete_case(struct store *s, const char *case_id)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CONTACT_DEL_CASE);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, case_id);
	return step_done(st);
}
