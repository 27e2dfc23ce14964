/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* store_account: data access for 0014_duress.sql (see store_account.h). */
#include <string.h>

#include "crypto/token.h"
#include "schema/store_account.h"
#include "schema/store_int.h"

static const char SQL_DURESS_GET[] =
    "SELECT verifier FROM account_duress WHERE user_id = ?";
static const char SQL_DURESS_PUT[] =
    "INSERT OR REPLACE INTO account_duress (user_id, verifier, created_at)"
    " VALUES (?, ?, ?)";
static const char SQL_DURESS_DEL[] =
    "DELETE FROM account_duress WHERE user_id = ?";

static int
row_verifier(sqlite3_stmt *st, void *out)
{
	size_t n;

	return store_copy_blob(st, 0, out, STORE_DURESS_BYTES, &n) ==
	    STORE_OK && n == STORE_DURESS_BYTES ? STORE_OK : STORE_ECORRUPT;
}

int
store_account_duress_get(struct store *s, const char *user_id,
    uint8_t v[STORE_DURESS_BYTES], int *have)
{
	int rc;

	*have = 0;
	rc = store_get_one(s, SQL_DURESS_GET, user_id, NULL, row_verifier, v);
	if (rc == STORE_OK)
		*have = 1;
	else
		memset(v, 0, STORE_DURESS_BYTES);
	return rc == STORE_ENOTFOUND ? STORE_OK : rc;
}

int
store_account_duress_set(struct store *s, const char *user_id,
    const uint8_t *v)
{
	sqlite3_stmt *st;

	if (v == NULL)
		return store_run_ids(s, SQL_DURESS_DEL, user_id, NULL);
	if ((st = store_stmt(s, SQL_DURESS_PUT)) == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	store_bind_blob(st, 2, v, STORE_DURESS_BYTES);
	sqlite3_bind_int64(st, 3, store_now());
	return store_step_done(st);
}

static const char SQL_ERASED_PUT[] =
    "INSERT OR IGNORE INTO account_erased (user_id, kind, created_at)"
    " VALUES (?, ?, ?)";
static const char SQL_ALERT_PUT[] =
    "INSERT INTO account_alerts (id, user_id, kind, created_at)"
    " VALUES (?, ?, ?, ?)";
static const char SQL_ERASED_GET[] =
    "SELECT 1 FROM account_erased WHERE user_id = ?";

/* The alert, with a fresh id, of kind about user_id. */
static int
alert_put(struct store *s, const char *user_id, const char *kind)
{
	char id[ID_CHARS + 1];
	sqlite3_stmt *st;

	if ((st = store_stmt(s, SQL_ALERT_PUT)) == NULL)
		return STORE_EIO;
	token_new_id(id);
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, user_id);
	store_bind_text(st, 3, kind);
	sqlite3_bind_int64(st, 4, store_now());
	return store_step_done(st);
}

int
store_account_erased_put(struct store *s, const char *user_id,
    const char *kind)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = store_stmt(s, SQL_ERASED_PUT)) == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	store_bind_text(st, 2, kind);
	sqlite3_bind_int64(st, 3, store_now());
	if ((rc = store_step_done(st)) != STORE_OK)
		return rc;
	return alert_put(s, user_id, kind);
}

int
store_account_erased(struct store *s, const char *user_id, int *yes)
{
	return store_exists(s, SQL_ERASED_GET, user_id, NULL, yes);
}

static const char SQL_LOCK_PUT[] =
    "INSERT OR IGNORE INTO account_locked (user_id, created_at)"
    " VALUES (?, strftime('%s', 'now'))";
static const char SQL_LOCK_GET[] =
    "SELECT 1 FROM account_locked WHERE user_id = ?";
static const char SQL_LOCK_DEL[] =
    "DELETE FROM account_locked WHERE user_id = ?";

int
store_account_lock(struct store *s, const char *user_id)
{
	int rc = store_run_one(s, SQL_LOCK_PUT, user_id, NULL);

	if (rc == STORE_ENOTFOUND)
		return STORE_OK;	/* locked already: one alert is enough */
	return rc == STORE_OK ? alert_put(s, user_id, "lockout") : rc;
}

int
store_account_locked(struct store *s, const char *user_id, int *yes)
{
	return store_exists(s, SQL_LOCK_GET, user_id, NULL, yes);
}

static const char SQL_ALERT_RESOLVE[] =
    "UPDATE account_alerts SET resolved_at = strftime('%s', 'now')"
    " WHERE user_id = ? AND resolved_at IS NULL";

static const char SQL_ERASED_RESET[] =
    "INSERT OR REPLACE INTO account_erased (user_id, kind, created_at)"
    " VALUES (?, 'reset', strftime('%s', 'now'))";
static const char SQL_ERASED_ENROLLED[] =
    "DELETE FROM account_erased WHERE user_id = ? AND kind = 'reset'";

int
store_account_enrolled(struct store *s, const char *user_id)
{
	return store_run_ids(s, SQL_ERASED_ENROLLED, user_id, NULL);
}

int
store_account_reset(struct store *s, const char *user_id)
{
	int rc;

	rc = store_run_ids(s, SQL_ERASED_RESET, user_id, NULL);
	if (rc == STORE_OK)
		rc = store_run_ids(s, SQL_DURESS_DEL, user_id, NULL);
	if (rc == STORE_OK)
		rc = store_run_ids(s, SQL_LOCK_DEL, user_id, NULL);
	if (rc == STORE_OK)
		rc = store_run_ids(s, SQL_ALERT_RESOLVE, user_id, NULL);
	return rc;
}

static const char SQL_ALERTS[] =
    "SELECT a.id, a.user_id, u.username, a.kind, a.created_at"
    " FROM account_alerts a JOIN users u ON u.id = a.user_id"
    " WHERE a.resolved_at IS NULL ORDER BY a.created_at DESC, a.id LIMIT ?";
static const char SQL_ALERT_COUNT[] =
    "SELECT count(*) FROM account_alerts WHERE resolved_at IS NULL"
    " AND user_id != ?";

struct alert_walk {
	int	(*cb)(void *, const struct store_alert *);
	void	*arg;
};

static int
walk_alert(sqlite3_stmt *st, void *arg)
{
	struct alert_walk *w = arg;
	struct store_alert a;

	memset(&a, 0, sizeof(a));
	store_copy_text(a.id, sizeof(a.id), sqlite3_column_text(st, 0));
	store_copy_text(a.user_id, sizeof(a.user_id),
	    sqlite3_column_text(st, 1));
	store_copy_text(a.username, sizeof(a.username),
	    sqlite3_column_text(st, 2));
	store_copy_text(a.kind, sizeof(a.kind), sqlite3_column_text(st, 3));
	a.created_at = sqlite3_column_int64(st, 4);
	return w->cb(w->arg, &a) != 0 ? STORE_EIO : STORE_OK;
}

int
store_account_alerts(struct store *s, unsigned max,
    int (*cb)(void *arg, const struct store_alert *a), void *arg)
{
	struct alert_walk w = { cb, arg };
	sqlite3_stmt *st = store_stmt(s, SQL_ALERTS);

	if (st == NULL)
		return STORE_EIO;
	sqlite3_bind_int(st, 1, (int)max);
	return store_each_row(st, walk_alert, &w);
}

static int
row_count(sqlite3_stmt *st, void *out)
{
	*(int64_t *)out = sqlite3_column_int64(st, 0);
	return STORE_OK;
}

int
store_account_alert_count(struct store *s, const char *except_id, int64_t *n)
{
	*n = 0;
	return store_get_one(s, SQL_ALERT_COUNT, except_id, NULL, row_count, n);
}

/* ?1: the assignee, or NULL for every account that can take a wrap */
static const char SQL_WAITING[] =
    "SELECT a.user_id, a.case_id, c.codename FROM assignments a"
    " JOIN cases c ON c.id = a.case_id JOIN users u ON u.id = a.user_id"
    " WHERE (?1 IS NULL OR a.user_id = ?1) AND c.shredded = 0"
    " AND u.enrolled = 1 AND u.status = 'active'"
    " AND NOT EXISTS (SELECT 1 FROM account_erased e"
    "  WHERE e.user_id = a.user_id)"
    " AND NOT EXISTS (SELECT 1 FROM case_keys k"
    "  WHERE k.case_id = a.case_id AND k.recipient_id = a.user_id)"
    " ORDER BY a.user_id, a.case_id LIMIT ?2";

struct waiting_walk {
	int	(*cb)(void *, const struct store_waiting *);
	void	*arg;
};

static int
walk_waiting(sqlite3_stmt *st, void *arg)
{
	struct waiting_walk *w = arg;
	struct store_waiting row;

	memset(&row, 0, sizeof(row));
	store_copy_text(row.user_id, sizeof(row.user_id),
	    sqlite3_column_text(st, 0));
	store_copy_text(row.case_id, sizeof(row.case_id),
	    sqlite3_column_text(st, 1));
	store_copy_text(row.codename, sizeof(row.codename),
	    sqlite3_column_text(st, 2));
	return w->cb(w->arg, &row) != 0 ? STORE_EIO : STORE_OK;
}

int
store_account_waiting(struct store *s, const char *user_id, unsigned max,
    int (*cb)(void *arg, const struct store_waiting *w), void *arg)
{
	struct waiting_walk w = { cb, arg };
	sqlite3_stmt *st = store_stmt(s, SQL_WAITING);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	sqlite3_bind_int(st, 2, (int)max);
	return store_each_row(st, walk_waiting, &w);
}

static const char SQL_LOGINS[] =
    "SELECT time_ms, action, outcome FROM audit_log INDEXED BY"
    " audit_by_object WHERE object_type = 1 AND object_id = ?1"
    " AND action IN (?2, ?3) ORDER BY seq DESC LIMIT ?4";

struct login_walk {
	int	(*cb)(void *, const struct store_login *);
	void	*arg;
};

static int
walk_login(sqlite3_stmt *st, void *arg)
{
	struct login_walk *w = arg;
	struct store_login l;

	l.time_ms = sqlite3_column_int64(st, 0);
	l.action = sqlite3_column_int(st, 1);
	l.outcome = sqlite3_column_int(st, 2);
	return w->cb(w->arg, &l) != 0 ? STORE_EIO : STORE_OK;
}

int
store_account_logins(struct store *s, const char *user_id, int a, int b,
    unsigned max, int (*cb)(void *arg, const struct store_login *l),
    void *arg)
{
	struct login_walk w = { cb, arg };
	sqlite3_stmt *st = store_stmt(s, SQL_LOGINS);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	sqlite3_bind_int(st, 2, a);
	sqlite3_bind_int(st, 3, b);
	sqlite3_bind_int(st, 4, (int)max);
	return store_each_row(st, walk_login, &w);
}
