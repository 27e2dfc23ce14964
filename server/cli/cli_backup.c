/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli_backup: `corridor backup DIR OUT` and `corridor restore BACKUP DIR`.
 *
 * A backup is a new directory holding corridor.db and keys, laid out like a
 * data directory. Its database is a sqlcipher_export of the live one under
 * a fresh random K_db, taken inside one read transaction on a connection of
 * its own, so it is consistent and safe to take while the server runs (the
 * WAL lets the server keep writing). Its wrap file holds that fresh K_db,
 * under the same operator passphrase, and nothing else: the audit signing
 * key (audit-key) is never copied, so a backup and the passphrase cannot
 * rewrite and re-sign the log (docs/operations.md, "Who holds what").
 *
 * With --prune-days N, a successful backup then deletes the backups beside
 * it whose timer-made names (YYYYMMDDTHHMMSSZ) are older than N days: the
 * key file first, so a backup that could not be deleted whole still
 * cannot be opened. This is how long a shredded case survives in backups.
 *
 * restore copies a backup into a new or empty directory the same way, again
 * under a fresh K_db, and never overwrites anything. The backup itself is
 * opened without being changed (store_open_existing). The restored log
 * gets a new signing key: the previous one (the signing-key holder's copy
 * of audit-key, --signing-key; or, from a backup taken before the split,
 * the one in its combined keys file) signs an audit.key_rotate entry that
 * hands the log over to the new key, exactly as `corridor audit
 * rotate-key` does, so an auditor's verify passes across the restore.
 *
 * Neither ever writes plaintext: the copy is checked by store_cipher_export
 * (no plaintext header; opens under the new key; quick_check passes; same
 * row count in every table) and, once its wrap file is written, the wrap
 * file is read back with the passphrase and the copy checked again under
 * the key it yields.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/keys.h"
#include "crypto/note.h"
#include "crypto/secmem.h"
#include "schema/store.h"
#include "schema/store_cipher.h"
#include "server/audit/audit.h"
#include "server/cli/cli.h"
#include "server/cli/datadir.h"
#include "server/limits.h"
#include "server/cli/secret.h"

struct backup_opts {
	const char	*from;
	const char	*to;
	const char	*passphrase_file;
	unsigned long	 prune_days;	/* 0: no pruning */
	/* restore only */
	const char	*signing_key;		/* the previous audit-key */
	const char	*signing_passphrase_file;	/* opens it */
	const char	*new_signing_passphrase_file;	/* for the new one */
};

static int
parse(int argc, char **argv, struct backup_opts *o, int restore)
{
	/* backup takes the first two, restore the last four */
	const struct cli_opt opts[] = {
		CLI_OPT_UINT("prune-days", &o->prune_days, 1,
		    BACKUP_PRUNE_MAX_DAYS),
		CLI_OPT_TEXT("passphrase-file", &o->passphrase_file),
		CLI_OPT_TEXT("signing-key", &o->signing_key),
		CLI_OPT_TEXT("signing-passphrase-file",
		    &o->signing_passphrase_file),
		CLI_OPT_TEXT("new-signing-passphrase-file",
		    &o->new_signing_passphrase_file),
	};
	const char *dirs[2];

	memset(o, 0, sizeof(*o));
	if (cli_parse(argc, argv, restore ? opts + 1 : opts, restore ? 4 : 2,
	    dirs, 2) != 0)
		return -1;
	o->from = dirs[0];
	o->to = dirs[1];
	return 0;
}

/* Remove what copy_out may have left in dir (nothing else is there). */
static void
remove_copy(const char *dir, int remove_dir)
{
	static const char *const names[] = {
		DATADIR_KEYS, DATADIR_SIGN, DATADIR_AUDIT_CP, DATADIR_DB,
		DATADIR_DB "-journal", DATADIR_DB "-wal", DATADIR_DB "-shm",
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
 * wrap that key alone under pass (never the signing key), and read both
 * back.
 * 0, or -1 after printing the reason; on failure the caller removes the
 * files with remove_copy.
 */
static int
copy_out(struct store *src, const char *dir, const char *pass,
    size_t pass_len)
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
	/* audit_sk zero and combined 0: a K_db-only file (secmem_alloc
	 * memory is not zeroed) */
	secmem_wipe(nks, sizeof(*nks));
	secmem_random(nks->db_key, sizeof(nks->db_key));
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

	if (parse(argc, argv, &o, 0) != 0) {
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
	if (copy_out(d.s, o.to, d.pass, d.pass_len) != 0)
		goto done;
	sync_parent(o.to);
	printf("corridor: backup of %s written to %s (encrypted under a new "
	    "key, verified)\n", o.from, o.to);
	rc = 0;
	/* only after a good backup: never leave fewer than before */
	if (o.prune_days > 0 && prune(o.to, (unsigned)o.prune_days) != 0)
		rc = 1;
done:
	datadir_close(&d);
	if (rc != 0 && made_out)
		remove_copy(o.to, 1);
	return rc;
}

/*
 * Into ks->audit_sk: the key that signed the backup's log. From
 * --signing-key (under --signing-passphrase-file, or the operator
 * passphrase), else from a combined backup keys file (ks->combined). 0, or
 * -1 after printing why.
 */
static int
prev_signing_key(const struct backup_opts *o, const char *pass,
    size_t pass_len, struct keys_secret *ks)
{
	char err[128], *sp = NULL;
	size_t sp_len = 0;
	int kr;

	if (o->signing_key == NULL) {
		if (ks->combined)
			return 0;	/* a backup from before the split */
		cli_error("a backup holds no audit signing key; give the "
		    "previous one with --signing-key FILE (the signing-key "
		    "holder's copy of %s, docs/operations.md)", DATADIR_SIGN);
		return -1;
	}
	if (o->signing_passphrase_file != NULL && secret_read(&sp, &sp_len,
	    o->signing_passphrase_file, "Audit signing passphrase: ", 0,
	    MAX_PASSPHRASE_BYTES, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		return -1;
	}
	kr = keys_sign_open(o->signing_key, sp != NULL ? sp : pass,
	    sp != NULL ? sp_len : pass_len, ks->audit_sk);
	secret_free(sp, sp_len);
	if (kr != KEYS_OK) {
		cli_error("%s: %s", o->signing_key, keys_strerror(kr));
		return -1;
	}
	return 0;
}

/*
 * The restored directory's own signing key: a new key pair, wrapped into
 * DIR/audit-key (under --new-signing-passphrase-file, else the passphrase
 * that opened the previous key), and handed over to in the log by an
 * audit.key_rotate entry that the previous key (ks->audit_sk) seals, as
 * `corridor audit rotate-key` does. 0, or -1 after printing why (the
 * caller removes what was written).
 */
static int
new_signing_key(const struct backup_opts *o, const char *pass,
    size_t pass_len, struct keys_secret *ks)
{
	struct store *s = NULL;
	uint8_t pk[NOTE_PK_BYTES], *sk = NULL;
	char db_path[4096], sign_path[4096], cp_path[4096], err[256];
	char keys_path[4096], *np = NULL, text[NOTE_VKEY_MAX_BYTES];
	struct keys_secret *tks = NULL;
	const char *npf = o->new_signing_passphrase_file != NULL ?
	    o->new_signing_passphrase_file : o->signing_passphrase_file;
	struct note_vkey cur, vk;
	size_t np_len = 0;
	int kr, rc = -1;

	if (cli_path(db_path, sizeof(db_path), o->to, DATADIR_DB) != 0 ||
	    cli_path(sign_path, sizeof(sign_path), o->to, DATADIR_SIGN) != 0 ||
	    cli_path(cp_path, sizeof(cp_path), o->to, DATADIR_AUDIT_CP) != 0) {
		cli_error("target path too long");
		return -1;
	}
	if (npf != NULL && secret_read(&np, &np_len, npf, "New audit signing "
	    "passphrase: ", 0, MAX_PASSPHRASE_BYTES, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		return -1;
	}
	if ((sk = secmem_alloc(NOTE_SK_BYTES)) == NULL ||
	    (tks = secmem_alloc(sizeof(*tks))) == NULL) {
		cli_error("cannot allocate locked memory");
		goto done;
	}
	/* the copy is under the fresh K_db copy_out wrapped in DIR/keys */
	if (cli_path(keys_path, sizeof(keys_path), o->to, DATADIR_KEYS) != 0 ||
	    (kr = keys_wrap_open(keys_path, pass, pass_len, tks)) != KEYS_OK) {
		cli_error("cannot open the restored key file");
		goto done;
	}
	if ((kr = store_open(&s, db_path, tks->db_key, 0)) != STORE_OK ||
	    (kr = store_migrate(s)) != STORE_OK) {
		cli_error("cannot open the restored copy: %s",
		    store_strerror(kr));
		goto done;
	}
	/* the restored log must pass every start-up check under the key
	 * that signed it */
	if (audit_open(s, ks->audit_sk, cp_path, err, sizeof(err)) != 0) {
		cli_error("the previous signing key does not match the "
		    "backup's log: %s", err);
		goto done;
	}
	note_keypair(pk, sk);
	if ((kr = keys_sign_create(sign_path, np != NULL ? np : pass,
	    np != NULL ? np_len : pass_len, sk)) != KEYS_OK ||
	    datadir_sync(o->to) != 0) {
		cli_error("cannot write %s: %s", sign_path, keys_strerror(kr));
		goto done;
	}
	if (audit_rotate(s, pk, "restore") != 0) {
		cli_error("cannot record the new signing key in the restored "
		    "log");
		goto done;
	}
	audit_vkey(&cur);
	printf("previous audit key %s\n", note_vkey_format(text,
	    sizeof(text), &cur) == NOTE_OK ? text : "?");
	if (note_vkey_init(&vk, cur.name, cur.name_len, pk) == NOTE_OK &&
	    note_vkey_format(text, sizeof(text), &vk) == NOTE_OK)
		printf("audit key %s\n", text);
	rc = 0;
done:
	audit_close();
	store_close(s);
	secmem_free(tks);
	secmem_free(sk);
	secret_free(np, np_len);
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

	if (parse(argc, argv, &o, 1) != 0) {
		cli_error("usage: corridor restore BACKUP DIR "
		    "[--passphrase-file F] [--signing-key OLD_AUDIT_KEY "
		    "[--signing-passphrase-file F]] "
		    "[--new-signing-passphrase-file F]");
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
	/* the previous signing key, before anything is written */
	if (prev_signing_key(&o, pass, pass_len, ks) != 0)
		goto done;
	if (copy_out(s, o.to, pass, pass_len) != 0)
		goto done;
	store_close(s);
	s = NULL;
	if (new_signing_key(&o, pass, pass_len, ks) != 0)
		goto done;
	if (made_dir)
		sync_parent(o.to);
	printf("corridor: restored %s into %s (encrypted under a new key, "
	    "verified; a new audit signing key, linked in the log); start it "
	    "with corridor serve %s\n", o.from, o.to, o.to);
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
