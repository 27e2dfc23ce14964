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
 * With --prune-days N, a successful backup then deletes the backups beside
 * it whose timer-made names (YYYYMMDDTHHMMSSZ) are older than N days: the
 * key file first, so a backup that could not be deleted whole still
 * cannot be opened. This is how long a shredded case survives in backups.
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
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
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
	unsigned	 prune_days;	/* 0: no pruning */
};

static int
parse(int argc, char **argv, struct backup_opts *o)
{
	static const struct option longopts[] = {
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "prune-days", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	/* getopt's own messages echo argv, which may hold a mistyped secret */
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p': o->passphrase_file = optarg; break;
		case 'P':	/* 1 .. BACKUP_PRUNE_MAX_DAYS */
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' ||
			    optarg[0] > '9' || v == 0 ||
			    v > BACKUP_PRUNE_MAX_DAYS)
				return -1;
			o->prune_days = (unsigned)v;
			break;
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

/* 1 if dir holds nothing but a backup's files (remove_copy's names). */
static int
only_backup_files(const char *dir)
{
	static const char *const names[] = {
		DATADIR_KEYS, DATADIR_DB, DATADIR_DB "-journal",
		DATADIR_DB "-wal", DATADIR_DB "-shm", ".", "..",
	};
	struct dirent *de;
	DIR *dp;
	int ok = 1;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while (ok && (de = readdir(dp)) != NULL) {
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(de->d_name, names[i]) == 0)
				break;
		ok = i < sizeof(names) / sizeof(names[0]);
	}
	closedir(dp);
	return ok;
}

/*
 * The time a backup directory's name says it was taken, for names the
 * backup timer makes (YYYYMMDDTHHMMSSZ, UTC): 0 with *t set, or -1 for
 * any other name, which pruning never touches.
 */
static int
backup_name_time(const char *name, time_t *t)
{
	struct tm tm;
	const char *end;

	if (strlen(name) != 16 || name[8] != 'T' || name[15] != 'Z')
		return -1;
	for (int i = 0; i < 15; i++)
		if (i != 8 && (name[i] < '0' || name[i] > '9'))
			return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(name, "%Y%m%dT%H%M%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	*t = timegm(&tm);
	return *t == (time_t)-1 ? -1 : 0;
}

/*
 * Delete the backups beside keep (in its parent directory) whose names
 * say they are older than days. A backup goes key file first, so that
 * even a half-deleted one cannot be opened; a directory holding anything
 * but a backup's files is left alone and reported. Returns how many could
 * not be deleted; prints one line per backup deleted (its name is a date).
 */
static unsigned
prune(const char *keep, unsigned days)
{
	char parent[4096], dir[4096];
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL), t;
	unsigned failed = 0;
	DIR *dp;
	int n;

	n = snprintf(parent, sizeof(parent), "%s", keep);
	if (n <= 0 || (size_t)n >= sizeof(parent))
		return 1;
	n = snprintf(dir, sizeof(dir), "%s", dirname(parent));
	if (n <= 0 || (size_t)n >= sizeof(dir) || (dp = opendir(dir)) == NULL)
		return 1;
	while ((de = readdir(dp)) != NULL) {
		char path[4096];

		if (backup_name_time(de->d_name, &t) != 0 ||
		    now - t <= (time_t)days * 86400 ||
		    cli_path(path, sizeof(path), dir, de->d_name) != 0 ||
		    lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (!only_backup_files(path)) {
			cli_error("not pruned: %s holds files that are not a "
			    "backup's", de->d_name);
			failed++;
			continue;
		}
		remove_copy(path, 1);	/* the key file first */
		if (access(path, F_OK) == 0) {
			cli_error("could not prune %s", de->d_name);
			failed++;
			continue;
		}
		printf("corridor: pruned backup %s (older than %u days)\n",
		    de->d_name, days);
	}
	closedir(dp);
	(void)datadir_sync(dir);
	return failed;
}

int
cli_backup(int argc, char **argv)
{
	struct backup_opts o;
	struct datadir d = { .lock = -1 };
	char db_path[DATADIR_PATH_BYTES];
	int rc = 1, made_out = 0;

	if (parse(argc, argv, &o) != 0) {
		cli_error("usage: corridor backup DIR OUT [--passphrase-file F] "
		    "[--prune-days N]");
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
	/* only after a good backup: never leave fewer than before */
	if (o.prune_days > 0 && prune(o.to, o.prune_days) != 0)
		rc = 1;
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
