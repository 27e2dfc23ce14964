/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_attach: attachment rows and their chunk rows. Chunks go with
 * their attachment by ON DELETE CASCADE, so no statement here can leave
 * an orphan chunk; with secure_delete on, the freed pages are zeroed.
 */
#include <string.h>

#include "schema/store_attach.h"
#include "schema/store_int.h"

static const char SQL_ATT_INSERT[] =
    "INSERT INTO attachments (id, case_id, author_id, created_at, size,"
    " chunks, key_version, key_wrap, header, filename, media_type)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_ATT_FINISH[] =
    "UPDATE attachments SET size = ?, chunks = ? WHERE id = ?";
static const char SQL_CHUNK_PUT[] =
    "INSERT INTO attachment_chunks (attachment_id, seq, data)"
    " VALUES (?, ?, ?)";
static const char SQL_CHUNK_GET[] =
    "SELECT data FROM attachment_chunks WHERE attachment_id = ? AND seq = ?";
static const char SQL_ATT_COUNT[] =
    "SELECT count(*) FROM attachments WHERE case_id = ?";
#define ATT_COLS "id, case_id, author_id, created_at, size, chunks," \
    " key_version, key_wrap, header, filename, media_type"
static const char SQL_ATT_EACH[] =
    "SELECT " ATT_COLS " FROM attachments WHERE case_id = ?"
    " ORDER BY created_at, rowid";	/* upload order */
static const char SQL_ATT_GET[] =
    "SELECT " ATT_COLS " FROM attachments WHERE case_id = ? AND id = ?";
static const char SQL_ATT_SET_WRAP[] =
    "UPDATE attachments SET key_version = ?, key_wrap = ? WHERE id = ?";
static const char SQL_ATT_DELETE[] =
    "DELETE FROM attachments WHERE case_id = ? AND id = ?";
static const char SQL_ATT_DELETE_CASE[] =
    "DELETE FROM attachments WHERE case_id = ?";

int
store_attach_insert(struct store *s, const struct attach_row *a)
{
	sqlite3_stmt *st = store_stmt(s, SQL_ATT_INSERT);

	if (st == NULL)
		return STORE_EIO;
	if (a->key_wrap == NULL || a->filename == NULL || a->media_type == NULL)
		return STORE_ECONFLICT;
	store_bind_text(st, 1, a->id);
	store_bind_text(st, 2, a->case_id);
	store_bind_text(st, 3, a->author_id);
	sqlite3_bind_int64(st, 4, a->created_at);
	sqlite3_bind_int64(st, 5, a->size);
	sqlite3_bind_int64(st, 6, a->chunks);
	sqlite3_bind_int64(st, 7, a->key_version);
	store_bind_blob(st, 8, a->key_wrap, a->key_wrap_len);
	store_bind_blob(st, 9, a->header, sizeof(a->header));
	store_bind_blob(st, 10, a->filename, a->filename_len);
	store_bind_blob(st, 11, a->media_type, a->media_type_len);
	return store_step_done(st);
}

int
store_attach_finish(struct store *s, const char *id, int64_t size,
    int64_t chunks)
{
	sqlite3_stmt *st = store_stmt(s, SQL_ATT_FINISH);

	if (st == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, size);
	sqlite3_bind_int64(st, 2, chunks);
	store_bind_text(st, 3, id);
	return store_step_one(s, st);
}

int
store_attach_chunk_put(struct store *s, const char *id, int64_t seq,
    const uint8_t *data, size_t data_len)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CHUNK_PUT);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, seq);
	store_bind_blob(st, 3, data, data_len);
	return store_step_done(st);
}

struct chunk_out {
	uint8_t	*buf;
	size_t	 max, *len;
};

static int
row_to_chunk(sqlite3_stmt *st, void *arg)
{
	struct chunk_out *o = arg;
	int rc = store_copy_blob(st, 0, o->buf, o->max, o->len);

	return rc == STORE_OK && *o->len == 0 ? STORE_ECORRUPT : rc;
}

int
store_attach_chunk_get(struct store *s, const char *id, int64_t seq,
    uint8_t *buf, size_t buf_max, size_t *data_len)
{
	sqlite3_stmt *st = store_stmt(s, SQL_CHUNK_GET);
	struct chunk_out o = { buf, buf_max, data_len };

	*data_len = 0;
	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, seq);
	return store_one_row(st, row_to_chunk, &o);
}

static int
row_to_count(sqlite3_stmt *st, void *arg)
{
	*(int64_t *)arg = sqlite3_column_int64(st, 0);
	return STORE_OK;
}

int
store_attach_count(struct store *s, const char *case_id, int64_t *n)
{
	*n = 0;
	return store_get_one(s, SQL_ATT_COUNT, case_id, NULL, row_to_count, n);
}

/* Borrow one row of an ATT_COLS statement; -1 if it is damaged. */
static int
row_of(sqlite3_stmt *st, struct attach_row *a)
{
	size_t n = 0;

	memset(a, 0, sizeof(*a));
	store_copy_text(a->id, sizeof(a->id), sqlite3_column_text(st, 0));
	store_copy_text(a->case_id, sizeof(a->case_id),
	    sqlite3_column_text(st, 1));
	store_copy_text(a->author_id, sizeof(a->author_id),
	    sqlite3_column_text(st, 2));
	a->created_at = sqlite3_column_int64(st, 3);
	a->size = sqlite3_column_int64(st, 4);
	a->chunks = sqlite3_column_int64(st, 5);
	a->key_version = (uint32_t)sqlite3_column_int64(st, 6);
	a->key_wrap = sqlite3_column_blob(st, 7);
	a->key_wrap_len = (size_t)sqlite3_column_bytes(st, 7);
	if (store_copy_blob(st, 8, a->header, sizeof(a->header), &n) !=
	    STORE_OK || n != sizeof(a->header))
		return -1;
	a->filename = sqlite3_column_blob(st, 9);
	a->filename_len = (size_t)sqlite3_column_bytes(st, 9);
	a->media_type = sqlite3_column_blob(st, 10);
	a->media_type_len = (size_t)sqlite3_column_bytes(st, 10);
	if (a->key_wrap == NULL || a->filename == NULL ||
	    a->media_type == NULL || a->size < 0 || a->chunks < 0)
		return -1;
	return 0;
}

struct each_arg {
	int	(*cb)(void *, const struct attach_row *);
	void	*arg;
	int	 seen;
};

static int
row_each(sqlite3_stmt *st, void *arg)
{
	struct each_arg *e = arg;
	struct attach_row a;

	e->seen = 1;
	if (row_of(st, &a) != 0)
		return STORE_ECORRUPT;
	return e->cb(e->arg, &a) != 0 ? STORE_ENOMEM : STORE_OK;
}

int
store_attach_each(struct store *s, const char *case_id,
    int (*cb)(void *, const struct attach_row *), void *arg)
{
	sqlite3_stmt *st = store_stmt(s, SQL_ATT_EACH);
	struct each_arg e = { cb, arg, 0 };

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, case_id);
	return store_each_row(st, row_each, &e);
}

int
store_attach_get(struct store *s, const char *case_id, const char *id,
    int (*cb)(void *, const struct attach_row *), void *arg)
{
	sqlite3_stmt *st = store_stmt(s, SQL_ATT_GET);
	struct each_arg e = { cb, arg, 0 };
	int rc;

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, case_id);
	store_bind_text(st, 2, id);
	rc = store_each_row(st, row_each, &e);
	return rc == STORE_OK && !e.seen ? STORE_ENOTFOUND : rc;
}

int
store_attach_set_wrap(struct store *s, const char *id, uint32_t key_version,
    const uint8_t *wrap, size_t wrap_len)
{
	sqlite3_stmt *st = store_stmt(s, SQL_ATT_SET_WRAP);

	if (st == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, key_version);
	store_bind_blob(st, 2, wrap, wrap_len);
	store_bind_text(st, 3, id);
	return store_step_one(s, st);
}

int
store_attach_delete(struct store *s, const char *case_id, const char *id)
{
	return store_run_one(s, SQL_ATT_DELETE, case_id, id);
}

int
store_attach_delete_case(struct store *s, const char *case_id)
{
	return store_run_ids(s, SQL_ATT_DELETE_CASE, case_id, NULL);
}
