/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_store: the SQLCipher store. Opening with a wrong key fails cleanly
 * with STORE_EKEY; the database file and its WAL never hold a known marker
 * in plaintext; migrations apply once; the audit table refuses UPDATE and
 * DELETE; an over-long or plaintext file is refused; an upgrade from
 * schema 4 counts the contacts each case already holds; concurrent pool
 * commits are all durable and visible while sharing fdatasync calls (group
 * commit).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "crypto/secmem.h"
#include "schema/migrations.h"
#include "schema/store.h"
#include "schema/store_case.h"
#include "schema/store_user.h"
#include "schema/store_contact.h"
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

/* Run sql on s; 0 on success. */
static int
exec_on(struct store *s, const char *sql)
{
	return sqlite3_exec(store_db(s), sql, NULL, NULL, NULL) == SQLITE_OK ?
	    0 : -1;
}

static int64_t
stored_count(struct store *s, const char *id)
{
	int64_t n;

	return store_contact_count(s, id, &n) == STORE_OK ? n : -1;
}

/*
 * A database at schema 4 whose cases already hold contacts, upgraded by
 * store_migrate: migration 0005 backfills each case's count from its rows
 * (3, 1, 0, and 0 for a tombstone), and its triggers keep counting
 * afterwards.
 */
static void
test_upgrade_contact_count(const char *dir)
{
#define U	"'uuuuuuuuuuuuuuuuuuuuuu'"
#define CASE(id, code) "INSERT INTO cases (id, codename, status, risk," \
	" region, household_size, created_by, created_at, updated_at," \
	" key_version, person, notes) VALUES ('" id "', '" code "'," \
	" 'intake', 'low', 'r', 1, " U ", 1, 1, 1, x'00', x'00')"
#define CONTACT(id, c) "INSERT INTO contacts (id, case_id, author_id," \
	" created_at, entry) VALUES ('" id "', '" c "', " U ", 1, x'00')"
	static const char *const rows[] = {
		"INSERT INTO users (id, username, role, status, pk, sk_sealed,"
		" created_at, updated_at) VALUES (" U ", 'cw', 'caseworker',"
		" 'active', zeroblob(32), x'00', 1, 1)",
		CASE("aaaaaaaaaaaaaaaaaaaaaa", "a-b-1"),
		CASE("bbbbbbbbbbbbbbbbbbbbbb", "a-b-2"),
		CASE("eeeeeeeeeeeeeeeeeeeeee", "a-b-3"),
		"INSERT INTO cases (id, codename, status, risk, region,"
		" household_size, created_by, created_at, updated_at,"
		" key_version, shredded, shredded_at) VALUES"
		" ('tttttttttttttttttttttt', 'a-b-4', 'closed', 'low', 'r', 1,"
		" " U ", 1, 1, 1, 1, 1)",
		CONTACT("a1aaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaa"),
		CONTACT("b1bbbbbbbbbbbbbbbbbbbb", "bbbbbbbbbbbbbbbbbbbbbb"),
		CONTACT("a2aaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaa"),
		CONTACT("a3aaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaa"),
	};
#undef CONTACT
#undef CASE
#undef U
	uint8_t key[32];
	char db[256], sql[96], side[300];
	struct store *s = NULL;
	unsigned i;

	snprintf(db, sizeof(db), "%s/v4.db", dir);
	secmem_random(key, sizeof(key));
	if (store_open(&s, db, key, 1) != STORE_OK) {
		fail("open %s", db);
		return;
	}
	check(exec_on(s, "CREATE TABLE schema_version (version INTEGER"
	    " PRIMARY KEY, applied_at INTEGER NOT NULL)") == 0);
	for (i = 0; i < migrations_count && migrations[i].version <= 4; i++) {
		check(exec_on(s, migrations[i].sql) == 0);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES"
		    " (%d, 1)", migrations[i].version);
		check(exec_on(s, sql) == 0);
	}
	check(i == 4 && store_schema_version(s) == 4);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check(exec_on(s, rows[i]) == 0);

	check(store_migrate(s) == STORE_OK);
	check(store_schema_version(s) == (int)migrations_count);
	check(stored_count(s, "aaaaaaaaaaaaaaaaaaaaaa") == 3);
	check(stored_count(s, "bbbbbbbbbbbbbbbbbbbbbb") == 1);
	check(stored_count(s, "eeeeeeeeeeeeeeeeeeeeee") == 0);
	check(stored_count(s, "tttttttttttttttttttttt") == 0);
	/* the triggers count from there on */
	check(exec_on(s, "INSERT INTO contacts (id, case_id, author_id,"
	    " created_at, entry) VALUES ('e1eeeeeeeeeeeeeeeeeeee',"
	    " 'eeeeeeeeeeeeeeeeeeeeee', 'uuuuuuuuuuuuuuuuuuuuuu', 2, x'00')")
	    == 0);
	check(exec_on(s, "DELETE FROM contacts WHERE case_id ="
	    " 'aaaaaaaaaaaaaaaaaaaaaa'") == 0);
	check(stored_count(s, "eeeeeeeeeeeeeeeeeeeeee") == 1);
	check(stored_count(s, "aaaaaaaaaaaaaaaaaaaaaa") == 0);
	check(stored_count(s, "bbbbbbbbbbbbbbbbbbbbbb") == 1);
	/* and a case made after the upgrade starts at 0 */
	check(exec_on(s, "INSERT INTO cases (id, codename, status, risk,"
	    " region, household_size, created_by, created_at, updated_at,"
	    " key_version, person, notes) VALUES ('nnnnnnnnnnnnnnnnnnnnnn',"
	    " 'a-b-5', 'intake', 'low', 'r', 1, 'uuuuuuuuuuuuuuuuuuuuuu', 1,"
	    " 1, 1, x'00', x'00')") == 0);
	check(stored_count(s, "nnnnnnnnnnnnnnnnnnnnnn") == 0);
	store_close(s);
	unlink(db);
	snprintf(side, sizeof(side), "%s-wal", db);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", db);
	unlink(side);
	secmem_wipe(key, sizeof(key));
}

/* Group commit (schema/store.c): many threads commit through the pool at
 * once; every store_write_end that answered STORE_OK is visible from a
 * fresh connection, the commit count matches, and fewer fdatasync calls
 * than commits were needed (each commit is covered by at least one). */
#define GC_THREADS	8
#define GC_COMMITS	100

/* A thread committing n transactions of sql through the pool; ok counts
 * those that store_write_end acknowledged. */
struct pool_job {
	const char	*sql;
	int		 n;
	int		 ok;
};

static void *
pool_worker(void *arg)
{
	struct pool_job *j = arg;

	for (int i = 0; i < j->n; i++) {
		struct store *s = store_pool_acquire();

		if (s == NULL || store_write_begin(s) != STORE_OK) {
			store_pool_release(s);
			continue;
		}
		if (sqlite3_exec(store_db(s), j->sql, NULL, NULL, NULL) ==
		    SQLITE_OK && store_write_end(s, 1) == STORE_OK)
			j->ok++;
		store_pool_release(s);
	}
	return NULL;
}

/* Run n (at most POOL_THREADS_MAX) threads committing sql at once
 * through the open pool; the sum of their acknowledged commits. */
#define POOL_THREADS_MAX	16

static int
pool_run(int n, const char *sql, int commits)
{
	pthread_t th[POOL_THREADS_MAX];
	struct pool_job jobs[POOL_THREADS_MAX];
	int total = 0;

	if (n > POOL_THREADS_MAX)
		n = POOL_THREADS_MAX;
	for (int i = 0; i < n; i++) {
		jobs[i].sql = sql;
		jobs[i].n = commits;
		jobs[i].ok = 0;
		check(pthread_create(&th[i], NULL, pool_worker, &jobs[i]) == 0);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		total += jobs[i].ok;
	}
	return total;
}

static void
test_group_commit(const char *dir)
{
	uint8_t key[32];
	char db[256], side[300];
	struct store *s = NULL;
	int total;
	uint64_t commits = 1, syncs = 1;
	sqlite3_stmt *st;

	snprintf(db, sizeof(db), "%s/gc.db", dir);
	secmem_random(key, sizeof(key));
	check(store_open(&s, db, key, 1) == STORE_OK);
	check(store_migrate(s) == STORE_OK);
	check(sqlite3_exec(store_db(s), "CREATE TABLE gc_t (x)", NULL, NULL,
	    NULL) == SQLITE_OK);
	store_close(s);
	s = NULL;

	check(store_pool_open(db, key, 4) == STORE_OK);
	store_group_stats(&commits, &syncs);
	check(commits == 0 && syncs == 0);
	total = pool_run(GC_THREADS, "INSERT INTO gc_t VALUES (1)", GC_COMMITS);
	check(total == GC_THREADS * GC_COMMITS);
	store_group_stats(&commits, &syncs);
	check(commits == (uint64_t)total);
	check(syncs >= 1 && syncs <= commits);
	check(store_durable_barrier() == STORE_OK);
	/* a rollback takes no ticket */
	s = store_pool_acquire();
	check(store_write_begin(s) == STORE_OK);
	check(store_write_end(s, 0) == STORE_OK);
	store_pool_release(s);
	store_group_stats(&commits, &syncs);
	check(commits == (uint64_t)total);
	store_pool_close();
	printf("group commit: %llu commits, %llu fdatasync\n",
	    (unsigned long long)commits, (unsigned long long)syncs);

	check(store_open(&s, db, key, 0) == STORE_OK);
	check(sqlite3_prepare_v2(store_db(s), "SELECT count(*) FROM gc_t", -1,
	    &st, NULL) == SQLITE_OK);
	check(sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_int(st, 0) == total);
	sqlite3_finalize(st);
	store_close(s);
	unlink(db);
	snprintf(side, sizeof(side), "%s-wal", db);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", db);
	unlink(side);
}

/*
 * The pool's connections never checkpoint inside a commit; a background
 * thread does. Under a steady stream of commits from two threads, with no
 * pause between them, the WAL must still stay bounded (an unlocked
 * checkpoint alone never catches up, and the WAL would hold everything
 * written: 24 MiB here), and every commit must be in the database after.
 */
#define WAL_THREADS	2
#define WAL_COMMITS	96	/* of 64 pages each, per thread */

static void
test_wal_checkpoints(const char *dir)
{
	uint8_t key[32];
	char db[256], side[300];
	struct store *s = NULL;
	int total;
	uint64_t before;
	sqlite3_stmt *st;
	struct stat sb;

	snprintf(db, sizeof(db), "%s/wal.db", dir);
	snprintf(side, sizeof(side), "%s-wal", db);
	secmem_random(key, sizeof(key));
	check(store_open(&s, db, key, 1) == STORE_OK);
	check(sqlite3_exec(store_db(s), "CREATE TABLE wal_t (x)", NULL, NULL,
	    NULL) == SQLITE_OK);
	store_close(s);
	s = NULL;

	before = store_wal_checkpoints();
	check(store_pool_open(db, key, 4) == STORE_OK);
	total = pool_run(WAL_THREADS, "WITH RECURSIVE c(i) AS "
	    "(SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 64) "
	    "INSERT INTO wal_t SELECT randomblob(4000) FROM c", WAL_COMMITS);
	check(total == WAL_THREADS * WAL_COMMITS);
	check(store_wal_checkpoints() > before);
	/* 12 288 pages were written; the WAL holds a few thousand at most */
	check(stat(side, &sb) == 0);
	check(sb.st_size < (off_t)6000 * 4120);
	printf("wal: %d commits, %llu background checkpoints, WAL %lld "
	    "bytes\n", total,
	    (unsigned long long)(store_wal_checkpoints() - before),
	    (long long)sb.st_size);
	store_pool_close();

	check(store_open(&s, db, key, 0) == STORE_OK);
	check(sqlite3_prepare_v2(store_db(s), "SELECT count(*) FROM wal_t", -1,
	    &st, NULL) == SQLITE_OK);
	check(sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_int(st, 0) == total * 64);
	sqlite3_finalize(st);
	store_close(s);
	unlink(db);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", db);
	unlink(side);
}

int
main(void)
{
	char dir[] = "/tmp/corridor-store-XXXXXX";

	if (secmem_init() != 0 || mkdtemp(dir) == NULL)
		return 1;
	test_roundtrip_and_no_plaintext(dir);
	test_refuses_plaintext_file(dir);
	test_upgrade_contact_count(dir);
	test_group_commit(dir);
	test_wal_checkpoints(dir);
	rmdir(dir);
	return test_done("test_store");
}
