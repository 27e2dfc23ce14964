/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli_check: `corridor check DIR`. Unwraps K_db, opens the database like
 * serve does (cipher present, key confirmed) and runs PRAGMA
 * integrity_check, which reads every page and so also checks every page's
 * HMAC. Safe while the server runs (WAL readers do not block). Prints "ok"
 * and exits 0, or one line and exits 1.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/keys.h"
#include "crypto/secmem.h"
#include "schema/store.h"
#include "server/cli/cli.h"
#include "server/limits.h"
#include "server/cli/secret.h"

int
cli_check(int argc, char **argv)
{
	const char *passfile = NULL;
	struct keys_secret *ks = NULL;
	struct store *s = NULL;
	sqlite3_stmt *st = NULL;
	char db_path[4096], keys_path[4096], err[128], *pass = NULL;
	size_t pass_len = 0;
	const char *dir;
	int rc = 1, kr, ok = 0;
	const struct cli_opt opts[] = {
		CLI_OPT_TEXT("passphrase-file", &passfile),
	};

	if (cli_parse(argc, argv, opts, CLI_NOPTS(opts), &dir, 1) != 0 ||
	    cli_path(db_path, sizeof(db_path), dir, DATADIR_DB) != 0 ||
	    cli_path(keys_path, sizeof(keys_path), dir, DATADIR_KEYS) != 0) {
		cli_error("usage: corridor check DIR [--passphrase-file F]");
		return EXIT_USAGE;
	}
	if (secret_read(&pass, &pass_len, passfile, "Operator passphrase: ", 0,
	    MAX_PASSPHRASE_BYTES, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		return 1;
	}
	if ((ks = secmem_alloc(sizeof(*ks))) == NULL) {
		cli_error("cannot allocate locked memory");
		goto done;
	}
	if ((kr = keys_wrap_open(keys_path, pass, pass_len, ks)) != KEYS_OK) {
		cli_error("%s", keys_strerror(kr));
		goto done;
	}
	if ((kr = store_open(&s, db_path, ks->db_key, 0)) != STORE_OK) {
		cli_error("%s", store_strerror(kr));
		goto done;
	}
	secmem_wipe(ks, sizeof(*ks));
	if (sqlite3_prepare_v2(store_db(s), "PRAGMA integrity_check", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		ok = t != NULL && strcmp((const char *)t, "ok") == 0 &&
		    sqlite3_step(st) == SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (!ok) {
		/* the pragma's own text may name tables; keep it out */
		cli_error("integrity check failed: the database is damaged");
		goto done;
	}
	printf("ok\n");
	rc = 0;
done:
	store_close(s);
	secmem_free(ks);
	secret_free(pass, pass_len);
	return rc;
}
