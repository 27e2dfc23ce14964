/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_audit_log: the server side of the audit log (server/audit/audit.c,
 * schema/store_audit.c) on a real SQLCipher database. Appends move the
 * tree only when their transaction commits; several appends in one
 * transaction get consecutive seqs; a rollback leaves no trace; the stored
 * leaf hashes rebuild the same root; checkpoints are signed by the key and
 * mirrored in the checkpoint file; reasons are stored salted and can be
 * erased only in the documented way. Start-up refuses, with one line, a
 * log with a gap, a rewritten leaf, a log shorter than its stored
 * checkpoint or than the checkpoint file (an older database put back), a
 * foreign key, a missing origin, a key the log did not rotate to, and
 * tiles that do not line up with the log or reproduce the checkpoint.
 * Proofs served from stored leaves verify against the in-memory root.
 *
 *   test_audit_log                     the tests
 *   test_audit_log --startup-bench N   time audit_open on N entries
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/hash.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "crypto/secmem.h"
#include "schema/store.h"
#include "schema/store_audit.h"
#include "schema/store_tiles.h"
#include "schema/store_user.h"
#include "crypto/userkey.h"
#include "server/audit/audit.h"
#include "server/audit/audit_reason.h"
#include "testutil.h"

static char dir[256], db_path[300], cp_path[300];
static uint8_t key[STORE_KEY_BYTES];
static uint8_t pk1[NOTE_PK_BYTES], sk1[NOTE_SK_BYTES];
static uint8_t pk2[NOTE_PK_BYTES], sk2[NOTE_SK_BYTES];

static void
remove_db(void)
{
	char p[320];

	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
	unlink(cp_path);
}

/* A fresh database with an origin. */
static struct store *
fresh(void)
{
	struct store *s = NULL;

	remove_db();
	check(store_open(&s, db_path, key, 1) == STORE_OK);
	check(store_migrate(s) == STORE_OK);
	check(audit_create(s) == 0);
	return s;
}

static int
open_log(struct store *s, const uint8_t *sk, char *err, size_t err_len)
{
	err[0] = '\0';
	return audit_open(s, sk, cp_path, err, err_len);
}

/* Append n entries, one transaction each (or all in one when one_tx). */
static void
append_n(struct store *s, unsigned n, int one_tx)
{
	struct audit_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.actor_id = "AAAAAAAAAAAAAAAAAAAAAA";
	ev.role = ROLE_ADMIN;
	ev.action = AUDIT_USER_LIST;
	ev.object_type = AUDIT_OBJ_USER;
	ev.outcome = AUDIT_ALLOWED;
	ev.request_id = "rrrrrrrrrrrrrrrrrrrrrr";
	if (one_tx)
		check(store_write_begin(s) == STORE_OK);
	for (unsigned i = 0; i < n; i++) {
		if (!one_tx)
			check(store_write_begin(s) == STORE_OK);
		check(audit_append(s, &ev) == 0);
		if (!one_tx)
			check(audit_commit(s) == STORE_OK);
	}
	if (one_tx)
		check(audit_commit(s) == STORE_OK);
}

static int
exec(struct store *s, const char *sql)
{
	return sqlite3_exec(store_db(s), sql, NULL, NULL, NULL);
}

static uint64_t
count_rows(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	uint64_t n = 0;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The root over the stored leaf hashes, through the cursor. */
static void
stored_root(struct store *s, uint64_t n, uint8_t root[MERKLE_HASH_BYTES])
{
	struct store_audit_leaves c;
	struct merkle_frontier f;
	uint8_t leaf[MERKLE_HASH_BYTES];
	uint64_t found;

	merkle_frontier_init(&f);
	store_audit_leaves_init(&c, s, 1);
	for (uint64_t i = 0; i < n; i++) {
		check(store_audit_leaf_at(&c, i, leaf, &found) == STORE_OK);
		check(merkle_frontier_append(&f, leaf) == 0);
	}
	check(store_audit_leaf_at(&c, n, leaf, &found) == STORE_ENOTFOUND);
	store_audit_leaves_done(&c);
	merkle_frontier_root(&f, root);
}

/* The latest checkpoint, verified with key pk. */
static void
latest(struct note_checkpoint *cp, const uint8_t *pk)
{
	char note[NOTE_MAX_BYTES];
	struct note_vkey vk, cur;
	size_t len = 0;
	uint64_t size = 0;

	audit_vkey(&cur);
	check(note_vkey_init(&vk, cur.name, cur.name_len, pk) == NOTE_OK);
	memset(cp, 0, sizeof(*cp));
	check(audit_latest_checkpoint(note, sizeof(note), &len, &size) == 0);
	check(note_checkpoint_verify(cp, note, len, &vk) == NOTE_OK);
	check(cp->size == size);
}

static void
test_append_commit_rollback(void)
{
	struct store *s = fresh();
	struct note_checkpoint cp;
	struct audit_event ev;
	char err[256], note[NOTE_MAX_BYTES], file[NOTE_MAX_BYTES];
	uint8_t root[MERKLE_HASH_BYTES];
	uint64_t seq = 0, size = 0;
	size_t len = 0;
	FILE *f;

	check(open_log(s, sk1, err, sizeof(err)) == 0);
	check(audit_durable_size() == 0);
	check(audit_latest_checkpoint(note, sizeof(note), &len, &size) != 0);
	/* outside a transaction, nothing is appended */
	memset(&ev, 0, sizeof(ev));
	ev.action = AUDIT_SESSION_FAIL;
	ev.object_type = AUDIT_OBJ_USER;
	ev.outcome = AUDIT_DENIED;
	ev.request_id = "r1";
	check(audit_append(s, &ev) != 0);

	append_n(s, 5, 0);
	append_n(s, 3, 1);
	check(audit_durable_size() == 8);
	/* a rollback leaves no trace, and the seq is reused */
	check(store_write_begin(s) == STORE_OK);
	check(audit_append_seq(s, &ev, &seq) == 0);
	check(seq == 8);
	check(store_write_end(s, 0) == STORE_OK);
	check(count_rows(s, "SELECT count(*) FROM audit_log") == 8);
	check(store_write_begin(s) == STORE_OK);
	check(audit_append_seq(s, &ev, &seq) == 0);
	check(seq == 8);
	check(audit_commit(s) == STORE_OK);
	/* a write with no entry commits and leaves the tree alone */
	check(store_write_begin(s) == STORE_OK);
	check(audit_commit(s) == STORE_OK);
	check(audit_durable_size() == 9);
	/* ids that are not printable ASCII are refused, not stored */
	ev.object_id = "bad id";
	check(store_write_begin(s) == STORE_OK);
	check(audit_append(s, &ev) != 0);
	check(store_write_end(s, 0) == STORE_OK);
	ev.object_id = NULL;

	/* the first checkpoint covers the stored leaves */
	check(audit_checkpoint(s, 0) == 0);
	latest(&cp, pk1);
	stored_root(s, 9, root);
	check(cp.size == 9 && memcmp(cp.root, root, sizeof(root)) == 0);
	check(count_rows(s, "SELECT count(*) FROM audit_checkpoints") == 1);
	/* nothing new: no new checkpoint unless forced */
	check(audit_checkpoint(s, 0) == 0);
	check(count_rows(s, "SELECT count(*) FROM audit_checkpoints") == 1);
	check(audit_checkpoint(s, 1) == 0);
	check(count_rows(s, "SELECT count(*) FROM audit_checkpoints") == 2);
	/* the file mirrors the latest */
	check(audit_latest_checkpoint(note, sizeof(note), &len, &size) == 0);
	check((f = fopen(cp_path, "rb")) != NULL);
	if (f != NULL) {
		check(fread(file, 1, sizeof(file), f) == len);
		check(memcmp(file, note, len) == 0);
		fclose(f);
	}
	/* a checkpoint signed in a transaction that rolls back is gone */
	append_n(s, 1, 0);
	check(store_write_begin(s) == STORE_OK);
	check(audit_checkpoint_in_tx(s, &size, note, &len) == 0);
	check(size == 10 && len > 0);
	check(store_write_end(s, 0) == STORE_OK);
	latest(&cp, pk1);
	check(cp.size == 9);
	/* and one that commits is the latest */
	check(store_write_begin(s) == STORE_OK);
	check(audit_checkpoint_in_tx(s, &size, note, &len) == 0);
	check(audit_commit(s) == STORE_OK);
	latest(&cp, pk1);
	check(cp.size == 10);
	/* times never go back */
	check(count_rows(s, "SELECT count(*) FROM audit_log a JOIN audit_log b"
	    " ON b.seq = a.seq + 1 WHERE b.time_ms < a.time_ms") == 0);
	audit_close();
	store_close(s);
}

static void
test_reasons(void)
{
	struct store *s = fresh();
	struct audit_event ev;
	struct audit_entry e;
	sqlite3_stmt *st = NULL;
	uint8_t h[AUDIT_REASON_HASH_BYTES], au_sk[32], salt[16];
	uint8_t text[AUDIT_REASON_MAX_BYTES];
	size_t text_len = 0;
	struct user_row au;
	const char *reason = "coordinator on leave, urgent relocation";
	char err[256];
	uint64_t seq = 0;
	int was = -1;

	check(open_log(s, sk1, err, sizeof(err)) == 0);
	memset(&ev, 0, sizeof(ev));
	ev.actor_id = "BBBBBBBBBBBBBBBBBBBBBB";
	ev.role = ROLE_COORDINATOR;
	ev.action = AUDIT_CASE_READ;
	ev.object_type = AUDIT_OBJ_CASE;
	ev.object_id = "CCCCCCCCCCCCCCCCCCCCCC";
	ev.outcome = AUDIT_ALLOWED;
	ev.request_id = "rrrrrrrrrrrrrrrrrrrrrr";
	ev.reason = reason;
	ev.reason_len = strlen(reason);
	/* nobody to seal it to: the append fails, the caller rolls back */
	check(store_write_begin(s) == STORE_OK);
	check(audit_append_seq(s, &ev, &seq) != 0);
	check(store_write_end(s, 0) == STORE_OK);
	check(count_rows(s, "SELECT count(*) FROM audit_reasons") == 0);
	/* an enrolled auditor, and one who has not enrolled (no copy) */
	memset(&au, 0, sizeof(au));
	snprintf(au.id, sizeof(au.id), "AAAAAAAAAAAAAAAAAAAAAA");
	snprintf(au.username, sizeof(au.username), "auditor");
	au.role = ROLE_AUDITOR;
	au.status = USER_ACTIVE;
	au.enrolled = 1;
	userkey_generate(au.pk, au_sk);
	check(store_user_insert(s, &au) == STORE_OK);
	snprintf(au.id, sizeof(au.id), "DDDDDDDDDDDDDDDDDDDDDD");
	snprintf(au.username, sizeof(au.username), "pending-auditor");
	au.enrolled = 0;
	check(store_user_insert(s, &au) == STORE_OK);
	check(store_user_by_id(s, "AAAAAAAAAAAAAAAAAAAAAA", &au) == STORE_OK);
	check(store_write_begin(s) == STORE_OK);
	check(audit_append_seq(s, &ev, &seq) == 0);
	check(audit_commit(s) == STORE_OK);

	/* the entry holds SHA-256(salt || reason); the side table neither
	 * the salt nor the text; one sealed copy, for the enrolled auditor */
	check(sqlite3_prepare_v2(store_db(s), "SELECT l.entry, r.salt, r.reason"
	    " FROM audit_log l JOIN audit_reasons r ON r.seq = l.seq"
	    " WHERE l.seq = 0", -1, &st, NULL) == SQLITE_OK);
	check(sqlite3_step(st) == SQLITE_ROW);
	check(audit_entry_decode(&e, sqlite3_column_blob(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0)) == 0);
	check(e.has_reason == 1);
	check(sqlite3_column_type(st, 1) == SQLITE_NULL &&
	    sqlite3_column_type(st, 2) == SQLITE_NULL);
	sqlite3_finalize(st);
	check(count_rows(s, "SELECT count(*) FROM audit_reason_seals WHERE "
	    "seq = 0 AND auditor_id = 'AAAAAAAAAAAAAAAAAAAAAA'") == 1);
	check(count_rows(s, "SELECT count(*) FROM audit_reason_seals") == 1);
	check(audit_reason_open(s, 0, au.id, au.pk, au_sk, salt, text,
	    &text_len) == 0);
	check(text_len == strlen(reason) && memcmp(text, reason, text_len) == 0);
	audit_reason_hash(h, salt, reason, strlen(reason));
	check(memcmp(h, e.reason_hash, sizeof(h)) == 0);
	/* another key, or another auditor's id: no copy opens */
	check(audit_reason_open(s, 0, "DDDDDDDDDDDDDDDDDDDDDD", au.pk, au_sk,
	    salt, text, &text_len) == 1);
	au_sk[1] ^= 1;	/* byte 0 bit 0 is clamped away */
	check(audit_reason_open(s, 0, au.id, au.pk, au_sk, salt, text,
	    &text_len) == 1);
	/* a copy goes only with the erasure */
	check(exec(s, "DELETE FROM audit_reason_seals") != SQLITE_OK);
	check(exec(s, "UPDATE audit_reason_seals SET auditor_id = 'x'")
	    != SQLITE_OK);

	/* only the erasure may change the row; the other tables refuse any
	 * change (triggers fire only on rows, so there is a checkpoint) */
	check(audit_checkpoint(s, 0) == 0);
	check(exec(s, "UPDATE audit_reasons SET reason = 'something else'")
	    != SQLITE_OK);
	check(exec(s, "UPDATE audit_reasons SET salt = NULL, reason = NULL")
	    != SQLITE_OK);
	check(exec(s, "DELETE FROM audit_reasons") != SQLITE_OK);
	check(exec(s, "UPDATE audit_log SET outcome = 2") != SQLITE_OK);
	check(exec(s, "DELETE FROM audit_checkpoints") != SQLITE_OK);
	check(exec(s, "UPDATE audit_checkpoints SET size = 0") != SQLITE_OK);

	check(store_write_begin(s) == STORE_OK);
	check(store_audit_reason_erase(s, 0, 1, &was) == STORE_OK && was == 0);
	check(store_audit_reason_erase(s, 0, 2, &was) == STORE_OK && was == 1);
	check(store_audit_reason_erase(s, 7, 2, &was) == STORE_ENOTFOUND);
	check(audit_commit(s) == STORE_OK);
	check(count_rows(s, "SELECT count(*) FROM audit_reasons WHERE salt IS"
	    " NULL AND reason IS NULL AND erased_at = 1") == 1);
	check(count_rows(s, "SELECT count(*) FROM audit_reason_seals") == 0);
	/* an erased reason stays erased */
	check(exec(s, "UPDATE audit_reasons SET erased_at = NULL, salt ="
	    " zeroblob(16), reason = 'back'") != SQLITE_OK);
	/* the log does not change: the entry still decodes with its hash */
	check(count_rows(s, "SELECT count(*) FROM audit_log") == 1);
	audit_close();
	store_close(s);
	/* and it still opens */
	check(store_open(&s, db_path, key, 0) == STORE_OK);
	check(open_log(s, sk1, err, sizeof(err)) == 0);
	audit_close();
	store_close(s);
}

/* Open must fail with a message containing want. */
static void
expect_refused(const uint8_t *sk, const char *want)
{
	struct store *s = NULL;
	char err[256];

	check(store_open(&s, db_path, key, 0) == STORE_OK);
	if (open_log(s, sk, err, sizeof(err)) == 0) {
		fail("opened, want \"%s\"", want);
		audit_close();
	} else if (strstr(err, want) == NULL) {
		fail("refused with \"%s\", want \"%s\"", err, want);
	} else {
		test_passes++;
	}
	store_close(s);
}

static void
expect_opens(const uint8_t *sk)
{
	struct store *s = NULL;
	char err[256];

	check(store_open(&s, db_path, key, 0) == STORE_OK);
	if (open_log(s, sk, err, sizeof(err)) != 0)
		fail("refused: %s", err);
	audit_close();
	store_close(s);
}

static void
copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	size_t n;

	check(a != NULL && b != NULL);
	while (a != NULL && b != NULL && (n = fread(buf, 1, sizeof(buf), a)) > 0)
		check(fwrite(buf, 1, n, b) == n);
	if (a != NULL)
		fclose(a);
	if (b != NULL)
		fclose(b);
}

/* A log of 20 entries with a checkpoint at 12 and the file at 12. */
static struct store *
log_20(void)
{
	struct store *s = fresh();
	char err[256];

	check(open_log(s, sk1, err, sizeof(err)) == 0);
	append_n(s, 12, 0);
	check(audit_checkpoint(s, 0) == 0);
	append_n(s, 8, 0);
	audit_close();
	return s;
}

static void
test_startup_checks(void)
{
	struct store *s;
	char old[320];

	/* a genuine log opens, whatever came after its checkpoint */
	s = log_20();
	store_close(s);
	expect_opens(sk1);
	/* another key */
	expect_refused(sk2, "not signed by this log's audit key");

	/* an insider with the database key deletes a row: a gap */
	s = log_20();
	check(exec(s, "DROP TRIGGER audit_log_no_delete") == SQLITE_OK);
	check(exec(s, "DELETE FROM audit_log WHERE seq = 5") == SQLITE_OK);
	store_close(s);
	expect_refused(sk1, "not contiguous: seq 5 is missing");

	/* ... rewrites a leaf below the checkpoint */
	s = log_20();
	check(exec(s, "DROP TRIGGER audit_log_no_update") == SQLITE_OK);
	check(exec(s, "UPDATE audit_log SET leaf_hash = zeroblob(32)"
	    " WHERE seq = 3") == SQLITE_OK);
	store_close(s);
	expect_refused(sk1, "does not match");

	/* ... truncates the log below the checkpoint */
	s = log_20();
	check(exec(s, "DROP TRIGGER audit_log_no_delete") == SQLITE_OK);
	check(exec(s, "DELETE FROM audit_log WHERE seq >= 10") == SQLITE_OK);
	store_close(s);
	expect_refused(sk1, "rolled back or truncated");

	/* ... and the stored checkpoints too: the file still knows */
	s = log_20();
	check(exec(s, "DROP TRIGGER audit_log_no_delete; DROP TRIGGER"
	    " audit_checkpoints_no_delete; DELETE FROM audit_log WHERE seq >= 10;"
	    " DELETE FROM audit_checkpoints") == SQLITE_OK);
	store_close(s);
	expect_refused(sk1, "the checkpoint file covers 12");
	/* without the file, the shortened log opens: only a held checkpoint
	 * can tell (docs/audit.md, "What start-up checks") */
	unlink(cp_path);
	expect_opens(sk1);

	/* an older database put back under a newer checkpoint file */
	s = fresh();
	{
		char err[256];

		check(open_log(s, sk1, err, sizeof(err)) == 0);
		append_n(s, 4, 0);
		check(audit_checkpoint(s, 0) == 0);
		audit_close();
		store_close(s);
		snprintf(old, sizeof(old), "%s/old.db", dir);
		copy_file(db_path, old);
		check(store_open(&s, db_path, key, 0) == STORE_OK);
		check(open_log(s, sk1, err, sizeof(err)) == 0);
		append_n(s, 4, 0);
		check(audit_checkpoint(s, 0) == 0);
		audit_close();
		store_close(s);
	}
	copy_file(old, db_path);
	expect_refused(sk1, "the checkpoint file covers 8: the log was rolled "
	    "back");
	unlink(old);

	/* tiles: a log of 600 (two full level-0 tiles, a level-1 partial of
	 * width 2) opens from its tiles; a rewritten level-1 hash below the
	 * checkpoint, a missing full tile and a partial of the wrong width
	 * are each refused */
	{
		char err[256];

		s = fresh();
		check(open_log(s, sk1, err, sizeof(err)) == 0);
		append_n(s, 600, 0);
		check(audit_checkpoint(s, 0) == 0);
		audit_close();
		store_close(s);
		expect_opens(sk1);
		check(store_open(&s, db_path, key, 0) == STORE_OK);
		check(exec(s, "DROP TRIGGER audit_tiles_only_grow;"
		    " UPDATE audit_tiles SET data = randomblob(64)"
		    " WHERE level = 1 AND idx = 0") == SQLITE_OK);
		store_close(s);
		expect_refused(sk1, "does not match its latest stored "
		    "checkpoint");
		check(store_open(&s, db_path, key, 0) == STORE_OK);
		check(exec(s, "UPDATE audit_tiles SET data = substr(data, 1, 32)"
		    " WHERE level = 1 AND idx = 0") == SQLITE_OK);
		store_close(s);
		expect_refused(sk1, "the audit tiles do not match the 600 "
		    "entries of the log (level 1)");
		check(store_open(&s, db_path, key, 0) == STORE_OK);
		check(exec(s, "DROP TRIGGER audit_tiles_no_delete;"
		    " DELETE FROM audit_tiles WHERE level = 0 AND idx = 1")
		    == SQLITE_OK);
		store_close(s);
		expect_refused(sk1, "the audit tiles do not match the 600 "
		    "entries of the log (level 0)");
	}

	/* no origin: not a log this build made */
	s = log_20();
	check(exec(s, "DELETE FROM meta WHERE k = 'audit_origin'") ==
	    SQLITE_OK);
	store_close(s);
	expect_refused(sk1, "no audit log origin");
}

static void
test_rotation(void)
{
	struct store *s;
	struct note_checkpoint cp;
	char err[256];

	s = log_20();
	check(open_log(s, sk1, err, sizeof(err)) == 0);
	check(audit_log_names_key(s, pk2) == 0);
	check(audit_rotate(s, pk2, "rotate-key") == 0);
	/* the handover: the old key signs the tree ending in the rotation */
	latest(&cp, pk1);
	check(cp.size == 21);
	check(audit_log_names_key(s, pk2) == 1);
	audit_close();
	store_close(s);
	/* the old key no longer opens the log; the new one does */
	expect_refused(sk1, "not the key the log last rotated to");
	check(store_open(&s, db_path, key, 0) == STORE_OK);
	check(open_log(s, sk2, err, sizeof(err)) == 0);
	/* the start-up checkpoint is the new key's, at the same size */
	check(audit_checkpoint(s, 0) == 0);
	latest(&cp, pk2);
	check(cp.size == 21);
	append_n(s, 2, 0);
	check(audit_checkpoint(s, 0) == 0);
	latest(&cp, pk2);
	check(cp.size == 23);
	audit_close();
	store_close(s);
	expect_opens(sk2);
}

static int
get_leaf(void *arg, uint64_t index, uint8_t out[MERKLE_HASH_BYTES])
{
	uint64_t found;

	return store_audit_leaf_at(arg, index, out, &found) == STORE_OK ? 0 : -1;
}

static void
test_proofs_from_stored_leaves(void)
{
	struct store *s = fresh();
	struct store_audit_leaves c;
	struct note_checkpoint cp;
	uint8_t proof[MERKLE_PROOF_MAX_BYTES], leaf[MERKLE_HASH_BYTES];
	uint8_t roots[38][MERKLE_HASH_BYTES];
	uint64_t found;
	size_t len;
	char err[256];

	check(open_log(s, sk1, err, sizeof(err)) == 0);
	for (unsigned n = 1; n <= 37; n++) {
		append_n(s, 1, 0);
		check(audit_checkpoint(s, 0) == 0);
		latest(&cp, pk1);
		check(cp.size == n);
		memcpy(roots[n], cp.root, MERKLE_HASH_BYTES);
	}
	merkle_empty_root(roots[0]);
	store_audit_leaves_init(&c, s, 0);
	for (uint64_t size = 1; size <= 37; size++) {
		for (uint64_t i = 0; i < size; i++) {
			check(merkle_inclusion_proof(proof, sizeof(proof), &len,
			    i, size, get_leaf, &c) == 0);
			check(store_audit_leaf_at(&c, i, leaf, &found) ==
			    STORE_OK);
			check(merkle_inclusion_verify(leaf, i, size, proof, len,
			    roots[size]) == 0);
		}
		for (uint64_t from = 0; from <= size; from++) {
			check(merkle_consistency_proof(proof, sizeof(proof),
			    &len, from, size, get_leaf, &c) == 0);
			check(merkle_consistency_verify(from, size, roots[from],
			    roots[size], proof, len) == 0);
		}
	}
	/* beyond the log, no proof */
	check(merkle_inclusion_proof(proof, sizeof(proof), &len, 0, 38,
	    get_leaf, &c) != 0);
	store_audit_leaves_done(&c);
	audit_close();
	store_close(s);
}

/* Not a test: build a log of n entries (rows and their tiles written
 * directly, 10000 per transaction), then time audit_open on it, twice. */
static int
startup_bench(uint64_t n)
{
	struct store *s = fresh();
	struct audit_entry e;
	struct timespec t0, t1;
	uint8_t enc[AUDIT_ENTRY_MAX], leaf[MERKLE_HASH_BYTES];
	size_t len = 0;
	char err[256];
	double secs;

	memset(&e, 0, sizeof(e));
	snprintf(e.actor_id, sizeof(e.actor_id), "AAAAAAAAAAAAAAAAAAAAAA");
	snprintf(e.object_id, sizeof(e.object_id), "CCCCCCCCCCCCCCCCCCCCCC");
	snprintf(e.request_id, sizeof(e.request_id), "rrrrrrrrrrrrrrrrrrrrrr");
	e.role = AUDIT_ROLE_COORDINATOR;
	e.action = AUDIT_CASE_READ;
	e.object_type = AUDIT_OBJ_CASE;
	e.outcome = AUDIT_ALLOWED;
	for (uint64_t i = 0; i < n; i++) {
		if (i % 10000 == 0)
			check(store_write_begin(s) == STORE_OK);
		e.seq = i;
		e.time_ms = 1718000000000ull + i;
		check(audit_entry_encode(enc, sizeof(enc), &len, &e) == 0);
		merkle_leaf_hash(leaf, enc, len);
		check(store_audit_insert(s, &(struct store_audit_row){
		    .seq = e.seq, .time_ms = e.time_ms, .actor_id = e.actor_id,
		    .role = e.role, .action = e.action,
		    .object_type = e.object_type, .object_id = e.object_id,
		    .outcome = e.outcome, .request_id = e.request_id,
		    .entry = enc, .entry_len = len, .leaf = leaf,
		}) == STORE_OK);
		check(store_tiles_append(s, e.seq, leaf) == STORE_OK);
		if (i % 10000 == 9999 || i + 1 == n)
			check(store_write_end(s, 1) == STORE_OK);
	}
	for (int round = 0; round < 2; round++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (open_log(s, sk1, err, sizeof(err)) != 0) {
			fail("%s", err);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("audit_open on %llu entries (%s): %.3f s\n",
		    (unsigned long long)n, round == 0 ? "no checkpoint yet" :
		    "checked against a checkpoint and the file", secs);
		check(audit_checkpoint(s, 0) == 0);
		audit_close();
		store_close(s);
		s = NULL;
		check(store_open(&s, db_path, key, 0) == STORE_OK);
	}
	store_close(s);
	remove_db();
	rmdir(dir);
	return test_failures == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	uint8_t seed[NOTE_SEED_BYTES];
	const char *tmp = getenv("TMPDIR");

	if (secmem_init() != 0) {
		fail("secmem_init");
		return test_done("test_audit_log");
	}
	snprintf(dir, sizeof(dir), "%s/corridor-audit-log-XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		fail("mkdtemp");
		return test_done("test_audit_log");
	}
	snprintf(db_path, sizeof(db_path), "%s/corridor.db", dir);
	snprintf(cp_path, sizeof(cp_path), "%s/audit-checkpoint", dir);
	secmem_random(key, sizeof(key));
	memset(seed, 1, sizeof(seed));
	note_keypair_from_seed(pk1, sk1, seed);
	memset(seed, 2, sizeof(seed));
	note_keypair_from_seed(pk2, sk2, seed);

	if (argc == 3 && strcmp(argv[1], "--startup-bench") == 0)
		return startup_bench(strtoull(argv[2], NULL, 10));

	test_append_commit_rollback();
	test_reasons();
	test_startup_checks();
	test_rotation();
	test_proofs_from_stored_leaves();
	remove_db();
	rmdir(dir);
	secmem_wipe(sk1, sizeof(sk1));
	secmem_wipe(sk2, sizeof(sk2));
	return test_done("test_audit_log");
}
