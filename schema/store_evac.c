/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* store_evac: data access for evacuations and their member cases. */
#include <stdlib.h>
#include <string.h>

#include "schema/store_evac.h"
#include "schema/store_int.h"

const char *const evac_stage_names[] = {
	"planned", "in_progress", "completed", "aborted", NULL,
};

#define EVAC_COLS "e.id, e.codename, e.stage, e.created_by, e.created_at," \
	" e.updated_at, e.key_version, e.rotate_pending"

static int
row_to_evac(sqlite3_stmt *st, void *out)
{
	struct evac_row *e = out;
	int64_t v;

	memset(e, 0, sizeof(*e));
	store_copy_text(e->id, sizeof(e->id), sqlite3_column_text(st, 0));
	store_copy_text(e->codename, sizeof(e->codename), sqlite3_column_text(st, 1));
	e->stage = store_name_index(evac_stage_names, sqlite3_column_text(st, 2));
	store_copy_text(e->created_by, sizeof(e->created_by),
	    sqlite3_column_text(st, 3));
	e->created_at = sqlite3_column_int64(st, 4);
	e->updated_at = sqlite3_column_int64(st, 5);
	v = sqlite3_column_int64(st, 6);
	e->rotate_pending = sqlite3_column_int(st, 7);
	if (e->stage < 0 || v < 1 || v > UINT32_MAX ||
	    strlen(e->id) != ID_CHARS)
		return STORE_ECORRUPT;
	e->key_version = (uint32_t)v;
	return STORE_OK;
}

static const char SQL_EVAC_INSERT[] =
    "INSERT INTO evacuations (id, codename, stage, created_by, created_at,"
    " updated_at, key_version, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

int
store_evac_insert(struct store *s, const struct evac_row *e,
    const uint8_t *details, size_t details_len)
{
	sqlite3_stmt *st = store_stmt(s, SQL_EVAC_INSERT);

	if (st == NULL)
		return STORE_EIO;
	if (details == NULL || details_len == 0)
		return STORE_ECONFLICT;
	store_bind_text(st, 1, e->id);
	store_bind_text(st, 2, e->codename);
	store_bind_text(st, 3, evac_stage_names[e->stage]);
	store_bind_text(st, 4, e->created_by);
	sqlite3_bind_int64(st, 5, e->created_at);
	sqlite3_bind_int64(st, 6, e->updated_at);
	sqlite3_bind_int64(st, 7, e->key_version);
	store_bind_blob(st, 8, details, details_len);
	return store_step_done(st);
}

static const char SQL_EVAC_GET[] =
    "SELECT " EVAC_COLS " FROM evacuations e WHERE e.id = ?";

int
store_evac_get(struct store *s, const char *id, struct evac_row *e)
{
	return store_get_one(s, SQL_EVAC_GET, id, NULL, row_to_evac, e);
}

static const char SQL_EVAC_DETAILS[] =
    "SELECT details FROM evacuations WHERE id = ?";

struct blob_out {
	uint8_t	**p;
	size_t	 *len;
};

/* details are never empty: an evacuation always has its sealed record */
static int
row_to_details(sqlite3_stmt *st, void *arg)
{
	struct blob_out *o = arg;

	if (sqlite3_column_bytes(st, 0) <= 0)
		return STORE_ECORRUPT;
	return store_dup_blob(st, 0, o->p, o->len);
}

int
store_evac_details(struct store *s, const char *id, uint8_t **ct,
    size_t *ct_len)
{
	struct blob_out o = { ct, ct_len };

	*ct = NULL;
	*ct_len = 0;
	return store_get_one(s, SQL_EVAC_DETAILS, id, NULL, row_to_details, &o);
}

static const char SQL_EVAC_STAGE[] =
    "UPDATE evacuations SET stage = ?, updated_at = ? WHERE id = ?";

int
store_evac_set_stage(struct store *s, const char *id, int stage)
{
	sqlite3_stmt *st = store_stmt(s, SQL_EVAC_STAGE);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, evac_stage_names[stage]);
	sqlite3_bind_int64(st, 2, store_now());
	store_bind_text(st, 3, id);
	return store_step_one(s, st);
}

static const char SQL_EVAC_SET_DETAILS[] =
    "UPDATE evacuations SET details = ?, updated_at = ? WHERE id = ?";

int
store_evac_set_details(struct store *s, const char *id, const uint8_t *ct,
    size_t ct_len)
{
	sqlite3_stmt *st = store_stmt(s, SQL_EVAC_SET_DETAILS);

	if (st == NULL)
		return STORE_EIO;
	if (ct == NULL || ct_len == 0)
		return STORE_ECONFLICT;
	store_bind_blob(st, 1, ct, ct_len);
	sqlite3_bind_int64(st, 2, store_now());
	store_bind_text(st, 3, id);
	return store_step_one(s, st);
}

static const char SQL_EVAC_ROTATED[] =
    "UPDATE evacuations SET key_version = ?, details = ?, rotate_pending = 0"
    " WHERE id = ?";

int
store_evac_set_rotated(struct store *s, const char *id, uint32_t key_version,
    const uint8_t *ct, size_t ct_len)
{
	sqlite3_stmt *st = store_stmt(s, SQL_EVAC_ROTATED);

	if (st == NULL)
		return STORE_EIO;
	if (ct == NULL || ct_len == 0)
		return STORE_ECONFLICT;
	sqlite3_bind_int64(st, 1, key_version);
	store_bind_blob(st, 2, ct, ct_len);
	store_bind_text(st, 3, id);
	return store_step_one(s, st);
}

static const char SQL_EVAC_PENDING[] =
    "UPDATE evacuations SET rotate_pending = 1 WHERE id = ?";

int
store_evac_set_rotate_pending(struct store *s, const char *id)
{
	return store_run_one(s, SQL_EVAC_PENDING, id, NULL);
}

/*
 * Both listings walk the primary-key index of evacuations in id order.
 * A caseworker's membership test is an IN over their own assignments,
 * which SQLite evaluates once into an ephemeral index.
 */
static const char SQL_EVAC_LIST_ALL[] =
    "SELECT " EVAC_COLS " FROM evacuations e WHERE e.id > ?"
    " ORDER BY e.id LIMIT ?";
static const char SQL_EVAC_LIST_USER[] =
    "SELECT " EVAC_COLS " FROM evacuations e WHERE e.id > ? AND e.id IN"
    " (SELECT c.evacuation_id FROM assignments a CROSS JOIN cases c"
    " ON c.id = a.case_id WHERE a.user_id = ? AND c.shredded = 0"
    " AND c.evacuation_id IS NOT NULL)"
    " ORDER BY e.id LIMIT ?";

struct evac_walk {
	int	(*cb)(void *, const struct evac_row *);
	void	*arg;
};

static int
walk_evac(sqlite3_stmt *st, void *arg)
{
	struct evac_walk *w = arg;
	struct evac_row e;
	int rc;

	if ((rc = row_to_evac(st, &e)) != STORE_OK)
		return rc;
	return w->cb(w->arg, &e) != 0 ? STORE_ENOMEM : STORE_OK;
}

int
store_evac_list(struct store *s, const char *user_id, const char *after,
    unsigned limit, int (*cb)(void *, const struct evac_row *), void *arg)
{
	sqlite3_stmt *st = store_stmt(s, user_id ? SQL_EVAC_LIST_USER :
	    SQL_EVAC_LIST_ALL);
	struct evac_walk w = { cb, arg };
	int i = 1;

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, i++, after ? after : "");
	if (user_id != NULL)
		store_bind_text(st, i++, user_id);
	sqlite3_bind_int(st, i, (int)limit);
	return store_each_row(st, walk_evac, &w);
}

static const char SQL_EVAC_CASES[] =
    "SELECT id FROM cases WHERE evacuation_id = ? ORDER BY id";
static const char SQL_EVAC_CASES_USER[] =
    "SELECT c.id FROM cases c JOIN assignments a ON a.case_id = c.id"
    " WHERE c.evacuation_id = ? AND a.user_id = ? ORDER BY c.id";
static const char SQL_EVAC_HOLDERS[] =
    "SELECT DISTINCT a.user_id FROM cases c JOIN assignments a"
    " ON a.case_id = c.id WHERE c.evacuation_id = ? AND c.shredded = 0"
    " ORDER BY a.user_id";
static const char SQL_EVAC_MEMBER[] =
    "SELECT 1 FROM cases c JOIN assignments a ON a.case_id = c.id"
    " WHERE c.evacuation_id = ? AND a.user_id = ? AND c.shredded = 0"
    " LIMIT 1";
int
store_evac_cases(struct store *s, const char *evac_id, const char *user_id,
    struct store_ids *out)
{
	return store_list_ids(s, user_id ? SQL_EVAC_CASES_USER : SQL_EVAC_CASES,
	    evac_id, user_id, out);
}

int
store_evac_holders(struct store *s, const char *evac_id, struct store_ids *out)
{
	return store_list_ids(s, SQL_EVAC_HOLDERS, evac_id, NULL, out);
}

int
store_evac_is_member(struct store *s, const char *evac_id, const char *user_id,
    int *yes)
{
	return store_exists(s, SQL_EVAC_MEMBER, evac_id, user_id, yes);
}
