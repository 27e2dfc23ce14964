/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_assign: the assignments table, which caseworker works on which
 * case. Nothing here holds a key.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/store_assign.h"
#include "schema/store_int.h"

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
	return store_step_done(st);
}

int
store_assign_delete(struct store *s, const char *case_id, const char *user_id)
{
	return store_run_one(s, SQL_ASSIGN_DEL, user_id, case_id);
}

int
store_assign_delete_user(struct store *s, const char *user_id)
{
	return store_run_ids(s, SQL_ASSIGN_DEL_USER, user_id, NULL);
}

int
store_assign_exists(struct store *s, const char *case_id, const char *user_id,
    int *yes)
{
	return store_exists(s, SQL_ASSIGN_EXISTS, user_id, case_id, yes);
}

int
store_assign_users(struct store *s, const char *case_id, struct store_ids *out)
{
	return store_list_ids(s, SQL_ASSIGN_USERS, case_id, NULL, out);
}

int
store_assign_cases(struct store *s, const char *user_id, struct store_ids *out)
{
	return store_list_ids(s, SQL_ASSIGN_CASES, user_id, NULL, out);
}
