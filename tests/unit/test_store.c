/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_store: the SQLCipher store. Opening with a wrong key fails cleanly
 * with STORE_EKEY; the database file and its WAL never hold a known marker
 * in plaintext; migrations apply once; the audit table refuses UPDATE and
 * DELETE; an over-long or plaintext file is refused.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/secmem.h"
#include "schema/migrations.h"
#include "schema/store.h"
#include "schema/store_user.h"
#include "testutil.h"

#define MARKER "MARKER-Zelimkhan-+79281234567"

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

static void
test_roundtrip_and_no_plaintext(const char *dir)
{
	uint8_t key[32], wrong[32];
	char db[256], wal[300];
	struct store *s = NULL, *s2 = NULL;
	struct user_row u, got;

	snprintf(db, sizeof(db), "%s/t.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	secmem_random(key, sizeof(key));
	memcpy(wrong, key, sizeof(key));
	wrong[0] ^= 1;

	check(store_open(&s, db, key, 1) == STORE_OK);
	check(store_migrate(s) == STORE_OK);
	check(store_schema_version(s) == (int)migrations_count);
	/* idempotent */
	check(store_migrate(s) == STORE_OK);

	memset(&u, 0, sizeof(u));
	snprintf(u.id, sizeof(u.id), "AAAAAAAAAAAAAAAAAAAAAA");
	snprintf(u.username, sizeof(u.username), "%s", MARKER);
	u.role = ROLE_CASEWORKER;
	u.status = USER_ACTIVE;
	check(store_write_begin(s) == STORE_OK);
	check(store_user_insert(s, &u) == STORE_OK);
	check(store_user_insert(s, &u) == STORE_ECONFLICT);
	check(store_write_end(s, 1) == STORE_OK);
	check(store_user_by_name(s, MARKER, &got) == STORE_OK);
	check(strcmp(got.id, u.id) == 0 && got.role == ROLE_CASEWORKER);
	check(store_user_by_name(s, "nobody", &got) == STORE_ENOTFOUND);

	/* while open, the WAL holds the new pages: neither file has the
	 * marker in clear */
	check(access(wal, F_OK) == 0);
	check(!file_contains(wal, MARKER));
	check(!file_contains(db, MARKER));
	check(!file_contains(db, "SQLite format 3"));

	/* audit log is append-only */
	check(sqlite3_exec(store_db(s), "INSERT INTO audit_log (seq, time_ms,"
	    " actor_id, role, action, object_type, object_id, outcome,"
	    " request_id, entry, leaf_hash) VALUES (0, 1, '', 0, 1, 0, '', 1,"
	    " 'r', zeroblob(28), zeroblob(32))", NULL, NULL, NULL) == SQLITE_OK);
	check(sqlite3_exec(store_db(s), "UPDATE audit_log SET outcome = 2",
	    NULL, NULL, NULL) != SQLITE_OK);
	check(sqlite3_exec(store_db(s), "DELETE FROM audit_log", NULL, NULL,
	    NULL) != SQLITE_OK);

	/* a second connection with the wrong key fails cleanly */
	check(store_open(&s2, db, wrong, 0) == STORE_EKEY);
	check(s2 == NULL);
	store_close(s);

	check(!file_contains(db, MARKER));
	check(store_open(&s, db, wrong, 0) == STORE_EKEY);
	check(store_open(&s, db, key, 0) == STORE_OK);
	check(store_user_by_name(s, MARKER, &got) == STORE_OK);
	store_close(s);
	unlink(db);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", db);
	unlink(wal);
}

static void
test_refuses_plaintext_file(const char *dir)
{
	uint8_t key[32];
	char db[256];
	sqlite3 *plain;
	struct store *s = NULL;

	snprintf(db, sizeof(db), "%s/plain.db", dir);
	/* a file made without a key is plaintext: keying it must not read */
	check(sqlite3_open(db, &plain) == SQLITE_OK);
	check(sqlite3_exec(plain, "CREATE TABLE t(x); INSERT INTO t VALUES(1);",
	    NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(plain);
	secmem_random(key, sizeof(key));
	check(store_open(&s, db, key, 0) == STORE_EKEY);
	unlink(db);
	/* a missing file without create */
	snprintf(db, sizeof(db), "%s/missing.db", dir);
	check(store_open(&s, db, key, 0) != STORE_OK);
}

int
main(void)
{
	char dir[] = "/tmp/corridor-store-XXXXXX";

	if (secmem_init() != 0 || mkdtemp(dir) == NULL)
		return 1;
	test_roundtrip_and_no_plaintext(dir);
	test_refuses_plaintext_file(dir);
	rmdir(dir);
	return test_done("test_store");
}
