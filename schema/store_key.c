/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_key: the key wraps of cases and evacuations, one sealed copy of
 * K_case or K_evac per recipient. Opaque bytes; nothing here opens them.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/store_key.h"
#include "schema/store_int.h"

/*
 * The same statements over both wrap tables, each keyed by its object
 * column: case_keys by case_id, evac_keys by evacuation_id.
 */
struct key_sql {
	const char	*put, *get, *del, *del_all, *del_rcpt, *rcpts, *objs;
};

#define KEY_SQL(tbl, obj) {						\
	.put = "INSERT OR REPLACE INTO " tbl " (" obj ", recipient_id,"	\
	    " key_version, sealed) VALUES (?, ?, ?, ?)",		\
	.get = "SELECT sealed, key_version FROM " tbl			\
	    " WHERE " obj " = ? AND recipient_id = ?",			\
	.del = "DELETE FROM " tbl " WHERE " obj " = ? AND recipient_id = ?", \
	.del_all = "DELETE FROM " tbl " WHERE " obj " = ?",		\
	.del_rcpt = "DELETE FROM " tbl " WHERE recipient_id = ?",	\
	.rcpts = "SELECT recipient_id FROM " tbl " WHERE " obj " = ?"	\
	    " ORDER BY recipient_id",					\
	.objs = "SELECT " obj " FROM " tbl " WHERE recipient_id = ?"	\
	    " ORDER BY " obj,						\
}

static const struct key_sql key_sql[] = {
	[STORE_KEY_CASE] = KEY_SQL("case_keys", "case_id"),
	[STORE_KEY_EVAC] = KEY_SQL("evac_keys", "evacuation_id"),
};

/* Any kind but STORE_KEY_EVAC reads as STORE_KEY_CASE. */
static const struct key_sql *
ksql(int kind)
{
	return &key_sql[kind == STORE_KEY_EVAC ? STORE_KEY_EVAC :
	    STORE_KEY_CASE];
}

int
store_key_put(struct store *s, int kind, const char *object_id,
    const char *recipient_id, uint32_t key_version, const uint8_t *sealed,
    size_t sealed_len)
{
	sqlite3_stmt *st = store_stmt(s, ksql(kind)->put);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, object_id);
	store_bind_text(st, 2, recipient_id);
	sqlite3_bind_int64(st, 3, key_version);
	store_bind_blob(st, 4, sealed, sealed_len);
	return store_step_done(st);
}

struct key_out {
	uint8_t		*out;
	size_t		 out_max;
	size_t		*out_len;
	uint32_t	*key_version;
};

static int
row_to_key(sqlite3_stmt *st, void *arg)
{
	struct key_out *k = arg;
	int64_t v = sqlite3_column_int64(st, 1);
	int rc;

	if (sqlite3_column_bytes(st, 0) <= 0 || v < 1 || v > UINT32_MAX)
		return STORE_ECORRUPT;
	if ((rc = store_copy_blob(st, 0, k->out, k->out_max, k->out_len)) !=
	    STORE_OK)
		return rc;
	*k->key_version = (uint32_t)v;
	return STORE_OK;
}

int
store_key_get(struct store *s, int kind, const char *object_id,
    const char *recipient_id, uint8_t *out, size_t out_max, size_t *out_len,
    uint32_t *key_version)
{
	struct key_out k = { out, out_max, out_len, key_version };

	return store_get_one(s, ksql(kind)->get, object_id, recipient_id,
	    row_to_key, &k);
}

int
store_key_delete(struct store *s, int kind, const char *object_id,
    const char *recipient_id)
{
	return store_run_ids(s, ksql(kind)->del, object_id, recipient_id);
}

int
store_key_delete_all(struct store *s, int kind, const char *object_id)
{
	return store_run_ids(s, ksql(kind)->del_all, object_id, NULL);
}

int
store_key_delete_recipient(struct store *s, int kind, const char *recipient_id)
{
	return store_run_ids(s, ksql(kind)->del_rcpt, recipient_id, NULL);
}

/* Like store_collect_ids, but 'org' (the org key's wrap) is not an id and
 * a NULL recipient is passed over. */
static int
push_recipient(sqlite3_stmt *st, void *out)
{
	const unsigned char *id = sqlite3_column_text(st, 0);

	if (id == NULL || strcmp((const char *)id, "org") == 0)
		return STORE_OK;
	return store_ids_push(out, (const char *)id);
}

int
store_key_recipients(struct store *s, int kind, const char *object_id,
    struct store_ids *out)
{
	sqlite3_stmt *st = store_stmt(s, ksql(kind)->rcpts);

	if (st == NULL)
		return STORE_EIO;
	store_bind_text(st, 1, object_id);
	return store_each_row(st, push_recipient, out);
}

int
store_key_objects(struct store *s, int kind, const char *recipient_id,
    struct store_ids *out)
{
	return store_list_ids(s, ksql(kind)->objs, recipient_id, NULL, out);
}
