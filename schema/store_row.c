/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_row: what every data-access file of schema/ does with a row:
 * step, copy text, bind and duplicate blobs, collect ids (store_int.h),
 * and the growable id lists the callers get back (store.h).
 */
#include <stdlib.h>
#include <string.h>

#include "schema/store_int.h"

int
store_name_index(const char *const *names, const unsigned char *s)
{
	if (s == NULL)
		return -1;
	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], (const char *)s) == 0)
			return i;
	return -1;
}

void
store_copy_text(char *dst, size_t dst_len, const unsigned char *src)
{
	size_t n = src ? strlen((const char *)src) : 0;

	if (n >= dst_len)
		n = dst_len - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

int
store_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store_err_from_sqlite(rc);
}

int
store_step_one(struct store *s, sqlite3_stmt *st)
{
	int rc = store_step_done(st);

	if (rc != STORE_OK)
		return rc;
	return sqlite3_changes(store_db(s)) == 1 ? STORE_OK : STORE_ENOTFOUND;
}

void
store_bind_blob(sqlite3_stmt *st, int i, const uint8_t *p, size_t len)
{
	if (p == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_blob(st, i, len ? p : (const uint8_t *)"", (int)len,
		    SQLITE_TRANSIENT);
}

int
store_dup_blob(sqlite3_stmt *st, int i, uint8_t **out, size_t *out_len)
{
	const void *p = sqlite3_column_blob(st, i);
	int n = sqlite3_column_bytes(st, i);

	*out = NULL;
	*out_len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return STORE_OK;
	if (n < 0)
		return STORE_ECORRUPT;
	if ((*out = malloc(n > 0 ? (size_t)n : 1)) == NULL)
		return STORE_ENOMEM;
	if (n > 0)
		memcpy(*out, p, (size_t)n);
	*out_len = (size_t)n;
	return STORE_OK;
}

int
store_ids_push(struct store_ids *l, const char *id)
{
	size_t n = strlen(id);

	if (n != ID_CHARS)
		return STORE_ECORRUPT;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *p;

		if (cap > SIZE_MAX / sizeof(*l->id) ||
		    (p = realloc(l->id, cap * sizeof(*l->id))) == NULL)
			return STORE_ENOMEM;
		l->id = p;
		l->cap = cap;
	}
	memcpy(l->id[l->n], id, n + 1);
	l->n++;
	return STORE_OK;
}

int
store_ids_has(const struct store_ids *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->id[i], id) == 0)
			return 1;
	return 0;
}

void
store_ids_free(struct store_ids *l)
{
	if (l == NULL)
		return;
	free(l->id);
	memset(l, 0, sizeof(*l));
}

static int
push_id(sqlite3_stmt *st, void *out)
{
	const unsigned char *id = sqlite3_column_text(st, 0);

	if (id == NULL)
		return STORE_ECORRUPT;
	return store_ids_push(out, (const char *)id);
}

int
store_collect_ids(sqlite3_stmt *st, struct store_ids *out)
{
	return store_each_row(st, push_id, out);
}

/* store_stmt, then ?1 = a and ?2 = b. A NULL id is left unbound:
 * store_stmt cleared the bindings, so it reads as NULL all the same. */
static sqlite3_stmt *
stmt_ids(struct store *s, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st == NULL)
		return NULL;
	if (a != NULL)
		store_bind_text(st, 1, a);
	if (b != NULL)
		store_bind_text(st, 2, b);
	return st;
}

int
store_run_ids(struct store *s, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st = stmt_ids(s, sql, a, b);

	return st == NULL ? STORE_EIO : store_step_done(st);
}

int
store_run_one(struct store *s, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st = stmt_ids(s, sql, a, b);

	return st == NULL ? STORE_EIO : store_step_one(s, st);
}

int
store_list_ids(struct store *s, const char *sql, const char *a, const char *b,
    struct store_ids *out)
{
	sqlite3_stmt *st = stmt_ids(s, sql, a, b);

	return st == NULL ? STORE_EIO : store_collect_ids(st, out);
}

int
store_exists(struct store *s, const char *sql, const char *a, const char *b,
    int *yes)
{
	sqlite3_stmt *st = stmt_ids(s, sql, a, b);
	int rc;

	*yes = 0;
	if (st == NULL)
		return STORE_EIO;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW) {
		*yes = 1;
		return STORE_OK;
	}
	return rc == SQLITE_DONE ? STORE_OK : store_err_from_sqlite(rc);
}

int
store_one_row(sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *),
    void *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = row(st, out);
	else if (rc == SQLITE_DONE)
		rc = STORE_ENOTFOUND;
	else
		rc = store_err_from_sqlite(rc);
	sqlite3_reset(st);
	return rc;
}

int
store_get_one(struct store *s, const char *sql, const char *a, const char *b,
    int (*row)(sqlite3_stmt *, void *), void *out)
{
	sqlite3_stmt *st = stmt_ids(s, sql, a, b);

	return st == NULL ? STORE_EIO : store_one_row(st, row, out);
}

int
store_each_row(sqlite3_stmt *st, int (*fn)(sqlite3_stmt *, void *), void *arg)
{
	int rc, r = STORE_OK;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    (r = fn(st, arg)) == STORE_OK)
		;
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)		/* fn stopped the walk */
		return r > 0 ? STORE_OK : r;
	return rc == SQLITE_DONE ? STORE_OK : store_err_from_sqlite(rc);
}

int
store_copy_blob(sqlite3_stmt *st, int i, void *out, size_t out_max,
    size_t *out_len)
{
	const void *p = sqlite3_column_blob(st, i);
	int n = sqlite3_column_bytes(st, i);

	if (n < 0 || (size_t)n > out_max)
		return STORE_ECORRUPT;
	if (n > 0)
		memcpy(out, p, (size_t)n);
	*out_len = (size_t)n;
	return STORE_OK;
}
