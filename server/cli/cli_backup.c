/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli_backup: `corridor backup DIR OUT` and `corridor restore BACKUP DIR`.
 *
 * A backup is a new directory holding corridor.db and keys, laid out like a
 * data directory. Its database is a sqlcipher_export of the live one under
 * a fresh random K_db, taken inside one read transaction on a connection of
 * its own, so it is consistent and safe to take while the server runs (the
 * WAL lets the server keep writing). Its wrap file holds that fresh K_db and
 * the same audit signing key, under the same operator passphrase, so the
 * audit log still verifies against the key auditors have pinned.
 *
 * restore copies a backup into a new or empty directory the same way, again
 * under a fresh K_db, and never overwrites anything. The backup itself is
 * opened without being changed (store_open_existing).
 *
 * Neither ever writes plaintext: the copy is checked by store_cipher_export
 * (no plaintext header; opens under the new key; quick_check passes; same
 * row count in every table) and, once its wrap file is written, the wrap
 * file is read back with the passphrase and the copy checked again under
 * the key it yields.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/keys.h"
#include "crypto/secmem.h"
#include "schema/store.h"
#include "schema/store_cipher.h"
#include "server/cli/cli.h"
#include "server/cli/datadir.h"
#include "server/limits.h"
#include "server/cli/secret.h"

struct backup_opts {
	const char	*from;
	const char	*to;
	const char	*passphrase_file;
};

static int
parse(int argc, char **argv, struct backup_opts *o)
{
	static const struct option longopts[] = {
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	/* getopt's own messages echo argv, which may hold a mistyped secret */
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p': o->passphrase_file = optarg; break;
		default: return -1;
		}
	}
	if (optind != argc - 2)
		return -1;
	o->from = argv[optind];
	o->to = argv[optind + 1];
	return 0;
}

/* Remove what copy_out may have left in dir (nothing else is there). */
static void
remove_copy(const char *dir, int remove_dir)
{
	static const char *const names[] = {
		DATADIR_KEYS, DATADIR_DB, DATADIR_DB "-journal",
		DATADIR_DB "-wal", DATADIR_DB "-shm",
	};
	char path[4096];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (cli_path(path, sizeof(path), dir, names[i]) == 0)
			(void)unlink(path);
	if (remove_dir)
		(void)rmdir(dir);
}

/* fsync the directory holding path (a new entry in it). */
static void
sync_parent(const char *path)
{
	char buf[4096];
	int n = snprintf(buf, sizeof(buf), "%s", path);

	if (n > 0 && (size_t)n < sizeof(buf))
		(void)datadir_sync(dirname(buf));
}

/*
 * Export src into dir (which holds nothing of ours yet) under a fresh K_db,
 * wrap that key with src_ks's audit key under pass, and read both back.
 * 0, or -1 after printing the reason; on failure the caller removes the
 * files with remove_copy.
 */
static int
copy_out(struct store *src, const char *dir, const char *pass,
    size_t pass_len, const struct keys_secret *src_ks)
{
	struct keys_secret *nks = NULL, *check = NULL;
	char db_path[4096], keys_path[4096];
	int rc = -1, kr;

	if (cli_path(db_path, sizeof(db_path), dir, DATADIR_DB) != 0 ||
	    cli_path(keys_path, sizeof(keys_path), dir, DATADIR_KEYS) != 0) {
		cli_error("target path too long");
		return -1;
	}
	if ((nks = secmem_alloc(sizeof(*nks))) == NULL ||
	    (check = secmem_alloc(sizeof(*check))) == NULL) {
		cli_error("cannot allocate locked memory");
		goto done;
	}
	secmem_random(nks->db_key, sizeof(nks->db_key));
	memcpy(nks->audit_sk, src_ks->audit_sk, sizeof(nks->audit_sk));
	if ((kr = store_cipher_export(src, db_path, nks->db_key)) != STORE_OK) {
		cli_error("cannot write an encrypted copy: %s",
		    store_strerror(kr));
		goto done;
	}
	if ((kr = keys_wrap_create(keys_path, pass, pass_len, nks))
	    != KEYS_OK) {
		cli_error("cannot write the copy's key file: %s",
		    keys_strerror(kr));
		goto done;
	}
	/* read back the way serve will: passphrase -> key file -> database */
	if ((kr = keys_wrap_open(keys_path, pass, pass_len, check)) != KEYS_OK ||
	    !secmem_equal(check, nks, sizeof(*nks))) {
		cli_error("the copy's key file does not read back");
		goto done;
	}
	if ((kr = store_cipher_check(db_path, check->db_key)) != STORE_OK) {
		cli_error("the copy does not read back: %s", store_strerror(kr));
		goto done;
	}
	if (datadir_sync(dir) != 0) {
		cli_error("cannot flush the target directory");
		goto done;
	}
	rc = 0;
done:
	secmem_free(check);
	secmem_free(nks);
	return rc;
}

int
cli_backup(int argc, char **argv)
{
	struct backup_opts o;
	struct datadir d = { .lock = -1 };
	char db_path[DATADIR_PATH_BYTES];
	int rc = 1, made_out = 0;

	if (parse(argc, argv, &o) != 0) {
		cli_error("usage: corridor backup DIR OUT [--passphrase-file F]");
		return EXIT_USAGE;
	}
	if (cli_path(db_path, sizeof(db_path), o.from, DATADIR_DB) != 0) {
		cli_error("data directory path too long");
		return EXIT_USAGE;
	}
	if (access(db_path, F_OK) != 0) {
		cli_error("no corridor database in %s", o.from);
		return 1;
	}
	if (mkdir(o.to, 0700) != 0) {
		cli_error(errno == EEXIST ? "refusing: %s already exists; a "
		    "backup goes into a new directory" :
		    "cannot create the backup directory %s", o.to);
		return 1;
	}
	made_out = 1;
	/* no lock: a connection of our own beside the server's, which WAL
	 * lets both run; the passphrase wraps the copy's new key */
	if (datadir_open(&d, o.from, o.passphrase_file, DATADIR_STORE |
	    DATADIR_KEEP_PASS, NULL) != 0)
		goto done;
	if (copy_out(d.s, o.to, d.pass, d.pass_len, d.ks) != 0)
		goto done;
	sync_parent(o.to);
	printf("corridor: backup of %s written to %s (encrypted under a new "
	    "key, verified)\n", o.from, o.to);
	rc = 0;
done:
	datadir_close(&d);
	if (rc != 0 && made_out)
		remove_copy(o.to, 1);
	return rc;
}

int
cli_restore(int argc, char **argv)
{
	struct backup_opts o;
	struct keys_secret *ks = NULL;
	struct store *s = NULL;
	char bdb[4096], bkeys[4096], db_path[4096], err[128], *pass = NULL;
	size_t pass_len = 0;
	int rc = 1, kr, made_dir = 0, lock = -1, empty, plain;

	if (parse(argc, argv, &o) != 0) {
		cli_error("usage: corridor restore BACKUP DIR "
		    "[--passphrase-file F]");
		return EXIT_USAGE;
	}
	if (cli_path(bdb, sizeof(bdb), o.from, DATADIR_DB) != 0 ||
	    cli_path(bkeys, sizeof(bkeys), o.from, DATADIR_KEYS) != 0 ||
	    cli_path(db_path, sizeof(db_path), o.to, DATADIR_DB) != 0) {
		cli_error("path too long");
		return EXIT_USAGE;
	}
	if (access(bdb, F_OK) != 0 || access(bkeys, F_OK) != 0) {
		cli_error("%s is not a corridor backup (it needs %s and %s)",
		    o.from, DATADIR_DB, DATADIR_KEYS);
		return 1;
	}
	if (mkdir(o.to, 0700) == 0) {
		made_dir = 1;
	} else if (errno != EEXIST ||
	    (empty = datadir_is_empty(o.to)) == -1) {
		cli_error("cannot create the data directory %s", o.to);
		return 1;
	} else if (!empty) {
		cli_error("refusing to overwrite: %s is not empty", o.to);
		return 1;
	} else if (datadir_check_owner(o.to) != 0) {
		return 1;
	}
	if ((lock = datadir_lock(o.to)) == -1) {
		cli_error("the data directory %s is in use", o.to);
		goto done;
	}
	if (secret_read(&pass, &pass_len, o.passphrase_file,
	    "Operator passphrase of the backup: ", 0, MAX_PASSPHRASE_BYTES,
	    err, sizeof(err)) != 0) {
		cli_error("%s", err);
		goto done;
	}
	if ((ks = secmem_alloc(sizeof(*ks))) == NULL) {
		cli_error("cannot allocate locked memory");
		goto done;
	}
	if ((kr = keys_wrap_open(bkeys, pass, pass_len, ks)) != KEYS_OK) {
		cli_error("%s", keys_strerror(kr));
		goto done;
	}
	if ((plain = store_cipher_file_plaintext(bdb)) != 0) {
		cli_error(plain == 1 ? "refusing: the backup database is not "
		    "encrypted" : "cannot read the backup database");
		goto done;
	}
	if ((kr = store_open_existing(&s, bdb, ks->db_key)) != STORE_OK) {
		cli_error("cannot open the backup: %s", store_strerror(kr));
		goto done;
	}
	if (copy_out(s, o.to, pass, pass_len, ks) != 0)
		goto done;
	store_close(s);
	s = NULL;
	if (made_dir)
		sync_parent(o.to);
	printf("corridor: restored %s into %s (encrypted under a new key, "
	    "verified); start it with corridor serve %s\n", o.from, o.to,
	    o.to);
	rc = 0;
done:
	store_close(s);
	if (rc != 0 && lock != -1)
		remove_copy(o.to, made_dir);
	else if (rc != 0 && made_dir)
		(void)rmdir(o.to);
	datadir_unlock(lock);
	secmem_free(ks);
	secret_free(pass, pass_len);
	return rc;
}
