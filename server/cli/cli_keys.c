/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli_keys: `corridor passphrase DIR` and `corridor rekey DIR`, the two
 * changes of the operator's keys. Both need the server stopped (they take
 * the data directory lock) and both leave the audit signing key as it is.
 *
 * passphrase re-wraps the same K_db under a new passphrase:
 * keys_wrap_replace writes keys.new and renames it over keys, so at every
 * instant keys is a complete wrap file under one passphrase or the other.
 * The database is not touched. The signing key file (audit-key) follows
 * when it was under the same passphrase, the same way; one under a
 * passphrase of its own is left alone. A directory not yet split keeps
 * its combined keys file (keys_secret.combined), signing key included.
 *
 * rekey replaces K_db itself, for when K_db may have leaked. The order
 * makes every interruption recoverable:
 *   1. write keys.pending: the new K_db (and the same audit key) under the
 *      same passphrase, fsync it and the directory;
 *   2. PRAGMA rekey, one SQLite transaction that rewrites every page under
 *      the new key; then checkpoint the WAL into the main file;
 *   3. confirm on a fresh connection that the new key opens the database
 *      and the old one no longer does;
 *   4. rename keys.pending over keys and fsync the directory.
 * Interrupted before 2 commits, the database is still under the old key;
 * after, it is under the new one. Either way keys or keys.pending holds the
 * key that opens it, and the next command on the directory (serve, backup,
 * passphrase, rekey) keeps that one and removes the other
 * (datadir_open_keys).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto/keys.h"
#include "crypto/secmem.h"
#include "schema/store.h"
#include "schema/store_cipher.h"
#include "server/cli/cli.h"
#include "server/cli/datadir.h"
#include "server/limits.h"
#include "server/cli/secret.h"

struct keys_opts {
	const char	*dir;
	const char	*passphrase_file;
	const char	*new_passphrase_file;	/* passphrase only */
};

static int
parse(int argc, char **argv, struct keys_opts *o, int with_new)
{
	const struct cli_opt opts[] = {
		CLI_OPT_TEXT("passphrase-file", &o->passphrase_file),
		CLI_OPT_TEXT("new-passphrase-file", &o->new_passphrase_file),
	};

	memset(o, 0, sizeof(*o));
	/* rekey takes no new passphrase */
	return cli_parse(argc, argv, opts, with_new ? 2 : 1, &o->dir, 1);
}

/* A key file that follows the operator passphrase when it shares it. */
struct follower {
	const char	*name;		/* DATADIR_SIGN, DATADIR_INDEX_KEY */
	size_t		 len;		/* its key's bytes */
	int		(*open)(const char *, const char *, size_t, uint8_t *);
	int		(*replace)(const char *, const char *, size_t,
			    const uint8_t *);
};

static int
sign_open(const char *p, const char *pass, size_t n, uint8_t *k)
{
	return keys_sign_open(p, pass, n, k);
}

static int
sign_replace(const char *p, const char *pass, size_t n, const uint8_t *k)
{
	return keys_sign_replace(p, pass, n, k);
}

static int
index_open(const char *p, const char *pass, size_t n, uint8_t *k)
{
	return keys_index_open(p, pass, n, k);
}

static int
index_replace(const char *p, const char *pass, size_t n, const uint8_t *k)
{
	return keys_index_replace(p, pass, n, k);
}

/*
 * After a passphrase change: re-wrap f's file (audit-key, index-key)
 * under the new passphrase if it opens with the old one (one passphrase
 * for all); say so either way. 0, or -1 after printing why.
 */
static int
follow_key(const struct follower *f, const char *dir, const char *old,
    size_t old_len, const char *new, size_t new_len)
{
	char path[4096];
	uint8_t *k;
	int kr, rc = -1;

	if (cli_path(path, sizeof(path), dir, f->name) != 0 ||
	    access(path, F_OK) != 0)
		return 0;	/* not split yet, or not made yet */
	if ((k = secmem_alloc(f->len)) == NULL) {
		cli_error("cannot allocate locked memory");
		return -1;
	}
	kr = f->open(path, old, old_len, k);
	if (kr == KEYS_EPASS) {
		printf("corridor: %s is under a passphrase of its own and was "
		    "not changed\n", f->name);
		rc = 0;
	} else if (kr != KEYS_OK ||
	    (kr = f->replace(path, new, new_len, k)) != KEYS_OK ||
	    datadir_sync(dir) != 0) {
		cli_error("the operator passphrase changed, but %s could not "
		    "follow (%s); it still opens with the old passphrase, give "
		    "that as --signing-passphrase-file", f->name,
		    keys_strerror(kr));
	} else {
		printf("corridor: %s re-wrapped under the new passphrase too\n",
		    f->name);
		rc = 0;
	}
	secmem_free(k);
	return rc;
}

static int
follow_signing_key(const char *dir, const char *old, size_t old_len,
    const char *new, size_t new_len)
{
	static const struct follower fs[] = {
		{ DATADIR_SIGN, KEYS_AUDIT_SK_BYTES, sign_open, sign_replace },
		{ DATADIR_INDEX_KEY, KEYS_INDEX_KEY_BYTES, index_open,
		  index_replace },
	};
	int rc = 0;

	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		if (follow_key(&fs[i], dir, old, old_len, new, new_len) != 0)
			rc = -1;
	return rc;
}

int
cli_passphrase(int argc, char **argv)
{
	struct keys_opts o;
	struct datadir d = { .lock = -1 };
	struct keys_secret *ks, *check = NULL;
	struct store *s = NULL;
	const char *keys_path, *db_path;
	char err[128], *new = NULL;
	size_t new_len = 0;
	int rc = 1, kr;

	if (parse(argc, argv, &o, 1) != 0) {
		cli_error("usage: corridor passphrase DIR [--passphrase-file F] "
		    "[--new-passphrase-file F]");
		return EXIT_USAGE;
	}
	if ((rc = datadir_open(&d, o.dir, o.passphrase_file, DATADIR_LOCK |
	    DATADIR_CURRENT | DATADIR_KEEP_PASS, NULL)) != 0)
		return rc;
	rc = 1;
	ks = d.ks;
	keys_path = d.keys_path;
	db_path = d.db_path;
	if ((check = secmem_alloc(sizeof(*check))) == NULL) {
		cli_error("cannot allocate locked memory");
		goto done;
	}
	/* never re-wrap a key that does not open this database */
	if ((kr = store_open_existing(&s, db_path, ks->db_key)) != STORE_OK) {
		cli_error("%s; the key file was not changed",
		    store_strerror(kr));
		goto done;
	}
	store_close(s);
	s = NULL;
	if (secret_read(&new, &new_len, o.new_passphrase_file,
	    "New operator passphrase: ", 1, MAX_PASSPHRASE_BYTES, err,
	    sizeof(err)) != 0) {
		cli_error("%s", err);
		goto done;
	}
	if (new_len == d.pass_len && secmem_equal(new, d.pass, d.pass_len)) {
		cli_error("the new passphrase is the same as the current one");
		goto done;
	}
	if ((kr = keys_wrap_replace(keys_path, new, new_len, ks)) != KEYS_OK) {
		cli_error("%s; the old passphrase still applies",
		    keys_strerror(kr));
		goto done;
	}
	if (datadir_sync(o.dir) != 0) {
		cli_error("cannot flush the data directory");
		goto done;
	}
	/* read back what was written, as serve will */
	if ((kr = keys_wrap_open(keys_path, new, new_len, check)) != KEYS_OK ||
	    !secmem_equal(check, ks, sizeof(*ks))) {
		cli_error("the new key file does not read back: %s",
		    keys_strerror(kr));
		goto done;
	}
	if (follow_signing_key(o.dir, d.pass, d.pass_len, new, new_len) != 0)
		goto done;
	printf("corridor: passphrase changed for %s (the database was not "
	    "touched)\n", o.dir);
	rc = 0;
done:
	store_close(s);
	secmem_free(check);
	secret_free(new, new_len);
	datadir_close(&d);
	return rc;
}

/*
 * After a failed step 2 or 3: say which key opens the database now, settle
 * the files accordingly if we can, and return 1 (the operation failed).
 */
static int
rekey_failed(const char *dir, const char *db_path, const char *pend_path,
    const struct keys_secret *old, const char *why)
{
	if (store_cipher_check(db_path, old->db_key) == STORE_OK) {
		(void)unlink(pend_path);
		(void)datadir_sync(dir);
		cli_error("rekey failed (%s); the database is unchanged", why);
	} else {
		cli_error("rekey failed (%s); %s and %s are left for the next "
		    "start to settle", why, DATADIR_KEYS, DATADIR_KEYS_PENDING);
	}
	return 1;
}

int
cli_rekey(int argc, char **argv)
{
	struct keys_opts o;
	struct datadir d = { .lock = -1 };
	struct keys_secret *ks, *nks = NULL;
	struct store *s = NULL;
	const char *keys_path, *db_path, *pass;
	char pend_path[DATADIR_PATH_BYTES];
	size_t pass_len;
	int rc = 1, kr, plain, checkpointed = 0;

	if (parse(argc, argv, &o, 0) != 0) {
		cli_error("usage: corridor rekey DIR [--passphrase-file F]");
		return EXIT_USAGE;
	}
	if (cli_path(pend_path, sizeof(pend_path), o.dir, DATADIR_KEYS_PENDING)
	    != 0) {
		cli_error("data directory path too long");
		return EXIT_USAGE;
	}
	if ((rc = datadir_open(&d, o.dir, o.passphrase_file, DATADIR_LOCK |
	    DATADIR_KEEP_PASS, NULL)) != 0)
		return rc;
	rc = 1;
	ks = d.ks;
	pass = d.pass;
	pass_len = d.pass_len;
	keys_path = d.keys_path;
	db_path = d.db_path;
	if ((nks = secmem_alloc(sizeof(*nks))) == NULL) {
		cli_error("cannot allocate locked memory");
		goto done;
	}
	/* PRAGMA rekey on a plaintext file is a silent no-op */
	if ((plain = store_cipher_file_plaintext(db_path)) != 0) {
		cli_error(plain == 1 ? "refusing: the database file is not "
		    "encrypted" : "cannot read the database file");
		goto done;
	}
	if ((kr = store_open(&s, db_path, ks->db_key, 0)) != STORE_OK) {
		cli_error("%s", store_strerror(kr));
		goto done;
	}

	/* 1. the new key, durable before the database changes */
	secmem_random(nks->db_key, sizeof(nks->db_key));
	memcpy(nks->audit_sk, ks->audit_sk, sizeof(nks->audit_sk));
	nks->combined = ks->combined;	/* an unsplit file stays whole */
	if ((kr = keys_wrap_create(pend_path, pass, pass_len, nks)) != KEYS_OK ||
	    datadir_sync(o.dir) != 0) {
		if (kr == KEYS_OK)
			(void)unlink(pend_path);
		cli_error("cannot write %s: %s", DATADIR_KEYS_PENDING,
		    kr == KEYS_OK ? "cannot flush the directory" :
		    keys_strerror(kr));
		goto done;
	}
	/* 2. every page under the new key */
	kr = store_cipher_rekey(s, nks->db_key, &checkpointed);
	store_close(s);
	s = NULL;
	if (kr != STORE_OK) {
		rc = rekey_failed(o.dir, db_path, pend_path, ks,
		    store_strerror(kr));
		goto done;
	}
	/* 3. the new key opens every page; the old one opens nothing */
	if ((kr = store_cipher_check(db_path, nks->db_key)) != STORE_OK) {
		rc = rekey_failed(o.dir, db_path, pend_path, ks,
		    store_strerror(kr));
		goto done;
	}
	if (store_cipher_check(db_path, ks->db_key) != STORE_EKEY) {
		rc = rekey_failed(o.dir, db_path, pend_path, ks,
		    "the old key still opens the database");
		goto done;
	}
	/* 4. the new key becomes the key */
	if (rename(pend_path, keys_path) != 0 || datadir_sync(o.dir) != 0) {
		cli_error("the database is rekeyed but %s could not replace "
		    "%s; the next start will finish it", DATADIR_KEYS_PENDING,
		    DATADIR_KEYS);
		goto done;
	}
	if (!checkpointed)
		cli_error("warning: a reader kept the write-ahead log busy; "
		    "pages under the old key stay in the database file until "
		    "the next checkpoint");
	printf("corridor: database key replaced for %s\n", o.dir);
	rc = 0;
done:
	store_close(s);
	secmem_free(nks);
	datadir_close(&d);
	return rc;
}
