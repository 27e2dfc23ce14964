/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_cipher: export under another key, rekey in place, check a file
 * under a key. The raw key always travels as the 67-character key spec
 * x'<64 hex>' (anything else makes SQLCipher derive a key from a
 * passphrase), in a buffer wiped on every path. Results are verified by
 * reading the file back, because SQLCipher 3.4.1 reports neither a
 * plaintext ATTACH nor a failed rekey (see the header's WARNING).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto/encode.h"
#include "crypto/secmem.h"
#include "schema/store_cipher.h"
#include "schema/store_int.h"

#define EXPORT_ALIAS	"corridor_export"
/* "x'" + 64 hex + "'" = 67 characters, + NUL */
#define KEYSPEC_CHARS	(2u + 2u * STORE_KEY_BYTES + 1u)

static const char SQLITE_PLAIN_HEADER[16] = "SQLite format 3";	/* + NUL */

/* Fill spec with x'<hex>'; 0, or -1 (spec wiped). */
static int
keyspec(char spec[KEYSPEC_CHARS + 1], const uint8_t key[STORE_KEY_BYTES])
{
	char hex[2 * STORE_KEY_BYTES + 1];
	int n, rc = -1;

	if (encode_hex(hex, sizeof(hex), key, STORE_KEY_BYTES) != 0 ||
	    strlen(hex) != 2 * STORE_KEY_BYTES)
		goto done;
	n = snprintf(spec, KEYSPEC_CHARS + 1, "x'%s'", hex);
	if (n < 0 || (size_t)n != KEYSPEC_CHARS)
		goto done;
	rc = 0;
done:
	secmem_wipe(hex, sizeof(hex));
	if (rc != 0)
		secmem_wipe(spec, KEYSPEC_CHARS + 1);
	return rc;
}

/* One integer from a one-row query; a store_err. */
static int
query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return store_err_from_sqlite(rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = STORE_OK;
	} else {
		rc = rc == SQLITE_DONE ? STORE_ECORRUPT : store_err_from_sqlite(rc);
	}
	sqlite3_finalize(st);
	return rc;
}

int
store_cipher_file_plaintext(const char *path)
{
	char head[16];
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (off < sizeof(head)) {
		n = read(fd, head + off, sizeof(head) - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	return off == sizeof(head) &&
	    memcmp(head, SQLITE_PLAIN_HEADER, sizeof(head)) == 0;
}

/* Same schema and the same row count in every table, main vs the export;
 * run inside the export's transaction. A store_err. */
static int
same_content(sqlite3 *db)
{
	sqlite3_stmt *names = NULL;
	char *sql = NULL;
	int64_t same = 0;
	int rc, step;

	rc = query_int(db, "SELECT (SELECT count(*) FROM main.sqlite_master) = "
	    "(SELECT count(*) FROM " EXPORT_ALIAS ".sqlite_master)", &same);
	if (rc != STORE_OK)
		return rc;
	if (!same)
		return STORE_ECORRUPT;
	if (sqlite3_prepare_v2(db, "SELECT name FROM main.sqlite_master "
	    "WHERE type = 'table' AND rootpage > 0", -1, &names, NULL)
	    != SQLITE_OK)
		return STORE_EIO;
	while ((step = sqlite3_step(names)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(names, 0);

		if (name == NULL) {
			rc = STORE_ECORRUPT;
			goto done;
		}
		/* %w quotes an identifier; names come from the schema */
		sql = sqlite3_mprintf("SELECT (SELECT count(*) FROM main.\"%w\")"
		    " = (SELECT count(*) FROM " EXPORT_ALIAS ".\"%w\")",
		    name, name);
		if (sql == NULL) {
			rc = STORE_ENOMEM;
			goto done;
		}
		rc = query_int(db, sql, &same);
		sqlite3_free(sql);
		if (rc != STORE_OK)
			goto done;
		if (!same) {
			rc = STORE_ECORRUPT;
			goto done;
		}
	}
	rc = step == SQLITE_DONE ? STORE_OK : store_err_from_sqlite(step);
done:
	sqlite3_finalize(names);
	return rc;
}

/* fsync path, then the directory holding it (so the new name is durable).
 * 0 or -1. */
static int
sync_file_and_dir(const char *path)
{
	char dir[4096];
	int fd, rc = -1, n;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fsync(fd) != 0)
		goto done;
	close(fd);
	fd = -1;
	n = snprintf(dir, sizeof(dir), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(dir))
		goto done;
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto done;
	if (fsync(fd) != 0)
		goto done;
	rc = 0;
done:
	if (fd != -1)
		close(fd);
	return rc;
}

static void
remove_export(const char *path)
{
	char side[4200];
	int n;

	unlink(path);
	n = snprintf(side, sizeof(side), "%s-journal", path);
	if (n > 0 && (size_t)n < sizeof(side))
		unlink(side);
}

int
store_cipher_export(struct store *src, const char *dst_path,
    const uint8_t dst_key[STORE_KEY_BYTES])
{
	sqlite3 *db = store_db(src);
	sqlite3_stmt *st = NULL;
	char spec[KEYSPEC_CHARS + 1];
	int attached = 0, in_tx = 0, fd, rc;

	if (!store_have_cipher(db))
		return STORE_ENOCIPHER;
	if (keyspec(spec, dst_key) != 0)
		return STORE_EKEY;
	/* an empty file of our own, 0600, so SQLite neither picks the mode
	 * nor writes into something that was already there */
	fd = open(dst_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1) {
		secmem_wipe(spec, sizeof(spec));
		return STORE_EIO;
	}
	close(fd);

	/*
	 * Both the file name and the key are bound, never spliced into SQL.
	 * The key is bound as text "x'<hex>'": a NULL would reuse the main
	 * key and an empty value would write plaintext, so a failed bind is
	 * an error.
	 */
	rc = sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS " EXPORT_ALIAS
	    " KEY ?2", -1, &st, NULL);
	if (rc != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, dst_path, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, spec, (int)KEYSPEC_CHARS, SQLITE_STATIC)
	    != SQLITE_OK) {
		rc = STORE_EIO;
		goto fail;
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		rc = store_err_from_sqlite(rc);
		goto fail;
	}
	attached = 1;
	/* the page size is per database and must match what store_open sets */
	if ((rc = store_exec(db, "PRAGMA " EXPORT_ALIAS ".cipher_page_size = 4096;"
	    "PRAGMA " EXPORT_ALIAS ".synchronous = FULL;")) != STORE_OK)
		goto fail;
	/* one read transaction: every table copied from the same snapshot */
	if ((rc = store_exec(db, "BEGIN")) != STORE_OK)
		goto fail;
	in_tx = 1;
	if ((rc = store_exec(db, "SELECT sqlcipher_export('" EXPORT_ALIAS "')"))
	    != STORE_OK)
		goto fail;
	if ((rc = same_content(db)) != STORE_OK)
		goto fail;
	if ((rc = store_exec(db, "COMMIT")) != STORE_OK)
		goto fail;
	in_tx = 0;
	if ((rc = store_exec(db, "DETACH DATABASE " EXPORT_ALIAS)) != STORE_OK)
		goto fail;
	attached = 0;

	/* read it back: never plaintext, and readable under dst_key only */
	if (sync_file_and_dir(dst_path) != 0) {
		rc = STORE_EIO;
		goto fail;
	}
	if (store_cipher_file_plaintext(dst_path) != 0) {
		rc = STORE_ENOCIPHER;
		goto fail;
	}
	if ((rc = store_cipher_check(dst_path, dst_key)) != STORE_OK)
		goto fail;
	secmem_wipe(spec, sizeof(spec));
	return STORE_OK;
fail:
	sqlite3_finalize(st);
	if (in_tx)
		(void)store_exec(db, "ROLLBACK");
	if (attached)
		(void)store_exec(db, "DETACH DATABASE " EXPORT_ALIAS);
	secmem_wipe(spec, sizeof(spec));
	remove_export(dst_path);
	return rc;
}

int
store_cipher_rekey(struct store *s, const uint8_t key[STORE_KEY_BYTES],
    int *checkpointed)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	const char *path;
	/* PRAGMA rekey = "x'<64 hex>'" */
	char spec[KEYSPEC_CHARS + 1], sql[32 + KEYSPEC_CHARS];
	int n, rc;

	*checkpointed = 0;
	if (!store_have_cipher(db))
		return STORE_ENOCIPHER;
	/* rekey on a plaintext file does nothing and says nothing */
	path = sqlite3_db_filename(db, "main");
	if (path == NULL || path[0] == '\0' ||
	    store_cipher_file_plaintext(path) != 0)
		return STORE_EKEY;
	if (keyspec(spec, key) != 0)
		return STORE_EKEY;
	n = snprintf(sql, sizeof(sql), "PRAGMA rekey = \"%s\"", spec);
	secmem_wipe(spec, sizeof(spec));
	if (n < 0 || (size_t)n >= sizeof(sql)) {
		rc = STORE_EKEY;
		goto done;
	}
	if ((rc = store_exec(db, sql)) != STORE_OK)
		goto done;
	/* still readable on this connection, now under the new key */
	if ((rc = store_exec(db, "SELECT count(*) FROM sqlite_master")) != STORE_OK)
		goto done;
	/* move every page into the main file and empty the WAL, so no page
	 * under the old key is left behind (the busy timeout waits for
	 * readers such as a running backup) */
	if (sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*checkpointed = sqlite3_column_int(st, 0) == 0;
	sqlite3_finalize(st);
	rc = STORE_OK;
done:
	secmem_wipe(sql, sizeof(sql));
	return rc;
}

int
store_cipher_check(const char *path, const uint8_t key[STORE_KEY_BYTES])
{
	struct store *s = NULL;
	sqlite3_stmt *st = NULL;
	const unsigned char *res;
	int rc;

	if ((rc = store_open_existing(&s, path, key)) != STORE_OK)
		return rc;
	rc = sqlite3_prepare_v2(store_db(s), "PRAGMA quick_check", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = store_err_from_sqlite(rc);
		goto done;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = store_err_from_sqlite(rc);
		if (rc == STORE_OK)
			rc = STORE_ECORRUPT;
		goto done;
	}
	res = sqlite3_column_text(st, 0);
	rc = res != NULL && strcmp((const char *)res, "ok") == 0 ?
	    STORE_OK : STORE_ECORRUPT;
done:
	sqlite3_finalize(st);
	store_close(s);
	return rc;
}
