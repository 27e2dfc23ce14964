/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_partner: partners and transfer bundles (store_partner.h). The
 * public keys are public; the names are the operator's labels, protected
 * at rest by SQLCipher like every other column.
 */
#include <string.h>

#include "schema/store_int.h"
#include "schema/store_partner.h"

#define PARTNER_COLS	"id, name, origin, public_key, created_at"

static const char SQL_PARTNER_INSERT[] =
    "INSERT INTO partners (" PARTNER_COLS ") VALUES (?, ?, ?, ?, ?)";
static const char SQL_PARTNER_FIND[] =
    "SELECT " PARTNER_COLS " FROM partners WHERE id = ?1 OR name = ?1"
    " OR origin = ?1 ORDER BY (id = ?1) DESC, (name = ?1) DESC LIMIT 1";
static const char SQL_PARTNER_EACH[] =
    "SELECT " PARTNER_COLS " FROM partners ORDER BY name";
static const char SQL_PARTNER_COUNT[] = "SELECT count(*) FROM partners";
static const char SQL_PARTNER_DELETE[] = "DELETE FROM partners WHERE id = ?";
static const char SQL_TRANSFER_INSERT[] =
    "INSERT INTO transfers (bundle_id, direction, case_id, partner_origin,"
    " bundle_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)";
static const char SQL_TRANSFER_KNOWN[] =
    "SELECT 1 FROM transfers WHERE bundle_id = ? AND direction = 2";

int
store_partner_insert(struct store *s, const struct partner_row *p)
{
	sqlite3_stmt *st = store_stmt(s, SQL_PARTNER_INSERT);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, p->id);
	store_bind_text(st, 2, p->name);
	store_bind_text(st, 3, p->origin);
	store_bind_blob(st, 4, p->pk, sizeof(p->pk));
	sqlite3_bind_int64(st, 5, p->created_at);
	return store_step_done(st);
}

static int
row_to_partner(sqlite3_stmt *st, void *arg)
{
	struct partner_row *p = arg;
	size_t n = 0;

	memset(p, 0, sizeof(*p));
	store_copy_text(p->id, sizeof(p->id), sqlite3_column_text(st, 0));
	store_copy_text(p->name, sizeof(p->name), sqlite3_column_text(st, 1));
	store_copy_text(p->origin, sizeof(p->origin),
	    sqlite3_column_text(st, 2));
	if (store_copy_blob(st, 3, p->pk, sizeof(p->pk), &n) != STORE_OK ||
	    n != sizeof(p->pk))
		return STORE_ECORRUPT;
	p->created_at = sqlite3_column_int64(st, 4);
	return STORE_OK;
}

int
store_partner_find(struct store *s, const char *key, struct partner_row *p)
{
	sqlite3_stmt *st = store_stmt(s, SQL_PARTNER_FIND);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, key);
	return store_one_row(st, row_to_partner, p);
}

struct each_ctx {
	int	(*cb)(void *, const struct partner_row *);
	void	*arg;
};

static int
each_row(sqlite3_stmt *st, void *arg)
{
	struct each_ctx *e = arg;
	struct partner_row p;
	int rc = row_to_partner(st, &p);

	if (rc != STORE_OK)
		return rc;
	return e->cb(e->arg, &p) == 0 ? STORE_OK : STORE_EIO;
}

int
store_partner_each(struct store *s,
    int (*cb)(void *arg, const struct partner_row *p), void *arg)
{
	sqlite3_stmt *st = store_stmt(s, SQL_PARTNER_EACH);
	struct each_ctx e = { cb, arg };

	if (st == NULL)
		return STORE_EIO;
	return store_each_row(st, each_row, &e);
}

static int
row_to_count(sqlite3_stmt *st, void *arg)
{
	*(int64_t *)arg = sqlite3_column_int64(st, 0);
	return STORE_OK;
}

int
store_partner_count(struct store *s, int64_t *n)
{
	sqlite3_stmt *st = store_stmt(s, SQL_PARTNER_COUNT);

	*n = 0;
	if (st == NULL)
		return STORE_EIO;
	return store_one_row(st, row_to_count, n);
}

int
store_partner_delete(struct store *s, const char *id)
{
	return store_run_one(s, SQL_PARTNER_DELETE, id, NULL);
}

int
store_transfer_insert(struct store *s, const uint8_t id[TRANSFER_ID_BYTES],
    int direction, const char *case_id, const char *partner_origin,
    const uint8_t hash[TRANSFER_HASH_BYTES])
{
	sqlite3_stmt *st = store_stmt(s, SQL_TRANSFER_INSERT);

	if (st == NULL)
		return STORE_EIO;
	store_bind_blob(st, 1, id, TRANSFER_ID_BYTES);
	sqlite3_bind_int(st, 2, direction);
	store_bind_text(st, 3, case_id);
	store_bind_text(st, 4, partner_origin);
	store_bind_blob(st, 5, hash, TRANSFER_HASH_BYTES);
	sqlite3_bind_int64(st, 6, store_now());
	return store_step_done(st);
}

int
store_transfer_known(struct store *s, const uint8_t id[TRANSFER_ID_BYTES],
    int *yes)
{
	sqlite3_stmt *st = store_stmt(s, SQL_TRANSFER_KNOWN);
	int rc;

	*yes = 0;
	if (st == NULL)
		return STORE_EIO;
	store_bind_blob(st, 1, id, TRANSFER_ID_BYTES);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*yes = 1;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : STORE_EIO;
}
