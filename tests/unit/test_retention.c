/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_retention: the retention sweep against a real SQLCipher store.
 * closed_at follows the status (set on closing, kept while closed, cleared
 * on reopening); the due listing walks its partial index; at a given time
 * a case closed N+1 days or exactly N days before is shredded, one closed
 * N-1 days before, an open one and a reopened one are not; each shred
 * leaves a tombstone without wraps, content or contacts (its stored
 * contact count 0) and one audit entry by system:retention in its
 * transaction, with ids the canonical audit entry accepts; an evacuation
 * loses the wraps of caseworkers without a live member case and waits to
 * rotate; a shred that fails is rolled back (its contacts and their count
 * kept) and audited as an error while the rest go on; a case
 * reopened after it was listed is left alone; a second sweep finds
 * nothing; --now runs are marked; the server's sweeper thread sweeps at
 * once and after its interval; and an upgrade from schema 3 counts cases
 * already closed as closed at the upgrade, so it shreds nothing at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/note.h"
#include "crypto/secmem.h"
#include "crypto/token.h"
#include "crypto/userkey.h"
#include "schema/migrations.h"
#include "schema/store.h"
#include "schema/store_audit.h"
#include "schema/store_case.h"
#include "schema/store_evac.h"
#include "schema/store_user.h"
#include "schema/store_contact.h"
#include "server/audit/audit.h"
#include "server/audit/audit_entry.h"
#include "server/core/casefile.h"
#include "server/core/retention.h"
#include "testutil.h"

#define DAY	86400
#define DAYS	30u
#define NOW	((int64_t)2000000000)	/* 2033-05-18: any fixed time */

static struct store *S;

/* The audit log every shred appends to: opened on S with a fixed test
 * key (server/audit/audit.h); a log is process-wide, so it follows S. */
static uint8_t audit_sk[NOTE_SK_BYTES];

static void
open_audit(void)
{
	char origin[64], err[256];

	audit_close();
	if (store_audit_origin_get(S, origin, sizeof(origin)) ==
	    STORE_ENOTFOUND)
		check(audit_create(S) == 0);
	if (audit_open(S, audit_sk, NULL, err, sizeof(err)) != 0)
		fail("audit_open: %s", err);
}
static uint8_t org_pk[32], org_sk[32];

struct who {
	struct user_row	u;
	uint8_t		sk[32];
};

static void
make_user(struct who *w, const char *name)
{
	memset(w, 0, sizeof(*w));
	token_new_id(w->u.id);
	snprintf(w->u.username, sizeof(w->u.username), "%s", name);
	w->u.role = ROLE_CASEWORKER;
	w->u.status = USER_ACTIVE;
	userkey_generate(w->u.pk, w->sk);
	secmem_random(w->u.sk_sealed, sizeof(w->u.sk_sealed));
	w->u.created_at = store_now();
	check(store_user_insert(S, &w->u) == STORE_OK);
}

/* Run sql (no rows wanted): sqlite3_changes after it, or -1. */
static int
exec_sql(const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(store_db(S), sql, NULL, NULL, &err) != SQLITE_OK) {
		fail("%s: %s", sql, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return sqlite3_changes(store_db(S));
}

/* One integer from a query with one text parameter. */
static int64_t
int_of(const char *sql, const char *param)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(store_db(S), sql, -1, &st, NULL) != SQLITE_OK) {
		fail("prepare %s", sql);
		return -1;
	}
	if (param != NULL)
		sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -2 :
		    sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A new case of w's (status intake) with one contact, committed. */
static void
new_case(struct case_row *c, const struct who *w)
{
	static const char person[] = "{\"name\":\"Zelimkhan Testov\"}";
	struct contact_row row;
	uint8_t key[32], *ct = NULL;
	size_t ct_len = 0;

	memset(c, 0, sizeof(*c));
	c->status = CASE_INTAKE;
	c->risk = 2;
	snprintf(c->region, sizeof(c->region), "North Caucasus");
	c->household_size = 1;
	memcpy(c->created_by, w->u.id, sizeof(c->created_by));
	check(store_write_begin(S) == STORE_OK);
	check(casefile_case_create(S, c, w->u.id, person, strlen(person),
	    "notes", 5, key) == CASEFILE_OK);
	memset(&row, 0, sizeof(row));
	token_new_id(row.id);
	memcpy(row.case_id, c->id, sizeof(row.case_id));
	memcpy(row.author_id, w->u.id, sizeof(row.author_id));
	row.created_at = store_now();
	check(casefile_encrypt(&ct, &ct_len, key, CASEFILE_T_CONTACTS, row.id,
	    CASEFILE_F_ENTRY, 1, "contact", 7) == CASEFILE_OK);
	row.entry = ct;
	row.entry_len = ct_len;
	check(store_contact_insert(S, &row) == STORE_OK);
	check(store_write_end(S, 1) == STORE_OK);
	free(ct);
	secmem_wipe(key, sizeof(key));
}

/* Set c's status through the store, as PATCH does. */
static void
set_status(struct case_row *c, int status)
{
	check(store_write_begin(S) == STORE_OK);
	c->status = status;
	check(store_case_update_meta(S, c) == STORE_OK);
	check(store_write_end(S, 1) == STORE_OK);
	check(store_case_get(S, c->id, c) == STORE_OK);
}

/* Pretend c was closed at t (the sweep reads only the column). */
static void
closed_at(const struct case_row *c, int64_t t)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "UPDATE cases SET closed_at = %lld"
	    " WHERE id = '%s'", (long long)t, c->id);
	check(exec_sql(sql) == 1);
}

/* The stored count of id's contacts (schema/0005_contact_count.sql), or
 * -1 on an error. */
static int64_t
stored_count(const char *id)
{
	int64_t n;

	return store_contact_count(S, id, &n) == STORE_OK ? n : -1;
}

static int
is_tombstone(const char *id)
{
	return int_of("SELECT shredded FROM cases WHERE id = ?", id) == 1 &&
	    int_of("SELECT person IS NULL AND notes IS NULL FROM cases"
	    " WHERE id = ?", id) == 1 &&
	    int_of("SELECT count(*) FROM case_keys WHERE case_id = ?", id)
	    == 0 &&
	    int_of("SELECT count(*) FROM contacts WHERE case_id = ?", id)
	    == 0 && stored_count(id) == 0;
}

static int
is_live(const char *id)
{
	return int_of("SELECT shredded FROM cases WHERE id = ?", id) == 0 &&
	    int_of("SELECT person IS NOT NULL FROM cases WHERE id = ?", id)
	    == 1 &&
	    int_of("SELECT count(*) FROM case_keys WHERE case_id = ?", id)
	    >= 2 &&
	    int_of("SELECT count(*) FROM contacts WHERE case_id = ?", id)
	    == 1 && stored_count(id) == 1;
}

/* Audit entries by the retention actor for case id with outcome. */
static int64_t
audited(const char *id, int outcome)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_log WHERE"
	    " actor_id = '" RETENTION_ACTOR "' AND role = 0 AND action = %d"
	    " AND object_type = %d AND outcome = %d AND object_id = ?",
	    AUDIT_CASE_SHRED, AUDIT_OBJ_CASE, outcome);
	return int_of(sql, id);
}

/* The retention actor and request ids fit the canonical audit entry, so
 * they survive encoding into the Merkle log unchanged. */
static void
test_ids_encode(void)
{
	struct retention_run run;
	struct retention_report rep;
	struct audit_entry e, d;
	uint8_t buf[AUDIT_ENTRY_MAX];
	size_t len = 0;

	for (int as_of = 0; as_of <= 1; as_of++) {
		memset(&run, 0, sizeof(run));
		run.days = 1;
		run.now = 0;	/* cutoff before 1970: nothing is due */
		run.as_of = as_of;
		check(retention_sweep(S, &run, &rep) == 0 && rep.shredded == 0);
		memset(&e, 0, sizeof(e));
		e.time_ms = 1;
		snprintf(e.actor_id, sizeof(e.actor_id), "%s", RETENTION_ACTOR);
		e.role = AUDIT_ROLE_ANONYMOUS;
		e.action = AUDIT_CASE_SHRED;
		e.object_type = AUDIT_OBJ_CASE;
		memset(e.object_id, 'c', ID_CHARS);
		e.outcome = AUDIT_ALLOWED;
		snprintf(e.request_id, sizeof(e.request_id), "%s",
		    rep.request_id);
		check(strcmp(e.request_id, rep.request_id) == 0);
		check(audit_entry_encode(buf, sizeof(buf), &len, &e) == 0);
		check(audit_entry_decode(&d, buf, len) == 0);
		check(strcmp(d.actor_id, RETENTION_ACTOR) == 0 &&
		    strcmp(d.request_id, rep.request_id) == 0);
	}
}

static char forgotten[8][ID_CHARS + 1];
static unsigned nforgotten;

static void
forget(const char *id)
{
	if (nforgotten < 8)
		snprintf(forgotten[nforgotten++], ID_CHARS + 1, "%s", id);
}

static int
was_forgotten(const char *id)
{
	for (unsigned i = 0; i < nforgotten; i++)
		if (strcmp(forgotten[i], id) == 0)
			return 1;
	return 0;
}

static void
test_closed_at(const struct who *a)
{
	struct case_row c;
	int64_t t;

	new_case(&c, a);
	check(c.closed_at == 0);
	check(int_of("SELECT closed_at FROM cases WHERE id = ?", c.id) == -2);
	set_status(&c, CASE_CLOSED);
	t = c.closed_at;
	check(t > 0 && t <= store_now() && t >= store_now() - 5);
	/* other changes of a closed case keep the closing time */
	closed_at(&c, 1000);
	c.risk = 0;
	set_status(&c, CASE_CLOSED);
	check(c.closed_at == 1000);
	/* reopening clears it; closing again starts anew */
	set_status(&c, CASE_VERIFIED);
	check(c.closed_at == 0);
	check(int_of("SELECT closed_at FROM cases WHERE id = ?", c.id) == -2);
	set_status(&c, CASE_CLOSED);
	check(c.closed_at >= t);
	/* the CHECK holds them together: a closing time is a real time, and
	 * only on a closed case (so 0 can stand for "none" in case_row) */
	{
		char sql[160];

		snprintf(sql, sizeof(sql), "UPDATE cases SET closed_at = 0"
		    " WHERE id = '%s'", c.id);
		check(sqlite3_exec(store_db(S), sql, NULL, NULL, NULL) ==
		    SQLITE_CONSTRAINT);
		set_status(&c, CASE_RELOCATED);
		snprintf(sql, sizeof(sql), "UPDATE cases SET closed_at = 5"
		    " WHERE id = '%s'", c.id);
		check(sqlite3_exec(store_db(S), sql, NULL, NULL, NULL) ==
		    SQLITE_CONSTRAINT);
	}
}

static void
test_due_plan(void)
{
	sqlite3_stmt *st = NULL;
	char sql[512];
	int uses_index = 0, sorts = 0;

	snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s",
	    store_case_due_sql());
	check(sqlite3_prepare_v2(store_db(S), sql, -1, &st, NULL) == SQLITE_OK);
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);

		if (d != NULL && strstr(d, "cases_by_closed_at") != NULL)
			uses_index = 1;
		if (d != NULL && strstr(d, "TEMP B-TREE") != NULL)
			sorts = 1;
	}
	sqlite3_finalize(st);
	check(uses_index);
	check(!sorts);
}

static void
test_sweep(const struct who *a, const struct who *b)
{
	struct case_row over, exact, under, open, reopened, other;
	struct evac_row e;
	struct retention_run run;
	struct retention_report rep;
	uint8_t ke[32], kn[32];
	int rotated;

	new_case(&over, a);		/* closed N+1 days before: due */
	new_case(&exact, a);		/* closed exactly N days before: due */
	new_case(&under, a);		/* closed N-1 days before */
	new_case(&open, a);		/* never closed */
	new_case(&reopened, a);		/* closed long ago, reopened */
	new_case(&other, b);		/* b's, in the same evacuation */
	set_status(&over, CASE_CLOSED);
	set_status(&exact, CASE_CLOSED);
	set_status(&under, CASE_CLOSED);
	set_status(&reopened, CASE_CLOSED);
	closed_at(&over, NOW - (int64_t)(DAYS + 1) * DAY);
	closed_at(&exact, NOW - (int64_t)DAYS * DAY);
	closed_at(&under, NOW - (int64_t)(DAYS - 1) * DAY);
	closed_at(&reopened, NOW - 400 * DAY);
	set_status(&reopened, CASE_IN_TRANSIT);
	set_status(&open, CASE_RELOCATED);

	/* `over` and `other` travel together: a and b hold K_evac */
	memset(&e, 0, sizeof(e));
	memcpy(e.created_by, a->u.id, sizeof(e.created_by));
	check(store_write_begin(S) == STORE_OK);
	check(casefile_evac_create(S, &e, "{}", 2, ke) == CASEFILE_OK);
	check(store_case_set_evacuation(S, over.id, e.id) == STORE_OK);
	check(store_case_set_evacuation(S, other.id, e.id) == STORE_OK);
	check(casefile_evac_sync(S, &e, ke, 0, kn, &rotated) == CASEFILE_OK);
	check(store_write_end(S, 1) == STORE_OK);
	check(int_of("SELECT count(*) FROM evac_keys WHERE evacuation_id = ?",
	    e.id) == 3);	/* org, a, b */

	/* an invalid policy does nothing */
	memset(&run, 0, sizeof(run));
	run.now = NOW;
	check(retention_sweep(S, &run, &rep) == -1 && rep.shredded == 0);
	run.days = RETENTION_MAX_DAYS + 1;
	check(retention_sweep(S, &run, &rep) == -1 && rep.shredded == 0);

	run.days = DAYS;
	run.forget = forget;
	check(retention_sweep(S, &run, &rep) == 0);
	check(rep.shredded == 2 && rep.failed == 0 && rep.evac_pending == 1);
	check(rep.cutoff == NOW - (int64_t)DAYS * DAY);
	check(strncmp(rep.request_id, "retention-", 10) == 0 &&
	    strcmp(rep.request_id + 10, rep.run_id) == 0);
	check(is_tombstone(over.id) && is_tombstone(exact.id));
	check(is_live(under.id) && is_live(open.id) && is_live(reopened.id) &&
	    is_live(other.id));
	/* the tombstone keeps its metadata, closing time included */
	check(int_of("SELECT closed_at FROM cases WHERE id = ?", over.id) ==
	    NOW - (int64_t)(DAYS + 1) * DAY);
	check(int_of("SELECT count(*) FROM assignments WHERE case_id = ?",
	    over.id) == 1);
	/* one entry each, in the shred's transaction, with the run's id */
	check(audited(over.id, AUDIT_ALLOWED) == 1);
	check(audited(exact.id, AUDIT_ALLOWED) == 1);
	check(audited(under.id, AUDIT_ALLOWED) == 0);
	check(audited(open.id, AUDIT_ALLOWED) == 0);
	check(int_of("SELECT count(*) FROM audit_log WHERE request_id = ?",
	    rep.request_id) == 2);
	/* a lost her last live case in the evacuation: her wrap is gone, b's
	 * stays, and K_evac rotates at its next use */
	{
		char sql[200];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM evac_keys"
		    " WHERE evacuation_id = '%s' AND recipient_id = ?", e.id);
		check(int_of(sql, a->u.id) == 0);
		check(int_of(sql, b->u.id) == 1);
		check(int_of(sql, "org") == 1);
	}
	check(int_of("SELECT rotate_pending FROM evacuations WHERE id = ?",
	    e.id) == 1);
	check(was_forgotten(over.id) && was_forgotten(exact.id) &&
	    was_forgotten(e.id) && !was_forgotten(under.id));

	/* nothing left at the same time; one day later, `under` is due */
	check(retention_sweep(S, &run, &rep) == 0 && rep.shredded == 0);
	run.now = NOW + DAY;
	run.as_of = 1;
	check(retention_sweep(S, &run, &rep) == 0 && rep.shredded == 1);
	check(is_tombstone(under.id) && is_live(open.id));
	check(strncmp(rep.request_id, "retention-asof-", 15) == 0);
	check(strlen(rep.request_id) <= AUDIT_ID_MAX_BYTES);
	check(int_of("SELECT count(*) FROM audit_log WHERE request_id = ?",
	    rep.request_id) == 1);
	secmem_wipe(ke, sizeof(ke));
	secmem_wipe(kn, sizeof(kn));
}

static void
test_failure(const struct who *a)
{
	struct case_row bad, good;
	struct retention_run run;
	struct retention_report rep;
	char sql[256];

	new_case(&bad, a);
	new_case(&good, a);
	set_status(&bad, CASE_CLOSED);
	set_status(&good, CASE_CLOSED);
	closed_at(&bad, NOW - 100 * DAY);
	closed_at(&good, NOW - 99 * DAY);
	/* the shred of `bad` fails half-way, after its wraps are deleted */
	snprintf(sql, sizeof(sql), "CREATE TEMP TRIGGER no_shred BEFORE DELETE"
	    " ON main.contacts WHEN OLD.case_id = '%s'"
	    " BEGIN SELECT RAISE(ABORT, 'refused'); END", bad.id);
	check(exec_sql(sql) >= 0);
	memset(&run, 0, sizeof(run));
	run.days = DAYS;
	run.now = NOW;
	check(retention_sweep(S, &run, &rep) == -1);
	check(rep.shredded == 1 && rep.failed == 1);
	/* all or nothing: the failed case still has its wraps */
	check(is_live(bad.id) && is_tombstone(good.id));
	check(audited(bad.id, AUDIT_ERROR) == 1);
	check(audited(bad.id, AUDIT_ALLOWED) == 0);
	check(audited(good.id, AUDIT_ALLOWED) == 1);
	/* once the cause is gone, the next sweep shreds it */
	check(exec_sql("DROP TRIGGER temp.no_shred") >= 0);
	check(retention_sweep(S, &run, &rep) == 0 && rep.shredded == 1);
	check(is_tombstone(bad.id) && audited(bad.id, AUDIT_ALLOWED) == 1);
}

/* A coordinator reopens a case after the sweep listed it: the re-check in
 * the shred's transaction leaves it alone, and the sweep still ends. */
static struct case_row *reopen_later;

static void
reopen_hook(const char *id)
{
	(void)id;
	if (reopen_later != NULL) {
		set_status(reopen_later, CASE_VERIFIED);
		reopen_later = NULL;
	}
}

static void
test_reopened_meanwhile(const struct who *a)
{
	struct case_row first, then;
	struct retention_run run;
	struct retention_report rep;

	new_case(&first, a);
	new_case(&then, a);
	set_status(&first, CASE_CLOSED);
	set_status(&then, CASE_CLOSED);
	closed_at(&first, NOW - 50 * DAY);	/* oldest first: shredded first */
	closed_at(&then, NOW - 40 * DAY);
	reopen_later = &then;
	memset(&run, 0, sizeof(run));
	run.days = DAYS;
	run.now = NOW;
	run.forget = reopen_hook;
	check(retention_sweep(S, &run, &rep) == 0);
	check(rep.shredded == 1 && rep.failed == 0);
	check(is_tombstone(first.id) && is_live(then.id));
	check(audited(then.id, AUDIT_ALLOWED) == 0);
	check(audited(then.id, AUDIT_ERROR) == 0);
	check(then.status == CASE_VERIFIED && then.closed_at == 0);
}

/* The server's sweeper on a pool over the same file: it sweeps at once,
 * sweeps again after its interval (1 s here, an hour in the server), and
 * stops promptly. */
static void
test_sweeper(const char *db, const uint8_t key[32], const struct who *a)
{
	struct case_row first, second, keep;
	int64_t now = (int64_t)time(NULL), t0;
	int i;

	new_case(&first, a);
	new_case(&second, a);
	new_case(&keep, a);
	set_status(&first, CASE_CLOSED);
	set_status(&second, CASE_CLOSED);
	set_status(&keep, CASE_CLOSED);
	closed_at(&first, now - (int64_t)(DAYS + 1) * DAY);
	closed_at(&keep, now - (int64_t)(DAYS - 1) * DAY);
	check(store_pool_open(db, key, 2) == STORE_OK);
	check(retention_start(DAYS, 0) == -1);
	check(retention_start(RETENTION_MAX_DAYS + 1, 1) == -1);
	check(retention_start(0, 1) == 0);	/* off: no thread */
	retention_stop();
	check(retention_start(DAYS, 1) == 0);
	check(retention_start(DAYS, 1) == -1);	/* one sweeper */
	for (i = 0; i < 100 && !is_tombstone(first.id); i++)
		usleep(50 * 1000);
	check(is_tombstone(first.id) && is_live(second.id));
	/* falls due while the sweeper waits: the next sweep takes it */
	closed_at(&second, now - (int64_t)(DAYS + 2) * DAY);
	for (i = 0; i < 100 && !is_tombstone(second.id); i++)
		usleep(50 * 1000);
	check(is_tombstone(second.id) && is_live(keep.id));
	check(audited(first.id, AUDIT_ALLOWED) == 1);
	check(audited(second.id, AUDIT_ALLOWED) == 1);
	t0 = (int64_t)time(NULL);
	retention_stop();
	check((int64_t)time(NULL) - t0 <= 1);
	store_pool_close();
}

/* A database at schema 3 (before retention) with a live closed case, a
 * closed tombstone and an open case, upgraded by store_migrate. */
static void
test_upgrade(const char *dir)
{
	static const char *const rows[] = {
		"INSERT INTO users (id, username, role, status, pk, sk_sealed,"
		" created_at, updated_at) VALUES ('uuuuuuuuuuuuuuuuuuuuuu',"
		" 'cw', 'caseworker', 'active', zeroblob(32), x'00', 1, 1)",
		"INSERT INTO cases (id, codename, status, risk, region,"
		" household_size, created_by, created_at, updated_at,"
		" key_version, person, notes) VALUES ('cccccccccccccccccccccc',"
		" 'a-b-1', 'closed', 'low', 'r', 1, 'uuuuuuuuuuuuuuuuuuuuuu', 1,"
		" 1, 1, x'00', x'00')",
		"INSERT INTO cases (id, codename, status, risk, region,"
		" household_size, created_by, created_at, updated_at,"
		" key_version, shredded, shredded_at) VALUES"
		" ('tttttttttttttttttttttt', 'a-b-2', 'closed', 'low', 'r', 1,"
		" 'uuuuuuuuuuuuuuuuuuuuuu', 1, 1, 1, 1, 1)",
		"INSERT INTO cases (id, codename, status, risk, region,"
		" household_size, created_by, created_at, updated_at,"
		" key_version, person, notes) VALUES ('oooooooooooooooooooooo',"
		" 'a-b-3', 'intake', 'low', 'r', 1, 'uuuuuuuuuuuuuuuuuuuuuu', 1,"
		" 1, 1, x'00', x'00')",
	};
	struct store *saved = S;
	struct retention_run run;
	struct retention_report rep;
	char db[256], sql[96];
	uint8_t key[32];
	int64_t t0, t;
	unsigned i;

	snprintf(db, sizeof(db), "%s/old.db", dir);
	secmem_random(key, sizeof(key));
	if (store_open(&S, db, key, 1) != STORE_OK) {
		fail("open %s", db);
		S = saved;
		return;
	}
	check(exec_sql("CREATE TABLE schema_version (version INTEGER PRIMARY"
	    " KEY, applied_at INTEGER NOT NULL)") >= 0);
	for (i = 0; i < migrations_count && migrations[i].version <= 3; i++) {
		check(exec_sql(migrations[i].sql) >= 0);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES"
		    " (%d, 1)", migrations[i].version);
		check(exec_sql(sql) == 1);
	}
	check(i == 3 && store_schema_version(S) == 3);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check(exec_sql(rows[i]) == 1);

	t0 = (int64_t)time(NULL);
	check(store_migrate(S) == STORE_OK);
	check(store_schema_version(S) == (int)migrations_count);
	open_audit();
	t = int_of("SELECT closed_at FROM cases WHERE id = ?",
	    "cccccccccccccccccccccc");
	check(t >= t0 && t <= (int64_t)time(NULL));
	check(int_of("SELECT closed_at FROM cases WHERE id = ?",
	    "tttttttttttttttttttttt") == -2);
	check(int_of("SELECT closed_at FROM cases WHERE id = ?",
	    "oooooooooooooooooooooo") == -2);
	/* so even the shortest policy shreds nothing on the day of the
	 * upgrade, however long ago the case was closed (updated_at = 1) */
	memset(&run, 0, sizeof(run));
	run.days = 1;
	run.now = t0 + DAY - 10;
	check(retention_sweep(S, &run, &rep) == 0 && rep.shredded == 0);
	run.now = t + DAY;
	check(retention_sweep(S, &run, &rep) == 0 && rep.shredded == 1);
	audit_close();
	store_close(S);
	S = saved;
	open_audit();
	unlink(db);
	snprintf(db, sizeof(db), "%s/old.db-wal", dir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/old.db-shm", dir);
	unlink(db);
	secmem_wipe(key, sizeof(key));
}

int
main(void)
{
	char dir[] = "/tmp/corridor-retention-XXXXXX", db[256];
	uint8_t key[32];
	struct who a, b;

	if (secmem_init() != 0 || mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/t.db", dir);
	secmem_random(key, sizeof(key));
	if (store_open(&S, db, key, 1) != STORE_OK ||
	    store_migrate(S) != STORE_OK)
		return 1;
	{
		uint8_t seed[NOTE_SEED_BYTES], pk[NOTE_PK_BYTES];

		memset(seed, 7, sizeof(seed));
		note_keypair_from_seed(pk, audit_sk, seed);
	}
	open_audit();
	userkey_generate(org_pk, org_sk);
	check(store_org_pk_set(S, org_pk) == STORE_OK);
	make_user(&a, "cw-a");
	make_user(&b, "cw-b");

	test_closed_at(&a);
	test_due_plan();
	test_ids_encode();
	test_sweep(&a, &b);
	test_failure(&a);
	test_reopened_meanwhile(&a);
	retention_stop();	/* nothing started: a no-op */
	test_sweeper(db, key, &a);
	test_upgrade(dir);

	audit_close();
	store_close(S);
	unlink(db);
	snprintf(db, sizeof(db), "%s/t.db-wal", dir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/t.db-shm", dir);
	unlink(db);
	rmdir(dir);
	secmem_wipe(org_sk, sizeof(org_sk));
	secmem_wipe(audit_sk, sizeof(audit_sk));
	secmem_wipe(key, sizeof(key));
	return test_done("test_retention");
}
