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

#endif
