/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * dbpeek: a test helper that opens a corridor data directory the way an
 * adversary holding the operator passphrase would: K_db from the wrap
 * file, then the raw SQLCipher database, and no user password at all. The
 * API tests use it to show what such an adversary sees, to read the audit
 * table directly, and to tamper with rows. Never installed.
 *
 *   dbpeek DIR PASSFILE dump         every row of every table, blobs in hex
 *   dbpeek DIR PASSFILE audit        audit_log rows as JSON lines
 *   dbpeek DIR PASSFILE query SQL    rows of SQL as JSON arrays
 *   dbpeek DIR PASSFILE exec SQL     run SQL, print the changed row count
 *   dbpeek DIR PASSFILE unsplit      turn DIR back into a directory made
 *                                    before the signing key had a file of
 *                                    its own: one combined (version-1)
 *                                    keys file holding K_db and the key in
 *                                    audit-key (same passphrase), and no
 *                                    audit-key
 *   dbpeek DIR PASSFILE repl         read commands (dump, audit, query SQL)
 *                                    one a line from stdin; after each
 *                                    answer print a line "--end--" (the
 *                                    key is derived once: tests that look
 *                                    after every request stay fast)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto/encode.h"
#include "crypto/keys.h"
#include "crypto/secmem.h"
#include "schema/store.h"
#include "server/audit/audit.h"
#include "server/limits.h"
#include "server/cli/secret.h"

static json_t *
column_json(sqlite3_stmt *st, int i)
{
	const unsigned char *b;
	char *hex;
	int n;
	json_t *v;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	case SQLITE_TEXT:
		return json_string((const char *)sqlite3_column_text(st, i));
	case SQLITE_BLOB:
		b = sqlite3_column_blob(st, i);
		n = sqlite3_column_bytes(st, i);
		if ((hex = malloc(2 * (size_t)n + 1)) == NULL)
			return NULL;
		if (encode_hex(hex, 2 * (size_t)n + 1, b, (size_t)n) != 0)
			hex[0] = '\0';
		v = json_pack("{s:s}", "hex", hex);
		free(hex);
		return v;
	}
	return json_null();
}

static int
query(sqlite3 *db, const char *sql, int with_names)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "dbpeek: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = with_names ? json_object() : json_array();
		char *s;

		for (int i = 0; i < sqlite3_column_count(st); i++) {
			if (with_names)
				json_object_set_new(row,
				    sqlite3_column_name(st, i),
				    column_json(st, i));
			else
				json_array_append_new(row, column_json(st, i));
		}
		s = json_dumps(row, JSON_COMPACT);
		printf("%s\n", s ? s : "null");
		free(s);
		json_decref(row);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : 1;
}

static int
dump(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	char sql[256];
	int rc = 0;

	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE"
	    " type = 'table' ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return 1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		printf("== %s\n", t);
		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", t);
		rc |= query(db, sql, 1);
	}
	sqlite3_finalize(st);
	return rc;
}

static int
audit(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;

	/* "reason": the entry commits to a break-glass reason, i.e. it has
	 * a row in the side table (erased or not) */
	if (sqlite3_prepare_v2(db, "SELECT seq, actor_id, role, action,"
	    " object_type, nullif(object_id, ''), outcome, request_id,"
	    " (SELECT 1 FROM audit_reasons r WHERE r.seq = audit_log.seq),"
	    " entry FROM audit_log ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return 1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *obj = sqlite3_column_text(st, 5);
		json_t *o = json_pack("{s:I, s:s, s:i, s:s, s:i, s:s?, s:s, s:s,"
		    " s:b}",
		    "seq", (json_int_t)sqlite3_column_int64(st, 0),
		    "actor_id", (const char *)sqlite3_column_text(st, 1),
		    "role", sqlite3_column_int(st, 2),
		    "action", audit_action_name(sqlite3_column_int(st, 3)),
		    "object_type", sqlite3_column_int(st, 4),
		    "object_id", (const char *)obj,
		    "outcome", audit_outcome_name(sqlite3_column_int(st, 6)),
		    "request_id", (const char *)sqlite3_column_text(st, 7),
		    "reason", sqlite3_column_type(st, 8) != SQLITE_NULL);
		/* an anonymous summary: its counts, [[action, outcome,
		 * status, count], ...] (docs/audit.md 2.7) */
		struct audit_entry e;
		struct audit_summary sum;

		if (o != NULL && sqlite3_column_int(st, 3) == AUDIT_ANON_SUMMARY &&
		    audit_entry_decode(&e, sqlite3_column_blob(st, 9),
		    (size_t)sqlite3_column_bytes(st, 9)) == 0 &&
		    audit_entry_summary_parse(e.extra, e.extra_len, &sum) == 0) {
			json_t *k = json_array();

			for (unsigned i = 0; k != NULL && i < sum.n; i++)
				json_array_append_new(k, json_pack("[s, s, i, I]",
				    audit_action_name(sum.k[i].action),
				    audit_outcome_name(sum.k[i].outcome),
				    (int)sum.k[i].status,
				    (json_int_t)sum.k[i].count));
			json_object_set_new(o, "summary", k);
		}
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

		printf("%s\n", s ? s : "null");
		free(s);
		json_decref(o);
	}
	sqlite3_finalize(st);
	return 0;
}

/* One command a line; every command is its own read transaction, so it
 * sees every commit made before it. */
static int
repl(sqlite3 *db)
{
	char line[8192];
	int rc = 0;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		size_t n = strcspn(line, "\n");

		line[n] = '\0';
		if (strcmp(line, "dump") == 0)
			rc |= dump(db);
		else if (strcmp(line, "audit") == 0)
			rc |= audit(db);
		else if (strncmp(line, "query ", 6) == 0)
			rc |= query(db, line + 6, 0);
		else if (line[0] != '\0') {
			fprintf(stderr, "dbpeek: unknown command\n");
			rc = 1;
		}
		printf("--end--\n");
		fflush(stdout);
	}
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: dbpeek DIR PASSFILE dump|audit|query SQL|"
	    "exec SQL|unsplit|repl\n");
}

int
main(int argc, char **argv)
{
	struct keys_secret *ks = NULL;
	struct store *s = NULL;
	char db[4096], keys[4096], err[128], *pass = NULL;
	size_t pass_len = 0;
	int rc = 1;

	if (argc < 4) {
		usage();
		return 2;
	}
	if (secmem_init() != 0)
		return 1;
	snprintf(db, sizeof(db), "%s/corridor.db", argv[1]);
	snprintf(keys, sizeof(keys), "%s/keys", argv[1]);
	if (secret_read(&pass, &pass_len, argv[2], NULL, 0,
	    MAX_PASSPHRASE_BYTES, err, sizeof(err)) != 0) {
		fprintf(stderr, "dbpeek: %s\n", err);
		return 1;
	}
	if ((ks = secmem_alloc(sizeof(*ks))) == NULL ||
	    keys_wrap_open(keys, pass, pass_len, ks) != KEYS_OK ||
	    store_open(&s, db, ks->db_key, 0) != STORE_OK) {
		fprintf(stderr, "dbpeek: cannot open the database\n");
		goto done;
	}
	if (strcmp(argv[3], "unsplit") == 0) {
		char sign[4096];

		snprintf(sign, sizeof(sign), "%s/audit-key", argv[1]);
		if (keys_sign_open(sign, pass, pass_len, ks->audit_sk)
		    != KEYS_OK) {
			fprintf(stderr, "dbpeek: cannot open audit-key\n");
			goto done;
		}
		ks->combined = 1;
		if (keys_wrap_replace(keys, pass, pass_len, ks) != KEYS_OK ||
		    unlink(sign) != 0) {
			fprintf(stderr, "dbpeek: cannot write keys\n");
			goto done;
		}
		rc = 0;
	} else if (strcmp(argv[3], "dump") == 0) {
		rc = dump(store_db(s));
	} else if (strcmp(argv[3], "repl") == 0) {
		rc = repl(store_db(s));
	} else if (strcmp(argv[3], "audit") == 0) {
		rc = audit(store_db(s));
	} else if (strcmp(argv[3], "query") == 0 && argc == 5) {
		rc = query(store_db(s), argv[4], 0);
	} else if (strcmp(argv[3], "exec") == 0 && argc == 5) {
		if (sqlite3_exec(store_db(s), argv[4], NULL, NULL, NULL)
		    != SQLITE_OK) {
			fprintf(stderr, "dbpeek: %s\n",
			    sqlite3_errmsg(store_db(s)));
			goto done;
		}
		printf("%d\n", sqlite3_changes(store_db(s)));
		rc = 0;
	} else {
		usage();
		rc = 2;
	}
done:
	store_close(s);
	secmem_free(ks);
	secret_free(pass, pass_len);
	return rc;
}
