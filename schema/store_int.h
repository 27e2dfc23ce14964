/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_int: helpers private to schema/'s data-access files, the row
 * handling each of them needs: stepping a prepared statement, copying a
 * text column into a fixed buffer, binding and duplicating blobs,
 * collecting an id column, and mapping an enum name column to its code.
 * Nothing outside schema/ includes this header. Functions return a
 * store_err unless said otherwise.
 */
#ifndef CORRIDOR_STORE_INT_H
#define CORRIDOR_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"

/* Copy text column value src (NULL = "") into dst (dst_len bytes, at
 * least 1), truncated to fit and always NUL-terminated. The callers' row
 * buffers are sized from the schema's caps, so truncation means a corrupt
 * row, which each row_to_* then rejects by length where it matters. */
void store_copy_text(char *dst, size_t dst_len, const unsigned char *src);

/* Step st once, reset it, and STORE_OK if it was done (no row). */
int store_step_done(sqlite3_stmt *st);

/* store_step_done, then STORE_ENOTFOUND unless exactly one row changed. */
int store_step_one(struct store *s, sqlite3_stmt *st);

/* Bind p (len bytes) as a blob copy at i; p NULL binds SQL NULL, and a
 * zero-length non-NULL p binds an empty blob (not NULL). */
void store_bind_blob(sqlite3_stmt *st, int i, const uint8_t *p, size_t len);

/* Copy blob column i into a fresh malloc'd buffer (*out NULL for SQL
 * NULL). The caller frees *out with free(), after wiping it if it held
 * anything secret. */
int store_dup_blob(sqlite3_stmt *st, int i, uint8_t **out, size_t *out_len);

/* Run st (bound by the caller) and append column 0 of each row to out. */
int store_collect_ids(sqlite3_stmt *st, struct store_ids *out);

/* The index of s in the NULL-terminated names, or -1 (also for s NULL). */
int store_name_index(const char *const *names, const unsigned char *s);

/* Step st (bound by the caller) once and map its row with row(st, out),
 * whose store_err is returned; STORE_ENOTFOUND when there is no row (row
 * is not called). st is reset on return. */
int store_one_row(sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *),
    void *out);

/*
 * The statements keyed by up to two ids. Each prepares sql (store_stmt)
 * and binds a as text ?1 and b as ?2; a NULL id is left unbound, which
 * reads as NULL (a statement with one parameter or none passes NULLs).
 * Each returns a store_err, STORE_EIO when the statement cannot be
 * prepared.
 */
/* Run the statement; it returns no rows. */
int store_run_ids(struct store *s, const char *sql, const char *a,
    const char *b);
/* store_run_ids, then STORE_ENOTFOUND unless exactly one row changed. */
int store_run_one(struct store *s, const char *sql, const char *a,
    const char *b);
/* Append column 0 of each row to out (store_collect_ids). */
int store_list_ids(struct store *s, const char *sql, const char *a,
    const char *b, struct store_ids *out);
/* *yes = 1 if the statement returns a row, else 0. */
int store_exists(struct store *s, const char *sql, const char *a,
    const char *b, int *yes);
/* store_one_row over the statement. */
int store_get_one(struct store *s, const char *sql, const char *a,
    const char *b, int (*row)(sqlite3_stmt *, void *), void *out);

/* Step st (bound by the caller) through its rows, calling fn(st, arg) on
 * each: fn returns STORE_OK to go on, a store_err to stop with it, or 1
 * to stop with STORE_OK. st is reset on return. */
int store_each_row(sqlite3_stmt *st, int (*fn)(sqlite3_stmt *, void *),
    void *arg);

/* Copy blob column i, at most out_max bytes, into out and set *out_len;
 * STORE_ECORRUPT (nothing copied) if it is larger. The caller rejects an
 * empty value where that is corrupt. */
int store_copy_blob(sqlite3_stmt *st, int i, void *out, size_t out_max,
    size_t *out_len);

/* A connection: the handle, its transaction state and its statement
 * cache. store.c opens and closes it; store_pool.c lends it out. */
#define STMT_CACHE	192	/* distinct SQL texts per connection; the case
				 * files add about 80 to the accounts' 20 */

struct stmt_slot {
	const char	*sql;
	sqlite3_stmt	*st;
};

struct store {
	sqlite3		*db;
	int		 in_write;
	int		 in_read;	/* a read snapshot is open */
	int		 busy;		/* held by a request (pool) */
	int		 group;		/* pool member: group commit */
	struct stmt_slot stmts[STMT_CACHE];
};

/* Run one SQL statement with no result rows on db. */
int store_exec(sqlite3 *db, const char *sql);

/* 1 if the linked SQLite has the SQLCipher codec (PRAGMA cipher_version
 * answers), else 0. */
int store_have_cipher(sqlite3 *db);

#endif
