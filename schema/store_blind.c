/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_blind: blind index rows of cases (see store_blind.h).
 */
#include <string.h>

#include "schema/store_blind.h"
#include "schema/store_int.h"

static const char SQL_BLIND_DEL_CASE[] =
    "DELETE FROM case_blind WHERE case_id = ?";
static const char SQL_BLIND_PUT[] =
    "INSERT OR IGNORE INTO case_blind (kind, value, case_id) VALUES (?, ?, ?)";
static const char SQL_BLIND_MATCH[] =
    "SELECT c.id, c.codename,"
    " CASE WHEN u.role = 'coordinator' AND u.status = 'active'"
    "  THEN u.username ELSE '' END"
    " FROM case_blind b JOIN cases c ON c.id = b.case_id"
    " LEFT JOIN users u ON u.id = c.created_by"
    " WHERE b.kind = ? AND b.value = ? AND c.shredded = 0"
    " ORDER BY c.codename LIMIT ?";
static const char SQL_BLIND_PURGE[] =
    "DELETE FROM case_blind WHERE case_id NOT IN"
    " (SELECT case_id FROM case_blind WHERE kind = 0 AND value = ?)";
static const char SQL_BLIND_UNINDEXED[] =
    "SELECT id FROM cases WHERE shredded = 0 AND id NOT IN"
    " (SELECT case_id FROM case_blind WHERE kind = 0 AND value = ?)"
    " ORDER BY id LIMIT ?";
static const char SQL_BLIND_UNINDEXED_N[] =
    "SELECT count(*) FROM cases WHERE shredded = 0 AND id NOT IN"
    " (SELECT case_id FROM case_blind WHERE kind = 0 AND value = ?)";

int
store_blind_delete_case(struct store *s, const char *case_id)
{
	return store_run_ids(s, SQL_BLIND_DEL_CASE, case_id, NULL);
}

int
store_blind_replace(struct store *s, const char *case_id,
    const struct store_blind *e, size_t n)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_blind_delete_case(s, case_id)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if ((st = store_stmt(s, SQL_BLIND_PUT)) == NULL)
			return STORE_EIO;
		sqlite3_bind_int(st, 1, e[i].kind);
		store_bind_blob(st, 2, e[i].value, STORE_BLIND_BYTES);
		store_bind_text(st, 3, case_id);
		if ((rc = store_step_done(st)) != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

struct match_ctx {
	int	(*fn)(void *, const struct store_blind_match *);
	void	*arg;
};

static int
match_row(sqlite3_stmt *st, void *arg)
{
	struct match_ctx *m = arg;
	struct store_blind_match row;

	store_copy_text(row.case_id, sizeof(row.case_id),
	    sqlite3_column_text(st, 0));
	store_copy_text(row.codename, sizeof(row.codename),
	    sqlite3_column_text(st, 1));
	store_copy_text(row.ask, sizeof(row.ask), sqlite3_column_text(st, 2));
	return m->fn(m->arg, &row) == 0 ? STORE_OK : STORE_ENOMEM;
}

int
store_blind_match(struct store *s, int kind,
    const uint8_t value[STORE_BLIND_BYTES], unsigned limit,
    int (*fn)(void *arg, const struct store_blind_match *m), void *arg)
{
	struct match_ctx m = { fn, arg };
	sqlite3_stmt *st = store_stmt(s, SQL_BLIND_MATCH);

	if (st == NULL)
		return STORE_EIO;
	sqlite3_bind_int(st, 1, kind);
	store_bind_blob(st, 2, value, STORE_BLIND_BYTES);
	sqlite3_bind_int64(st, 3, limit);
	return store_each_row(st, match_row, &m);
}

int
store_blind_purge_stale(struct store *s, const uint8_t check[STORE_BLIND_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, SQL_BLIND_PURGE);

	if (st == NULL)
		return STORE_EIO;
	store_bind_blob(st, 1, check, STORE_BLIND_BYTES);
	return store_step_done(st);
}

int
store_blind_unindexed(struct store *s, const uint8_t check[STORE_BLIND_BYTES],
    unsigned limit, struct store_ids *out, int64_t *remaining)
{
	sqlite3_stmt *st;
	int rc;

	*remaining = 0;
	if ((st = store_stmt(s, SQL_BLIND_UNINDEXED_N)) == NULL)
		return STORE_EIO;
	store_bind_blob(st, 1, check, STORE_BLIND_BYTES);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*remaining = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return STORE_EIO;
	if ((st = store_stmt(s, SQL_BLIND_UNINDEXED)) == NULL)
		return STORE_EIO;
	store_bind_blob(st, 1, check, STORE_BLIND_BYTES);
	sqlite3_bind_int64(st, 2, limit);
	return store_collect_ids(st, out);
}
