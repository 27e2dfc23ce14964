/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* store_totp: data access for two-factor login (store_totp.h). */
#include <string.h>

#include "schema/store_int.h"
#include "schema/store_totp.h"

static int
row_to_totp(sqlite3_stmt *st, void *out)
{
	struct totp_row *t = out;

	memset(t, 0, sizeof(*t));
	if (sqlite3_column_bytes(st, 0) != (int)sizeof(t->secret))
		return STORE_ECORRUPT;
	memcpy(t->secret, sqlite3_column_blob(st, 0), sizeof(t->secret));
	t->confirmed = sqlite3_column_int(st, 1) != 0;
	t->last_step = sqlite3_column_int64(st, 2);
	return STORE_OK;
}

static const char SQL_GET[] =
    "SELECT secret, confirmed, last_step FROM totp WHERE user_id = ?";

int
store_totp_get(struct store *s, const char *user_id, struct totp_row *t)
{
	return store_get_one(s, SQL_GET, user_id, NULL, row_to_totp, t);
}

static const char SQL_BEGIN[] =
    "INSERT OR REPLACE INTO totp (user_id, secret, confirmed, last_step,"
    " created_at) VALUES (?, ?, 0, 0, ?)";

int
store_totp_begin(struct store *s, const char *user_id,
    const uint8_t secret[STORE_TOTP_SECRET_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, SQL_BEGIN);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	sqlite3_bind_blob(st, 2, secret, STORE_TOTP_SECRET_BYTES,
	    SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, store_now());
	return store_step_done(st);
}

/* the replay rule is in the WHERE clause: under the write lock, two
 * logins with one code cannot both change the row */
static const char SQL_USE_STEP[] =
    "UPDATE totp SET last_step = ?2, confirmed = 1"
    " WHERE user_id = ?1 AND last_step < ?2 AND confirmed >= ?3";

int
store_totp_use_step(struct store *s, const char *user_id, int64_t step,
    int need_confirmed)
{
	sqlite3_stmt *st = store_stmt(s, SQL_USE_STEP);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	sqlite3_bind_int64(st, 2, step);
	sqlite3_bind_int(st, 3, need_confirmed ? 1 : 0);
	return store_step_one(s, st);
}

static const char SQL_DEL_TOTP[] = "DELETE FROM totp WHERE user_id = ?";
static const char SQL_DEL_CODES[] =
    "DELETE FROM recovery_codes WHERE user_id = ?";

int
store_totp_delete(struct store *s, const char *user_id)
{
	int rc = store_run_ids(s, SQL_DEL_TOTP, user_id, NULL);

	return rc != STORE_OK ? rc :
	    store_run_ids(s, SQL_DEL_CODES, user_id, NULL);
}

static const char SQL_CODE_ADD[] =
    "INSERT INTO recovery_codes (user_id, hash) VALUES (?, ?)";

int
store_recovery_replace(struct store *s, const char *user_id,
    const uint8_t (*hashes)[STORE_RECOVERY_HASH_BYTES], size_t n)
{
	int rc = store_run_ids(s, SQL_DEL_CODES, user_id, NULL);

	for (size_t i = 0; rc == STORE_OK && i < n; i++) {
		sqlite3_stmt *st = store_stmt(s, SQL_CODE_ADD);

		if (st == NULL)
			return STORE_EIO;
		store_bind_text(st, 1, user_id);
		sqlite3_bind_blob(st, 2, hashes[i], STORE_RECOVERY_HASH_BYTES,
		    SQLITE_TRANSIENT);
		rc = store_step_done(st);
	}
	return rc;
}

static const char SQL_CODE_USE[] =
    "DELETE FROM recovery_codes WHERE user_id = ? AND hash = ?";

int
store_recovery_use(struct store *s, const char *user_id,
    const uint8_t hash[STORE_RECOVERY_HASH_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, SQL_CODE_USE);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	sqlite3_bind_blob(st, 2, hash, STORE_RECOVERY_HASH_BYTES,
	    SQLITE_TRANSIENT);
	return store_step_one(s, st);
}

static const char SQL_CODE_HAS[] =
    "SELECT count(*) FROM recovery_codes WHERE user_id = ? AND hash = ?";

static int
row_to_count(sqlite3_stmt *st, void *out);

int
store_recovery_has(struct store *s, const char *user_id,
    const uint8_t hash[STORE_RECOVERY_HASH_BYTES], int *yes)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CODE_HAS);
	int64_t n = 0;
	int rc;

	*yes = 0;
	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, user_id);
	sqlite3_bind_blob(st, 2, hash, STORE_RECOVERY_HASH_BYTES,
	    SQLITE_TRANSIENT);
	rc = store_one_row(st, row_to_count, &n);
	*yes = rc == STORE_OK && n > 0;
	return rc;
}

static int
row_to_count(sqlite3_stmt *st, void *out)
{
	*(int64_t *)out = sqlite3_column_int64(st, 0);
	return STORE_OK;
}

static const char SQL_CODE_COUNT[] =
    "SELECT count(*) FROM recovery_codes WHERE user_id = ?";

int
store_recovery_count(struct store *s, const char *user_id, int64_t *n)
{
	return store_get_one(s, SQL_CODE_COUNT, user_id, NULL, row_to_count, n);
}

static const char SQL_META_GET[] = "SELECT v FROM meta WHERE k = ?";
static const char SQL_META_ADD[] = "INSERT INTO meta (k, v) VALUES (?, ?)";
static const char SQL_META_SET[] =
    "INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)";

static int
row_to_key(sqlite3_stmt *st, void *key)
{
	if (sqlite3_column_bytes(st, 0) != (int)STORE_TWOFACTOR_KEY_BYTES)
		return STORE_ECORRUPT;
	memcpy(key, sqlite3_column_blob(st, 0), STORE_TWOFACTOR_KEY_BYTES);
	return STORE_OK;
}

int
store_twofactor_key_get(struct store *s, const char *name,
    uint8_t key[STORE_TWOFACTOR_KEY_BYTES])
{
	return store_get_one(s, SQL_META_GET, name, NULL, row_to_key, key);
}

int
store_twofactor_key_put(struct store *s, const char *name,
    const uint8_t key[STORE_TWOFACTOR_KEY_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, SQL_META_ADD);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, name);
	sqlite3_bind_blob(st, 2, key, STORE_TWOFACTOR_KEY_BYTES,
	    SQLITE_TRANSIENT);
	return store_step_done(st);
}

static int
row_to_flag(sqlite3_stmt *st, void *out)
{
	*(int *)out = sqlite3_column_bytes(st, 0) == 1 &&
	    ((const uint8_t *)sqlite3_column_blob(st, 0))[0] == 1;
	return STORE_OK;
}

int
store_twofactor_policy_get(struct store *s, int *required)
{
	int rc = store_get_one(s, SQL_META_GET, "twofactor_required", NULL,
	    row_to_flag, required);

	if (rc == STORE_ENOTFOUND) {
		*required = 0;
		return STORE_OK;
	}
	return rc;
}

int
store_twofactor_policy_set(struct store *s, int required)
{
	sqlite3_stmt *st = store_stmt(s, SQL_META_SET);
	uint8_t v = required ? 1 : 0;

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, "twofactor_required");
	sqlite3_bind_blob(st, 2, &v, 1, SQLITE_TRANSIENT);
	return store_step_done(st);
}
