/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store: open, key, verify and migrate the SQLCipher database, one
 * connection at a time, with its prepared-statement cache. Every pitfall listed in DESIGN.md for SQLCipher 3.4.1
 * is checked here: the codec must be present, the key must be exactly 64 hex
 * digits, the page size is set on every open, and the key is confirmed by a
 * read because PRAGMA key never fails.
 *
 * The pool, the write lock, group commit and the background WAL
 * checkpoints are store_pool.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/encode.h"
#include "crypto/secmem.h"
#include "schema/migrations.h"
#include "schema/store_tiles.h"
#include "schema/store.h"
#include "schema/store_int.h"


int
store_err_from_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:	return STORE_OK;
	case SQLITE_NOTADB:	return STORE_EKEY;
	case SQLITE_CORRUPT:	return STORE_ECORRUPT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:	return STORE_EBUSY;
	case SQLITE_NOMEM:	return STORE_ENOMEM;
	case SQLITE_CONSTRAINT:	return STORE_ECONFLICT;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_FULL:	return STORE_EIO;
	}
	return STORE_EIO;
}

const char *
store_strerror(int err)
{
	switch (err) {
	case STORE_OK:		return "ok";
	case STORE_EIO:		return "cannot open or write the database";
	case STORE_ENOCIPHER:	return "SQLite was built without SQLCipher";
	case STORE_EKEY:	return "wrong database key, or not a database";
	case STORE_ECORRUPT:	return "database is corrupt or was altered";
	case STORE_ESCHEMA:	return "database schema is unknown or newer";
	case STORE_EBUSY:	return "database is busy";
	case STORE_ENOMEM:	return "out of memory";
	case STORE_ENOTFOUND:	return "not found";
	case STORE_ECONFLICT:	return "conflict";
	}
	return "unknown error";
}

/* One-shot statement on a keyed connection; returns a store_err. */
int
store_exec(sqlite3 *db, const char *sql)
{
	return store_err_from_sqlite(sqlite3_exec(db, sql, NULL, NULL, NULL));
}

/* PRAGMA cipher_version answers only when the SQLCipher codec is linked. */
int
store_have_cipher(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA cipher_version", -1, &st, NULL)
	    == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		ok = 1;
	sqlite3_finalize(st);
	return ok;
}

static int
apply_key(sqlite3 *db, const uint8_t key[STORE_KEY_BYTES])
{
	/* "PRAGMA key = \"x'" + 64 hex + "'\"" */
	char hex[2 * STORE_KEY_BYTES + 1], sql[96];
	int n, rc;

	if (encode_hex(hex, sizeof(hex), key, STORE_KEY_BYTES) != 0)
		return STORE_EKEY;
	/* exactly 64 hex digits, or SQLCipher silently takes a passphrase */
	if (strlen(hex) != 64) {
		rc = STORE_EKEY;
		goto done;
	}
	n = snprintf(sql, sizeof(sql), "PRAGMA key = \"x'%s'\"", hex);
	if (n < 0 || (size_t)n >= sizeof(sql)) {
		rc = STORE_EKEY;
		goto done;
	}
	rc = store_exec(db, sql);
done:
	secmem_wipe(hex, sizeof(hex));
	secmem_wipe(sql, sizeof(sql));
	return rc;
}

/* Open and key path with the given open flags; tune: also set the
 * persistent and per-connection pragmas of a live database (journal mode
 * and friends), which store_open_existing must not. */
static int
open_keyed(struct store **out, const char *path,
    const uint8_t key[STORE_KEY_BYTES], int flags, int tune)
{
	struct store *s;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return STORE_ENOMEM;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		rc = STORE_EIO;
		goto fail;
	}
	if (!store_have_cipher(s->db)) {
		rc = STORE_ENOCIPHER;
		goto fail;
	}
	if ((rc = apply_key(s->db, key)) != STORE_OK)
		goto fail;
	/* must be set on every open, before the first read */
	if ((rc = store_exec(s->db, "PRAGMA cipher_page_size = 4096")) != STORE_OK)
		goto fail;
	/* PRAGMA key never fails: the first read is what checks the key */
	if ((rc = store_exec(s->db, "SELECT count(*) FROM sqlite_master")) != STORE_OK)
		goto fail;
	/* temp_store on every connection: sorts and temporary tables of an
	 * export must not spill to files outside the cipher */
	if ((rc = store_exec(s->db, "PRAGMA temp_store = MEMORY")) != STORE_OK)
		goto fail;
	if (tune && (rc = store_exec(s->db,
	    "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA secure_delete = ON;")) != STORE_OK)
		goto fail;
	sqlite3_busy_timeout(s->db, 5000);
	*out = s;
	return STORE_OK;
fail:
	store_close(s);
	return rc;
}

int
store_open(struct store **out, const char *path,
    const uint8_t key[STORE_KEY_BYTES], int create)
{
	return open_keyed(out, path, key, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0), 1);
}

int
store_open_existing(struct store **out, const char *path,
    const uint8_t key[STORE_KEY_BYTES])
{
	/* READWRITE, not READONLY: an ATTACH inherits the main database's
	 * open flags, and an export must be able to write its target.
	 * SQLite falls back to read-only for a file it cannot write. */
	return open_keyed(out, path, key, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, 0);
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(s->stmts[i].st);
	sqlite3_close(s->db);
	free(s);
}

sqlite3 *
store_db(struct store *s)
{
	return s->db;
}

sqlite3_stmt *
store_stmt(struct store *s, const char *sql)
{
	int i, empty = -1;

	for (i = 0; i < STMT_CACHE; i++) {
		if (s->stmts[i].sql == sql) {
			sqlite3_reset(s->stmts[i].st);
			sqlite3_clear_bindings(s->stmts[i].st);
			return s->stmts[i].st;
		}
		if (s->stmts[i].sql == NULL && empty == -1)
			empty = i;
	}
	if (empty == -1)
		abort();	/* invariant: STMT_CACHE covers every SQL text */
	if (sqlite3_prepare_v2(s->db, sql, -1, &s->stmts[empty].st, NULL)
	    != SQLITE_OK) {
		sqlite3_finalize(s->stmts[empty].st);
		s->stmts[empty].st = NULL;
		return NULL;
	}
	s->stmts[empty].sql = sql;
	return s->stmts[empty].st;
}

int
store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

int
store_schema_version(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int v = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT max(version) FROM schema_version",
	    -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
store_migrate(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int cur, rc;

	if ((rc = store_exec(s->db, "BEGIN IMMEDIATE")) != STORE_OK)
		return rc;
	if ((rc = store_exec(s->db, "CREATE TABLE IF NOT EXISTS schema_version ("
	    "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"))
	    != STORE_OK)
		goto fail;
	cur = store_schema_version(s);
	if (cur < 0 || (unsigned)cur > migrations_count) {
		rc = STORE_ESCHEMA;
		goto fail;
	}
	for (unsigned i = (unsigned)cur; i < migrations_count; i++) {
		if (store_exec(s->db, migrations[i].sql) != STORE_OK) {
			rc = STORE_ESCHEMA;
			goto fail;
		}
		/* the one migration with a C step: SQL cannot hash, so the
		 * tiles of an existing audit log are built here, in the
		 * migration's transaction (found by name so that renumbering
		 * the file changes nothing) */
		if (strstr(migrations[i].name, "_audit_tiles.sql") != NULL &&
		    store_tiles_build(s) != STORE_OK) {
			rc = STORE_ESCHEMA;
			goto fail;
		}
		if (sqlite3_prepare_v2(s->db, "INSERT INTO schema_version "
		    "(version, applied_at) VALUES (?, ?)", -1, &st, NULL)
		    != SQLITE_OK) {
			rc = STORE_ESCHEMA;
			goto fail;
		}
		sqlite3_bind_int(st, 1, migrations[i].version);
		sqlite3_bind_int64(st, 2, store_now());
		rc = sqlite3_step(st) == SQLITE_DONE ? STORE_OK : STORE_ESCHEMA;
		sqlite3_finalize(st);
		st = NULL;
		if (rc != STORE_OK)
			goto fail;
	}
	return store_exec(s->db, "COMMIT");
fail:
	(void)store_exec(s->db, "ROLLBACK");
	return rc;
}

/* --- clock ------------------------------------------------------------------ */

int64_t
store_now(void)
{
	return (int64_t)time(NULL);
}
