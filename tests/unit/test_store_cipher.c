/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_store_cipher: whole-file key operations with known keys. An export
 * is encrypted (no plaintext header, no marker anywhere in the file), opens
 * under its own key only, holds every row of every table (counters copied
 * as they are, and the triggers that keep them), is a snapshot that leaves
 * out an uncommitted write, and refuses to overwrite. A rekey
 * leaves the old key useless, the data intact and no WAL behind. A flipped
 * byte in a copy fails its check. Plaintext files are recognised.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/secmem.h"
#include "schema/migrations.h"
#include "schema/store.h"
#include "schema/store_cipher.h"
#include "testutil.h"

#define MARKER		"MARKER-Zelimkhan-+79281234567"
#define BULK_ROWS	2000	/* enough pages to make the copy non-trivial */
#define CASE_ID		"'cccccccccccccccccccccc'"

static int
file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	int found;

	if (f == NULL)
		return 0;
	buf = malloc(16 << 20);
	n = fread(buf, 1, 16 << 20, f);
	fclose(f);
	found = memmem(buf, n, needle, strlen(needle)) != NULL;
	free(buf);
	return found;
}

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static int
exec_sql(struct store *s, const char *sql)
{
	return sqlite3_exec(store_db(s), sql, NULL, NULL, NULL) == SQLITE_OK;
}

static int64_t
count(struct store *s, const char *table)
{
	sqlite3_stmt *st = NULL;
	char sql[128];
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The stored contact count of CASE_ID, -1 if none. */
static int64_t
stored_count(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (sqlite3_prepare_v2(store_db(s), "SELECT contact_count FROM"
	    " contact_counts WHERE case_id = " CASE_ID, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* A database under key with a user, audit rows, a case with two contacts
 * and a bulk table, the user and audit rows carrying MARKER. */
static struct store *
make_db(const char *path, const uint8_t key[32])
{
	struct store *s = NULL;
	char sql[512];

	if (store_open(&s, path, key, 1) != STORE_OK)
		return NULL;
	check(store_migrate(s) == STORE_OK);
	check(exec_sql(s, "INSERT INTO users (id, username, role, status, pk, "
	    "sk_sealed, created_at, updated_at) VALUES ("
	    "'AAAAAAAAAAAAAAAAAAAAAA', '" MARKER "', 'caseworker', 'active', "
	    "zeroblob(32), x'00', 0, 0)"));
	for (int i = 0; i < 5; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO audit_log (seq, time_ms, "
		    "actor_id, role, action, object_type, object_id, outcome, "
		    "request_id, entry, leaf_hash) VALUES (%d, 0, '" MARKER
		    "', 1, 1, 1, '', 1, 'r', zeroblob(28), zeroblob(32))", i);
		check(exec_sql(s, sql));
	}
	/* a case holding two contacts, counted by the triggers of 0005 */
	check(exec_sql(s, "INSERT INTO cases (id, codename, status, risk,"
	    " region, household_size, created_by, created_at, updated_at,"
	    " key_version, person, notes) VALUES (" CASE_ID ", 'a-b-1',"
	    " 'intake', 'low', 'r', 1, 'AAAAAAAAAAAAAAAAAAAAAA', 0, 0, 1,"
	    " x'00', x'00')"));
	for (int i = 1; i <= 2; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO contacts (id, case_id,"
		    " author_id, created_at, entry) VALUES"
		    " ('kkkkkkkkkkkkkkkkkkkkk%d', " CASE_ID ","
		    " 'AAAAAAAAAAAAAAAAAAAAAA', 0, x'00')", i);
		check(exec_sql(s, sql));
	}
	check(exec_sql(s, "CREATE TABLE bulk (x TEXT)"));
	check(exec_sql(s, "BEGIN"));
	for (int i = 0; i < BULK_ROWS; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO bulk VALUES "
		    "('" MARKER "-%d')", i);
		if (!exec_sql(s, sql)) {
			fail("bulk insert");
			break;
		}
	}
	check(exec_sql(s, "COMMIT"));
	return s;
}

static void
test_export(const char *dir)
{
	uint8_t k1[32], k2[32];
	char db[256], out[256], out2[256];
	struct store *s = NULL, *w = NULL, *c = NULL;

	snprintf(db, sizeof(db), "%s/src.db", dir);
	snprintf(out, sizeof(out), "%s/copy.db", dir);
	snprintf(out2, sizeof(out2), "%s/copy2.db", dir);
	secmem_random(k1, sizeof(k1));
	secmem_random(k2, sizeof(k2));
	if ((s = make_db(db, k1)) == NULL) {
		fail("make_db");
		return;
	}
	/* a writer with an uncommitted row: the copy must not see it */
	check(store_open(&w, db, k1, 0) == STORE_OK);
	check(exec_sql(w, "BEGIN IMMEDIATE"));
	check(exec_sql(w, "INSERT INTO bulk VALUES ('uncommitted')"));

	check(store_cipher_export(s, out, k2) == STORE_OK);
	check(exec_sql(w, "COMMIT"));
	check(count(s, "bulk") == BULK_ROWS + 1);

	/* encrypted: no plaintext header, no marker anywhere */
	check(file_size(out) > 4096 * 10);
	check(store_cipher_file_plaintext(out) == 0);
	check(!file_contains(out, MARKER));
	check(!file_contains(out, "SQLite format 3"));
	/* under its own key only: neither the source's key nor none */
	check(store_cipher_check(out, k2) == STORE_OK);
	check(store_cipher_check(out, k1) == STORE_EKEY);
	/* every row, the schema, and not the uncommitted one */
	check(store_open_existing(&c, out, k2) == STORE_OK);
	if (c != NULL) {
		check(count(c, "users") == 1);
		check(count(c, "audit_log") == 5);
		check(count(c, "bulk") == BULK_ROWS);
		check(store_schema_version(c) == (int)migrations_count);
		/* the append-only triggers came along */
		check(!exec_sql(c, "DELETE FROM audit_log"));
		check(count(c, "audit_log") == 5);
		/* the contact count was copied, not counted again, and its
		 * triggers came along too */
		check(count(c, "contacts") == 2);
		check(stored_count(c) == 2);
		check(exec_sql(c, "DELETE FROM contacts WHERE id ="
		    " 'kkkkkkkkkkkkkkkkkkkkk1'"));
		check(stored_count(c) == 1);
	}
	store_close(c);
	c = NULL;

	/* never over an existing file, and the existing file is left alone */
	check(store_cipher_export(s, out, k1) == STORE_EIO);
	check(store_cipher_check(out, k2) == STORE_OK);

	/* a copy of a copy, from a connection that changes nothing (restore) */
	check(store_open_existing(&c, out, k2) == STORE_OK);
	if (c != NULL)
		check(store_cipher_export(c, out2, k1) == STORE_OK);
	store_close(c);
	check(store_cipher_check(out2, k1) == STORE_OK);
	check(file_size(out) > 0 && store_cipher_file_plaintext(out) == 0);

	store_close(w);
	store_close(s);
	secmem_wipe(k1, sizeof(k1));
	secmem_wipe(k2, sizeof(k2));
}

static void
test_tampered_copy(const char *dir)
{
	uint8_t k1[32], k2[32], b;
	char db[256], out[256];
	struct store *s = NULL;
	int fd;

	snprintf(db, sizeof(db), "%s/t-src.db", dir);
	snprintf(out, sizeof(out), "%s/t-copy.db", dir);
	secmem_random(k1, sizeof(k1));
	secmem_random(k2, sizeof(k2));
	if ((s = make_db(db, k1)) == NULL) {
		fail("make_db");
		return;
	}
	check(store_cipher_export(s, out, k2) == STORE_OK);
	store_close(s);
	/* flip one byte in the fourth page */
	fd = open(out, O_RDWR);
	check(fd != -1);
	check(pread(fd, &b, 1, 4096 * 3 + 100) == 1);
	b ^= 0x01;
	check(pwrite(fd, &b, 1, 4096 * 3 + 100) == 1);
	close(fd);
	check(store_cipher_check(out, k2) == STORE_ECORRUPT);
}

static void
test_rekey(const char *dir)
{
	uint8_t k1[32], k3[32];
	char db[256], wal[300];
	struct store *s = NULL;
	int ck = -1;

	snprintf(db, sizeof(db), "%s/rekey.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	secmem_random(k1, sizeof(k1));
	secmem_random(k3, sizeof(k3));
	if ((s = make_db(db, k1)) == NULL) {
		fail("make_db");
		return;
	}
	check(store_cipher_rekey(s, k3, &ck) == STORE_OK);
	check(ck == 1);
	/* the WAL was checkpointed and truncated: nothing old left there */
	check(file_size(wal) <= 0);
	/* still usable on the same connection */
	check(count(s, "bulk") == BULK_ROWS);
	check(exec_sql(s, "INSERT INTO bulk VALUES ('after')"));
	store_close(s);
	s = NULL;
	check(store_cipher_check(db, k3) == STORE_OK);
	check(store_cipher_check(db, k1) == STORE_EKEY);
	check(store_cipher_file_plaintext(db) == 0);
	check(!file_contains(db, MARKER));
	check(store_open(&s, db, k3, 0) == STORE_OK);
	if (s != NULL) {
		check(count(s, "bulk") == BULK_ROWS + 1);
		check(count(s, "users") == 1);
	}
	store_close(s);
	secmem_wipe(k1, sizeof(k1));
	secmem_wipe(k3, sizeof(k3));
}

static void
test_plaintext_detected(const char *dir)
{
	uint8_t k[32];
	char db[256], none[256];
	sqlite3 *p = NULL;
	struct store *s = NULL;

	snprintf(db, sizeof(db), "%s/plain.db", dir);
	snprintf(none, sizeof(none), "%s/does-not-exist.db", dir);
	/* SQLCipher without a key writes an ordinary SQLite file */
	check(sqlite3_open(db, &p) == SQLITE_OK);
	check(sqlite3_exec(p, "CREATE TABLE t (x); INSERT INTO t VALUES (1)",
	    NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(p);
	check(store_cipher_file_plaintext(db) == 1);
	check(store_cipher_file_plaintext(none) == -1);
	secmem_random(k, sizeof(k));
	/* and no key opens it as ours */
	check(store_open_existing(&s, db, k) == STORE_EKEY);
	check(s == NULL);
	check(store_cipher_check(db, k) == STORE_EKEY);
}

int
main(void)
{
	char dir[] = "/tmp/corridor-test-cipher-XXXXXX";
	char cmd[128];

	if (secmem_init() != 0) {
		fail("sodium_init");
		return 1;
	}
	if (mkdtemp(dir) == NULL) {
		fail("mkdtemp");
		return 1;
	}
	test_export(dir);
	test_tampered_copy(dir);
	test_rekey(dir);
	test_plaintext_detected(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fail("cleanup");
	return test_done("test_store_cipher");
}
