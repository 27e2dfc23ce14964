/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_audit: prepared statements over the audit tables (0002_audit.sql).
 * Listing queries name their index (INDEXED BY) so that a filter on a case,
 * an actor or an action reads only matching rows, whatever the planner of
 * SQLite 3.15 would guess.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/merkle.h"
#include "crypto/secmem.h"
#include "schema/store_audit.h"
#include "schema/store_int.h"

static const char SQL_INSERT[] =
    "INSERT INTO audit_log (seq, time_ms, actor_id, role, action,"
    " object_type, object_id, outcome, request_id, entry, leaf_hash)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

int
store_audit_insert(struct store *s, const struct store_audit_row *r)
{
	sqlite3_stmt *st;

	if (r->entry_len > INT32_MAX || r->seq > (uint64_t)INT64_MAX ||
	    r->time_ms > (uint64_t)INT64_MAX)
		return STORE_ECONFLICT;
	if ((st = store_stmt(s, SQL_INSERT)) == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, (int64_t)r->seq);
	sqlite3_bind_int64(st, 2, (int64_t)r->time_ms);
	store_bind_text(st, 3, r->actor_id);
	sqlite3_bind_int(st, 4, r->role);
	sqlite3_bind_int(st, 5, r->action);
	sqlite3_bind_int(st, 6, r->object_type);
	store_bind_text(st, 7, r->object_id);
	sqlite3_bind_int(st, 8, r->outcome);
	store_bind_text(st, 9, r->request_id);
	sqlite3_bind_blob(st, 10, r->entry, (int)r->entry_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 11, r->leaf, STORE_AUDIT_LEAF_BYTES, SQLITE_STATIC);
	return store_step_done(st);
}

static const char SQL_REASON_INSERT[] =
    "INSERT INTO audit_reasons (seq, salt, reason) VALUES (?, ?, ?)";

int
store_audit_reason_insert(struct store *s, uint64_t seq,
    const uint8_t salt[STORE_AUDIT_SALT_BYTES], const void *reason,
    size_t reason_len)
{
	sqlite3_stmt *st;

	if (seq > (uint64_t)INT64_MAX || reason_len == 0 || reason_len > 512)
		return STORE_ECONFLICT;
	if ((st = store_stmt(s, SQL_REASON_INSERT)) == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, (int64_t)seq);
	sqlite3_bind_blob(st, 2, salt, STORE_AUDIT_SALT_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, reason, (int)reason_len, SQLITE_STATIC);
	return store_step_done(st);
}

/* Run sql, which returns no rows, with seq (<= INT64_MAX) bound to ?1. */
static int
run_seq(struct store *s, const char *sql, uint64_t seq)
{
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, (int64_t)seq);
	return store_step_done(st);
}

static int
row_to_int(sqlite3_stmt *st, void *out)
{
	*(int *)out = sqlite3_column_int(st, 0);
	return STORE_OK;
}

static const char SQL_REASON_STATE[] =
    "SELECT erased_at IS NOT NULL FROM audit_reasons WHERE seq = ?";
static const char SQL_SEAL_DELETE[] =
    "DELETE FROM audit_reason_seals WHERE seq = ?";
static const char SQL_REASON_ERASE[] =
    "UPDATE audit_reasons SET salt = NULL, reason = NULL, erased_at = ?"
    " WHERE seq = ? AND erased_at IS NULL";

int
store_audit_reason_erase(struct store *s, uint64_t seq, int64_t now_ms,
    int *was_erased)
{
	sqlite3_stmt *st;
	int rc, erased;

	*was_erased = 0;
	if (seq > (uint64_t)INT64_MAX)
		return STORE_ENOTFOUND;
	if ((st = store_stmt(s, SQL_REASON_STATE)) == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, (int64_t)seq);
	if ((rc = store_one_row(st, row_to_int, &erased)) != STORE_OK)
		return rc;
	if (erased) {
		*was_erased = 1;
		return STORE_OK;
	}
	if ((st = store_stmt(s, SQL_REASON_ERASE)) == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	if ((rc = store_step_done(st)) != STORE_OK)
		return rc;
	/* every sealed copy goes with it (the trigger allows it now that
	 * the row is erased); secure_delete zeroes the freed cells */
	return run_seq(s, SQL_SEAL_DELETE, seq);
}

static const char SQL_REASON_INSERT_SEALED[] =
    "INSERT INTO audit_reasons (seq, salt, reason) VALUES (?, NULL, NULL)";

int
store_audit_reason_insert_sealed(struct store *s, uint64_t seq)
{
	if (seq > (uint64_t)INT64_MAX)
		return STORE_ECONFLICT;
	return run_seq(s, SQL_REASON_INSERT_SEALED, seq);
}

static const char SQL_SEAL_PUT[] =
    "INSERT INTO audit_reason_seals (seq, auditor_id, sealed) VALUES (?, ?, ?)";

int
store_audit_reason_seal_put(struct store *s, uint64_t seq,
    const char *auditor_id, const uint8_t *blob, size_t blob_len)
{
	sqlite3_stmt *st;

	if (seq > (uint64_t)INT64_MAX || blob_len > STORE_AUDIT_SEAL_MAX)
		return STORE_ECONFLICT;
	if ((st = store_stmt(s, SQL_SEAL_PUT)) == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, (int64_t)seq);
	sqlite3_bind_text(st, 2, auditor_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, blob, (int)blob_len, SQLITE_STATIC);
	return store_step_done(st);
}

static const char SQL_SEAL_SEQS[] =
    "SELECT seq FROM audit_reason_seals WHERE auditor_id = ? ORDER BY seq";

int
store_audit_reason_seal_seqs(struct store *s, const char *auditor_id,
    uint64_t **seqs, size_t *n)
{
	sqlite3_stmt *st;
	uint64_t *v = NULL, *p;
	size_t cap = 0;
	int rc;

	*seqs = NULL;
	*n = 0;
	if ((st = store_stmt(s, SQL_SEAL_SEQS)) == NULL)
		return STORE_EIO;
	sqlite3_bind_text(st, 1, auditor_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if (cap > SIZE_MAX / sizeof(*v) ||
			    (p = realloc(v, cap * sizeof(*v))) == NULL) {
				sqlite3_reset(st);
				free(v);
				*n = 0;
				return STORE_ENOMEM;
			}
			v = p;
		}
		v[(*n)++] = (uint64_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(v);
		*n = 0;
		return store_err_from_sqlite(rc);
	}
	*seqs = v;
	return STORE_OK;
}

static const char SQL_SEAL_REPLACE[] =
    "UPDATE audit_reason_seals SET sealed = ? WHERE seq = ? AND auditor_id = ?";

int
store_audit_reason_seal_replace(struct store *s, uint64_t seq,
    const char *auditor_id, const uint8_t *blob, size_t blob_len)
{
	sqlite3_stmt *st;

	if (seq > (uint64_t)INT64_MAX || blob_len > STORE_AUDIT_SEAL_MAX)
		return STORE_ECONFLICT;
	if ((st = store_stmt(s, SQL_SEAL_REPLACE)) == NULL)
		return STORE_EIO;
	sqlite3_bind_blob(st, 1, blob, (int)blob_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	sqlite3_bind_text(st, 3, auditor_id, -1, SQLITE_STATIC);
	return store_step_one(s, st);
}

static const char SQL_SEAL_GET[] =
    "SELECT sealed FROM audit_reason_seals WHERE seq = ? AND auditor_id = ?";

int
store_audit_reason_seal_get(struct store *s, uint64_t seq,
    const char *auditor_id, uint8_t *out, size_t out_max, size_t *out_len)
{
	sqlite3_stmt *st;
	int rc, n;

	*out_len = 0;
	if (seq > (uint64_t)INT64_MAX)
		return STORE_ENOTFOUND;
	if ((st = store_stmt(s, SQL_SEAL_GET)) == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, (int64_t)seq);
	sqlite3_bind_text(st, 2, auditor_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		n = sqlite3_column_bytes(st, 0);
		if (n <= 0 || (size_t)n > out_max) {
			rc = STORE_ECORRUPT;
		} else {
			memcpy(out, sqlite3_column_blob(st, 0), (size_t)n);
			*out_len = (size_t)n;
			rc = STORE_OK;
		}
	} else {
		rc = rc == SQLITE_DONE ? STORE_ENOTFOUND :
		    store_err_from_sqlite(rc);
	}
	sqlite3_reset(st);
	return rc;
}

static const char SQL_REASON_PLAIN_FIRST[] =
    "SELECT seq, salt, reason FROM audit_reasons WHERE reason IS NOT NULL"
    " ORDER BY seq LIMIT 1";

int
store_audit_reason_plain_first(struct store *s, uint64_t *seq,
    uint8_t salt[STORE_AUDIT_SALT_BYTES], uint8_t *reason, size_t reason_max,
    size_t *reason_len)
{
	sqlite3_stmt *st;
	int rc, n;

	*reason_len = 0;
	if ((st = store_stmt(s, SQL_REASON_PLAIN_FIRST)) == NULL)
		return STORE_EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		n = sqlite3_column_bytes(st, 2);
		if (sqlite3_column_int64(st, 0) < 0 ||
		    sqlite3_column_bytes(st, 1) != STORE_AUDIT_SALT_BYTES ||
		    n <= 0 || (size_t)n > reason_max) {
			rc = STORE_ECORRUPT;
		} else {
			*seq = (uint64_t)sqlite3_column_int64(st, 0);
			memcpy(salt, sqlite3_column_blob(st, 1),
			    STORE_AUDIT_SALT_BYTES);
			memcpy(reason, sqlite3_column_blob(st, 2), (size_t)n);
			*reason_len = (size_t)n;
			rc = STORE_OK;
		}
	} else {
		rc = rc == SQLITE_DONE ? STORE_ENOTFOUND :
		    store_err_from_sqlite(rc);
	}
	sqlite3_reset(st);
	return rc;
}

static const char SQL_REASON_PLAIN_COUNT[] =
    "SELECT count(*) FROM audit_reasons WHERE reason IS NOT NULL";

int
store_audit_reason_plain_count(struct store *s, int64_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if ((st = store_stmt(s, SQL_REASON_PLAIN_COUNT)) == NULL)
		return STORE_EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : store_err_from_sqlite(rc);
}

static const char SQL_REASON_MARK_SEALED[] =
    "UPDATE audit_reasons SET salt = NULL, reason = NULL"
    " WHERE seq = ? AND reason IS NOT NULL";

int
store_audit_reason_mark_sealed(struct store *s, uint64_t seq)
{
	return run_seq(s, SQL_REASON_MARK_SEALED, seq & INT64_MAX);
}

static const char SQL_CP_INSERT[] =
    "INSERT INTO audit_checkpoints (size, note, created_ms) VALUES (?, ?, ?)";

int
store_audit_checkpoint_insert(struct store *s, uint64_t size,
    const char *note, size_t note_len, int64_t now_ms)
{
	sqlite3_stmt *st;

	if (size > (uint64_t)INT64_MAX || note_len == 0 || note_len > 8192)
		return STORE_ECONFLICT;
	if ((st = store_stmt(s, SQL_CP_INSERT)) == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, (int64_t)size);
	sqlite3_bind_blob(st, 2, note, (int)note_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	return store_step_done(st);
}

static const char SQL_CP_LATEST[] =
    "SELECT size, note FROM audit_checkpoints"
    " ORDER BY size DESC, id DESC LIMIT 1";

struct note_out {
	char	*note;
	size_t	 note_max;
	size_t	*note_len;
	uint64_t *size;
};

static int
row_to_checkpoint(sqlite3_stmt *st, void *arg)
{
	struct note_out *o = arg;
	int64_t size = sqlite3_column_int64(st, 0);

	if (size < 0 || sqlite3_column_blob(st, 1) == NULL ||
	    sqlite3_column_bytes(st, 1) <= 0 ||
	    store_copy_blob(st, 1, o->note, o->note_max, o->note_len) !=
	    STORE_OK)
		return STORE_ECORRUPT;
	*o->size = (uint64_t)size;
	return STORE_OK;
}

int
store_audit_checkpoint_latest(struct store *s, char *note, size_t note_max,
    size_t *note_len, uint64_t *size)
{
	struct note_out o = { note, note_max, note_len, size };

	return store_get_one(s, SQL_CP_LATEST, NULL, NULL, row_to_checkpoint,
	    &o);
}

static const char SQL_ORIGIN_GET[] =
    "SELECT v FROM meta WHERE k = 'audit_origin'";
static const char SQL_ORIGIN_SET[] =
    "INSERT INTO meta (k, v) VALUES ('audit_origin', ?)";

struct text_out {
	char	*out;
	size_t	 out_len;
};

/* A text kept as a blob: non-empty, no NUL inside, NUL-terminated here. */
static int
row_to_origin(sqlite3_stmt *st, void *arg)
{
	struct text_out *o = arg;
	const void *p = sqlite3_column_blob(st, 0);
	int n = sqlite3_column_bytes(st, 0);

	if (p == NULL || n <= 0 || (size_t)n >= o->out_len ||
	    memchr(p, '\0', (size_t)n) != NULL)
		return STORE_ECORRUPT;
	memcpy(o->out, p, (size_t)n);
	o->out[n] = '\0';
	return STORE_OK;
}

int
store_audit_origin_get(struct store *s, char *out, size_t out_len)
{
	struct text_out o = { out, out_len };

	return store_get_one(s, SQL_ORIGIN_GET, NULL, NULL, row_to_origin, &o);
}

int
store_audit_origin_set(struct store *s, const char *origin)
{
	sqlite3_stmt *st;

	if ((st = store_stmt(s, SQL_ORIGIN_SET)) == NULL)
		return STORE_EIO;
	sqlite3_bind_blob(st, 1, origin, (int)strlen(origin), SQLITE_STATIC);
	return store_step_done(st);
}

static const char SQL_TIME[] = "SELECT time_ms FROM audit_log WHERE seq = ?";

static int
row_to_time(sqlite3_stmt *st, void *time_ms)
{
	int64_t t = sqlite3_column_int64(st, 0);

	*(uint64_t *)time_ms = t < 0 ? 0 : (uint64_t)t;
	return STORE_OK;
}

int
store_audit_time(struct store *s, uint64_t seq, uint64_t *time_ms)
{
	sqlite3_stmt *st;

	if ((st = store_stmt(s, SQL_TIME)) == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, (int64_t)seq);
	return store_one_row(st, row_to_time, time_ms);
}

/* The action column is an index over the entry: the caller decodes the
 * entry and checks that it really is a rotation. */
static const char SQL_ROTATIONS[] =
    "SELECT seq, entry FROM audit_log INDEXED BY audit_by_action"
    " WHERE action = 26 AND seq >= 0 ORDER BY seq";

struct rotation_walk {
	int	(*cb)(void *arg, uint64_t seq, const uint8_t *entry, size_t len);
	void	*arg;
};

static int
walk_rotation(sqlite3_stmt *st, void *arg)
{
	struct rotation_walk *w = arg;
	int n = sqlite3_column_bytes(st, 1);

	return w->cb(w->arg, (uint64_t)sqlite3_column_int64(st, 0),
	    sqlite3_column_blob(st, 1), n > 0 ? (size_t)n : 0) != 0 ?
	    STORE_EIO : STORE_OK;
}

int
store_audit_each_rotation(struct store *s,
    int (*cb)(void *arg, uint64_t seq, const uint8_t *entry, size_t len),
    void *arg)
{
	struct rotation_walk w = { cb, arg };
	sqlite3_stmt *st;

	if ((st = store_stmt(s, SQL_ROTATIONS)) == NULL)
		return STORE_EIO;
	return store_each_row(st, walk_rotation, &w);
}

/* --- leaf cursor ---------------------------------------------------------- */

/* The covering index holds (seq, leaf hash) only: a scan of it reads a
 * fifth of the pages the table would (the entries stay unread). */
static const char SQL_LEAVES[] =
    "SELECT seq, leaf_hash FROM audit_log INDEXED BY audit_leaves"
    " WHERE seq >= ? ORDER BY seq";
static const char SQL_LEAVES_ENTRY[] =
    "SELECT seq, leaf_hash, entry FROM audit_log WHERE seq >= ? ORDER BY seq";

void
store_audit_leaves_init(struct store_audit_leaves *c, struct store *s,
    int with_entry)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->with_entry = with_entry;
}

int
store_audit_leaf_at(struct store_audit_leaves *c, uint64_t index,
    uint8_t out[STORE_AUDIT_LEAF_BYTES], uint64_t *found)
{
	sqlite3_stmt *st = c->st;
	uint8_t h[MERKLE_HASH_BYTES];
	const void *p;
	int64_t seq;
	int rc;

	*found = index;
	if (index > (uint64_t)INT64_MAX)
		return STORE_ENOTFOUND;
	if (!c->active || index != c->next) {
		st = store_stmt(c->s, c->with_entry ? SQL_LEAVES_ENTRY :
		    SQL_LEAVES);
		if (st == NULL)
			return STORE_EIO;
		sqlite3_bind_int64(st, 1, (int64_t)index);
		c->st = st;
		c->active = 1;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		c->active = 0;
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? STORE_ENOTFOUND :
		    store_err_from_sqlite(rc);
	}
	seq = sqlite3_column_int64(st, 0);
	c->next = (uint64_t)seq + 1;
	if ((uint64_t)seq != index) {
		*found = (uint64_t)seq;
		return STORE_ECORRUPT;
	}
	p = sqlite3_column_blob(st, 1);
	if (p == NULL || sqlite3_column_bytes(st, 1) != STORE_AUDIT_LEAF_BYTES)
		return STORE_ECORRUPT;
	memcpy(out, p, STORE_AUDIT_LEAF_BYTES);
	if (c->with_entry) {
		const void *e = sqlite3_column_blob(st, 2);
		int n = sqlite3_column_bytes(st, 2);

		merkle_leaf_hash(h, e, n > 0 ? (size_t)n : 0);
		if (memcmp(h, out, sizeof(h)) != 0)
			return STORE_ECORRUPT;
	}
	return STORE_OK;
}

void
store_audit_leaves_done(struct store_audit_leaves *c)
{
	if (c->active && c->st != NULL)
		sqlite3_reset(c->st);
	c->active = 0;
	c->st = NULL;
}

/* --- listing and export --------------------------------------------------- */

/* One statement per driving index, whose equality comes first so the
 * index yields matching rows in seq order; the other filters are applied
 * to those rows. ?1 after, ?2 actor, ?3 case, ?4 action, ?5 limit,
 * ?6 since, ?7 until (milliseconds). */
#define LIST_COLS \
    "SELECT l.seq, l.entry, r.reason, r.erased_at IS NOT NULL" \
    " FROM audit_log AS l "
#define LIST_JOIN \
    " LEFT JOIN audit_reasons AS r ON r.seq = l.seq"
#define LIST_AND \
    " l.seq > ?1 AND (?2 IS NULL OR l.actor_id = ?2)" \
    " AND (?3 IS NULL OR (l.object_type = 2 AND l.object_id = ?3))" \
    " AND (?4 IS NULL OR l.action = ?4)" \
    " AND (?6 IS NULL OR l.time_ms >= ?6) AND (?7 IS NULL OR l.time_ms < ?7)" \
    " ORDER BY l.seq LIMIT ?5"
#define LIST_REST	" WHERE" LIST_AND

static const char SQL_LIST_SEQ[] = LIST_COLS LIST_JOIN LIST_REST;
static const char SQL_LIST_CASE[] = LIST_COLS "INDEXED BY audit_by_object"
    LIST_JOIN " WHERE l.object_type = 2 AND l.object_id = ?3 AND" LIST_AND;
static const char SQL_LIST_ACTOR[] = LIST_COLS "INDEXED BY audit_by_actor"
    LIST_JOIN " WHERE l.actor_id = ?2 AND" LIST_AND;
static const char SQL_LIST_ACTION[] = LIST_COLS "INDEXED BY audit_by_action"
    LIST_JOIN " WHERE l.action = ?4 AND" LIST_AND;

struct item_walk {
	int	(*cb)(void *arg, const struct store_audit_item *it);
	void	*arg;
	int	 stop;		/* what a callback's non-zero answer gives */
	int	 reasons;	/* columns 2, 3: reason and its erased flag */
};

/* Columns seq, entry and, with reasons, reason and its erased flag. */
static int
walk_item(sqlite3_stmt *st, void *arg)
{
	struct item_walk *w = arg;
	struct store_audit_item it;
	int n = sqlite3_column_bytes(st, 1);

	memset(&it, 0, sizeof(it));
	it.seq = (uint64_t)sqlite3_column_int64(st, 0);
	it.entry = sqlite3_column_blob(st, 1);
	it.entry_len = n > 0 ? (size_t)n : 0;
	if (w->reasons) {
		it.reason = sqlite3_column_blob(st, 2);
		n = sqlite3_column_bytes(st, 2);
		it.reason_len = n > 0 ? (size_t)n : 0;
		if (it.reason_len == 0)
			it.reason = NULL;
		it.reason_erased = sqlite3_column_int(st, 3);
	}
	return w->cb(w->arg, &it) != 0 ? w->stop : STORE_OK;
}

int
store_audit_list(struct store *s, const struct store_audit_filter *f,
    int (*cb)(void *arg, const struct store_audit_item *it), void *arg)
{
	struct item_walk w = { cb, arg, 1, 1 };	/* 1: the caller has enough */
	const char *sql;
	sqlite3_stmt *st;

	if (f->case_id != NULL)
		sql = SQL_LIST_CASE;
	else if (f->actor_id != NULL)
		sql = SQL_LIST_ACTOR;
	else if (f->action != 0)
		sql = SQL_LIST_ACTION;
	else
		sql = SQL_LIST_SEQ;
	if ((st = store_stmt(s, sql)) == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, f->after < 0 ? -1 : f->after);
	store_bind_text(st, 2, f->actor_id);
	store_bind_text(st, 3, f->case_id);
	if (f->action != 0)
		sqlite3_bind_int(st, 4, f->action);
	sqlite3_bind_int(st, 5, (int)f->limit);
	if (f->has_since)
		sqlite3_bind_int64(st, 6, f->since_ms);
	else
		sqlite3_bind_null(st, 6);
	if (f->has_until)
		sqlite3_bind_int64(st, 7, f->until_ms);
	else
		sqlite3_bind_null(st, 7);
	return store_each_row(st, walk_item, &w);
}

static const char SQL_ENTRIES[] =
    "SELECT seq, entry FROM audit_log WHERE seq >= ? AND seq < ?"
    " ORDER BY seq LIMIT ?";

int
store_audit_entries(struct store *s, uint64_t from, uint64_t to,
    unsigned max, int (*cb)(void *arg, const struct store_audit_item *it),
    void *arg)
{
	struct item_walk w = { cb, arg, STORE_EIO, 0 };
	sqlite3_stmt *st;

	if ((st = store_stmt(s, SQL_ENTRIES)) == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, (int64_t)from);
	sqlite3_bind_int64(st, 2, (int64_t)to);
	sqlite3_bind_int(st, 3, (int)max);
	return store_each_row(st, walk_item, &w);
}

static const char SQL_CHECKPOINTS[] =
    "SELECT id, size, note FROM audit_checkpoints INDEXED BY"
    " audit_checkpoints_by_size WHERE size <= ?1 AND"
    " (size > ?2 OR (size = ?2 AND id > ?3)) ORDER BY size, id LIMIT ?4";

struct checkpoint_walk {
	int	(*cb)(void *arg, int64_t id, uint64_t size, const char *note,
		    size_t note_len);
	void	*arg;
};

static int
walk_checkpoint(sqlite3_stmt *st, void *arg)
{
	struct checkpoint_walk *w = arg;
	int64_t size = sqlite3_column_int64(st, 1);
	int n = sqlite3_column_bytes(st, 2);

	if (size < 0 || w->cb(w->arg, sqlite3_column_int64(st, 0),
	    (uint64_t)size, sqlite3_column_blob(st, 2),
	    n > 0 ? (size_t)n : 0) != 0)
		return STORE_EIO;
	return STORE_OK;
}

int
store_audit_checkpoints(struct store *s, uint64_t max_size,
    uint64_t after_size, int64_t after_id, unsigned max,
    int (*cb)(void *arg, int64_t id, uint64_t size, const char *note,
    size_t note_len), void *arg)
{
	struct checkpoint_walk w = { cb, arg };
	sqlite3_stmt *st;

	if ((st = store_stmt(s, SQL_CHECKPOINTS)) == NULL)
		return STORE_EIO;
	sqlite3_bind_int64(st, 1, (int64_t)max_size);
	/* "from the start": every size >= 0 is after (-1, ...) */
	sqlite3_bind_int64(st, 2, after_id < 0 ? -1 : (int64_t)after_size);
	sqlite3_bind_int64(st, 3, after_id);
	sqlite3_bind_int(st, 4, (int)max);
	return store_each_row(st, walk_checkpoint, &w);
}

int
store_audit_snapshot_begin(struct store *s)
{
	int rc;

	/* BEGIN is deferred: the first read below fixes the snapshot */
	rc = sqlite3_exec(store_db(s), "BEGIN", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(store_db(s),
		    "SELECT count(*) FROM audit_checkpoints WHERE id < 0",
		    NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		(void)sqlite3_exec(store_db(s), "ROLLBACK", NULL, NULL, NULL);
		return store_err_from_sqlite(rc);
	}
	return STORE_OK;
}

void
store_audit_snapshot_end(struct store *s)
{
	if (sqlite3_get_autocommit(store_db(s)))
		return;
	if (sqlite3_exec(store_db(s), "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		(void)sqlite3_exec(store_db(s), "ROLLBACK", NULL, NULL, NULL);
}
