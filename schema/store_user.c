/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* store_user: data access for users and org key grants. */
#include <string.h>

#include "schema/store_user.h"
#include "schema/store_int.h"

static const char *const role_names[] = {
	[ROLE_NONE] = "anonymous",
	[ROLE_ADMIN] = "admin",
	[ROLE_COORDINATOR] = "coordinator",
	[ROLE_CASEWORKER] = "caseworker",
	[ROLE_AUDITOR] = "auditor",
};

static const char *const status_names[] = {
	[USER_ACTIVE] = "active",
	[USER_PENDING] = "pending",
	[USER_DISABLED] = "disabled",
	[USER_REVOKED] = "revoked",
};

const char *
role_name(int role)
{
	if (role < ROLE_NONE || role > ROLE_AUDITOR)
		return "anonymous";
	return role_names[role];
}

int
role_parse(const char *s)
{
	for (int r = ROLE_ADMIN; r <= ROLE_AUDITOR; r++)
		if (strcmp(s, role_names[r]) == 0)
			return r;
	return ROLE_NONE;
}

const char *
user_status_name(int status)
{
	if (status < USER_ACTIVE || status > USER_REVOKED)
		return "unknown";
	return status_names[status];
}

static int
status_parse(const char *s)
{
	for (int i = USER_ACTIVE; i <= USER_REVOKED; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return 0;
}
static const char SQL_INSERT[] =
    "INSERT INTO users (id, username, role, status, pk, sk_sealed,"
    " created_at, updated_at, enrolled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

int
store_user_insert(struct store *s, const struct user_row *u)
{
	sqlite3_stmt *st = store_stmt(s, SQL_INSERT);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, u->id);
	store_bind_text(st, 2, u->username);
	store_bind_text(st, 3, role_name(u->role));
	store_bind_text(st, 4, user_status_name(u->status));
	sqlite3_bind_blob(st, 5, u->pk, sizeof(u->pk), SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 6, u->sk_sealed, sizeof(u->sk_sealed),
	    SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, u->created_at);
	sqlite3_bind_int64(st, 8, u->created_at);
	sqlite3_bind_int(st, 9, u->enrolled ? 1 : 0);
	return store_step_done(st);
}
static int
row_to_user(sqlite3_stmt *st, void *out)
{
	struct user_row *u = out;

	memset(u, 0, sizeof(*u));
	store_copy_text(u->id, sizeof(u->id), sqlite3_column_text(st, 0));
	store_copy_text(u->username, sizeof(u->username), sqlite3_column_text(st, 1));
	u->role = role_parse((const char *)sqlite3_column_text(st, 2));
	u->status = status_parse((const char *)sqlite3_column_text(st, 3));
	if (sqlite3_column_bytes(st, 4) != (int)sizeof(u->pk) ||
	    sqlite3_column_bytes(st, 5) != (int)sizeof(u->sk_sealed))
		return STORE_ECORRUPT;
	memcpy(u->pk, sqlite3_column_blob(st, 4), sizeof(u->pk));
	memcpy(u->sk_sealed, sqlite3_column_blob(st, 5), sizeof(u->sk_sealed));
	u->created_at = sqlite3_column_int64(st, 6);
	u->enrolled = sqlite3_column_int(st, 7) != 0;
	return STORE_OK;
}

#define USER_COLS \
    "id, username, role, status, pk, sk_sealed, created_at, enrolled"
static const char SQL_BY_NAME[] =
    "SELECT " USER_COLS " FROM users WHERE username = ?";
static const char SQL_BY_ID[] =
    "SELECT " USER_COLS " FROM users WHERE id = ?";
static const char SQL_ALL[] =
    "SELECT " USER_COLS " FROM users ORDER BY username";

int
store_user_by_name(struct store *s, const char *username, struct user_row *u)
{
	return store_get_one(s, SQL_BY_NAME, username, NULL, row_to_user, u);
}

int
store_user_by_id(struct store *s, const char *id, struct user_row *u)
{
	return store_get_one(s, SQL_BY_ID, id, NULL, row_to_user, u);
}

static const char SQL_SET_STATUS[] =
    "UPDATE users SET status = ?, updated_at = ? WHERE id = ?";

int
store_user_set_status(struct store *s, const char *id, int status)
{
	sqlite3_stmt *st = store_stmt(s, SQL_SET_STATUS);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_status_name(status));
	sqlite3_bind_int64(st, 2, store_now());
	store_bind_text(st, 3, id);
	return store_step_one(s, st);
}

static const char SQL_ENROL[] =
    "UPDATE users SET pk = ?, sk_sealed = ?, enrolled = 1, updated_at = ?"
    " WHERE id = ? AND enrolled = 0";
/* a later password change: a new key pair for an enrolled user */
static const char SQL_REKEY[] =
    "UPDATE users SET pk = ?, sk_sealed = ?, updated_at = ?"
    " WHERE id = ? AND enrolled = 1";

/* Replace id's key pair with the statement sql (enrolment or rekey). */
static int
set_keypair(struct store *s, const char *sql, const char *id,
    const uint8_t pk[USERKEY_PK_BYTES], const uint8_t blob[USERKEY_BLOB_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st == NULL)
		return STORE_EIO;
	sqlite3_bind_blob(st, 1, pk, USERKEY_PK_BYTES, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, blob, USERKEY_BLOB_BYTES, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, store_now());
	store_bind_text(st, 4, id);
	return store_step_one(s, st);
}

int
store_user_enrol(struct store *s, const char *id,
    const uint8_t pk[USERKEY_PK_BYTES], const uint8_t blob[USERKEY_BLOB_BYTES])
{
	return set_keypair(s, SQL_ENROL, id, pk, blob);
}

int
store_user_rekey(struct store *s, const char *id,
    const uint8_t pk[USERKEY_PK_BYTES], const uint8_t blob[USERKEY_BLOB_BYTES])
{
	return set_keypair(s, SQL_REKEY, id, pk, blob);
}

/* a reset (issue 14): a new key pair under a first password, unenrolled */
static const char SQL_RESET[] =
    "UPDATE users SET pk = ?, sk_sealed = ?, enrolled = 0, status = ?,"
    " updated_at = ? WHERE id = ?";

int
store_user_reset(struct store *s, const char *id,
    const uint8_t pk[USERKEY_PK_BYTES], const uint8_t blob[USERKEY_BLOB_BYTES],
    int status)
{
	sqlite3_stmt *st = store_stmt(s, SQL_RESET);

	if (st == NULL)
		return STORE_EIO;
	sqlite3_bind_blob(st, 1, pk, USERKEY_PK_BYTES, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, blob, USERKEY_BLOB_BYTES, SQLITE_TRANSIENT);
	store_bind_text(st, 3, user_status_name(status));
	sqlite3_bind_int64(st, 4, store_now());
	store_bind_text(st, 5, id);
	return store_step_one(s, st);
}

static const char SQL_SET_SEALED[] =
    "UPDATE users SET sk_sealed = ?, updated_at = ? WHERE id = ?";

int
store_user_set_sealed(struct store *s, const char *id,
    const uint8_t blob[USERKEY_BLOB_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, SQL_SET_SEALED);

	if (st == NULL)
		return STORE_EIO;
	sqlite3_bind_blob(st, 1, blob, USERKEY_BLOB_BYTES, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, store_now());
	store_bind_text(st, 3, id);
	return store_step_one(s, st);
}

struct user_walk {
	int	(*cb)(void *, const struct user_row *);
	void	*arg;
};

/* A callback that answers non-zero ends the walk early, successfully. */
static int
walk_user(sqlite3_stmt *st, void *arg)
{
	struct user_walk *w = arg;
	struct user_row u;
	int rc;

	if ((rc = row_to_user(st, &u)) != STORE_OK)
		return rc;
	return w->cb(w->arg, &u) != 0 ? 1 : STORE_OK;
}

int
store_user_each(struct store *s, int (*cb)(void *, const struct user_row *),
    void *arg)
{
	sqlite3_stmt *st = store_stmt(s, SQL_ALL);
	struct user_walk w = { cb, arg };

	if (st == NULL)
		return STORE_EIO;
	return store_each_row(st, walk_user, &w);
}

static const char SQL_COUNT[] = "SELECT count(*) FROM users";

/* Run a one-row, one-column count query. */
static int
count_of(struct store *s, const char *sql, int64_t *n)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc;

	if (st == NULL)
		return STORE_EIO;
	rc = sqlite3_step(st);
	*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : store_err_from_sqlite(rc);
}

int
store_user_count(struct store *s, int64_t *n)
{
	return count_of(s, SQL_COUNT, n);
}

static const char SQL_META_GET[] = "SELECT v FROM meta WHERE k = ?";
static const char SQL_META_SET[] =
    "INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)";

/* A value of the wrong size reads as no key at all. */
static int
row_to_org_pk(sqlite3_stmt *st, void *pk)
{
	if (sqlite3_column_bytes(st, 0) != 32)
		return STORE_ENOTFOUND;
	memcpy(pk, sqlite3_column_blob(st, 0), 32);
	return STORE_OK;
}

int
store_org_pk_get(struct store *s, uint8_t pk[32])
{
	return store_get_one(s, SQL_META_GET, "org_pk", NULL, row_to_org_pk, pk);
}

int
store_org_pk_set(struct store *s, const uint8_t pk[32])
{
	sqlite3_stmt *st = store_stmt(s, SQL_META_SET);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, "org_pk");
	sqlite3_bind_blob(st, 2, pk, 32, SQLITE_TRANSIENT);
	return store_step_done(st);
}

static const char SQL_GRANT_PUT[] =
    "INSERT OR REPLACE INTO org_grants (user_id, sealed, granted_by,"
    " created_at) VALUES (?, ?, ?, ?)";
static const char SQL_GRANT_GET[] =
    "SELECT sealed FROM org_grants WHERE user_id = ?";
static const char SQL_GRANT_DEL[] = "DELETE FROM org_grants WHERE user_id = ?";
static const char SQL_GRANT_RESEAL[] =
    "UPDATE org_grants SET sealed = ? WHERE user_id = ?";

int
store_org_grant_put(struct store *s, const char *user_id,
    const uint8_t *sealed, size_t sealed_len, const char *granted_by)
{
	sqlite3_stmt *st = store_stmt(s, SQL_GRANT_PUT);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	sqlite3_bind_blob(st, 2, sealed, (int)sealed_len, SQLITE_TRANSIENT);
	store_bind_text(st, 3, granted_by);
	sqlite3_bind_int64(st, 4, store_now());
	return store_step_done(st);
}

struct grant_out {
	uint8_t	*out;
	size_t	 out_max;
	size_t	*out_len;
};

static int
row_to_grant(sqlite3_stmt *st, void *arg)
{
	struct grant_out *g = arg;

	return store_copy_blob(st, 0, g->out, g->out_max, g->out_len);
}

int
store_org_grant_get(struct store *s, const char *user_id, uint8_t *out,
    size_t out_max, size_t *out_len)
{
	struct grant_out g = { out, out_max, out_len };

	return store_get_one(s, SQL_GRANT_GET, user_id, NULL, row_to_grant, &g);
}

int
store_org_grant_reseal(struct store *s, const char *user_id,
    const uint8_t *sealed, size_t sealed_len)
{
	sqlite3_stmt *st = store_stmt(s, SQL_GRANT_RESEAL);

	if (st == NULL)
		return STORE_EIO;
	sqlite3_bind_blob(st, 1, sealed, (int)sealed_len, SQLITE_TRANSIENT);
	store_bind_text(st, 2, user_id);
	return store_step_done(st);
}

int
store_org_grant_delete(struct store *s, const char *user_id)
{
	return store_run_ids(s, SQL_GRANT_DEL, user_id, NULL);
}

/* usable: an active account whose key pair is its own and not erased
 * (0014_duress.sql, account_erased): a grant sealed to an erased key
 * opens for nobody */
#define SQL_GRANT_USABLE \
    "SELECT count(*) FROM org_grants g JOIN users u ON u.id = g.user_id" \
    " WHERE u.status = 'active' AND NOT EXISTS (SELECT 1 FROM" \
    " account_erased e WHERE e.user_id = g.user_id)"
static const char SQL_GRANT_COUNT[] = SQL_GRANT_USABLE;
static const char SQL_GRANT_HOLDS[] = SQL_GRANT_USABLE " AND g.user_id = ?";

int
store_org_grant_count(struct store *s, int64_t *n)
{
	return count_of(s, SQL_GRANT_COUNT, n);
}

int
store_org_grant_usable(struct store *s, const char *user_id, int *yes)
{
	sqlite3_stmt *st = store_stmt(s, SQL_GRANT_HOLDS);
	int rc;

	*yes = 0;
	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	rc = sqlite3_step(st);
	*yes = rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : store_err_from_sqlite(rc);
}
