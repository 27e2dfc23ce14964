/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * datadir: the data directory's lock, and unwrapping its keys with an
 * interrupted rekey settled first. The rekey protocol itself is in
 * cli_keys.c; the rule here is only "the key that opens the database
 * wins", which holds whatever step the rekey was interrupted at. And
 * datadir_open, the start-up sequence every command shares.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/blind.h"
#include "crypto/secmem.h"
#include "schema/store.h"
#include "server/audit/audit.h"
#include "server/audit/audit_reason.h"
#include "server/cli/cli.h"
#include "server/cli/datadir.h"
#include "server/cli/secret.h"
#include "server/limits.h"
#include "server/log/log.h"

int
datadir_lock(const char *dir)
{
	int fd, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

void
datadir_unlock(int fd)
{
	if (fd != -1)
		close(fd);	/* releases the flock */
}

int
datadir_check_owner(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		cli_error("cannot read the data directory %s", dir);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		cli_error("refusing: %s belongs to another user; run this as "
		    "that user (for example sudo -u corridor)", dir);
		return -1;
	}
	return 0;
}

int
datadir_sync(const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc == 0 ? 0 : -1;
}

int
datadir_is_empty(const char *dir)
{
	struct dirent *e;
	DIR *d;
	int empty = 1;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

/* 1 if key opens the database at db_path (page 1 decrypts), else 0. */
static int
key_opens(const char *db_path, const uint8_t key[KEYS_DB_KEY_BYTES])
{
	struct store *s = NULL;
	int rc;

	rc = store_open_existing(&s, db_path, key);
	store_close(s);
	return rc == STORE_OK;
}

/* Settle keys vs keys.pending under the lock. 0 or -1 with err. */
static int
settle(const char *dir, const char *keys_path, const char *pend_path,
    const char *db_path, const char *pass, size_t pass_len,
    struct keys_secret *ks, char *err, size_t err_len)
{
	struct keys_secret *pend = NULL;
	int kr, pr, rc = -1;

	if ((pend = secmem_alloc(sizeof(*pend))) == NULL) {
		snprintf(err, err_len, "cannot allocate locked memory");
		goto done;
	}
	kr = keys_wrap_open(keys_path, pass, pass_len, ks);
	pr = keys_wrap_open(pend_path, pass, pass_len, pend);
	if (pr == KEYS_OK && key_opens(db_path, pend->db_key)) {
		/* the rekey reached the database: finish it */
		if (rename(pend_path, keys_path) != 0 || datadir_sync(dir) != 0) {
			snprintf(err, err_len, "cannot finish an interrupted "
			    "rekey: renaming the pending key file failed");
			goto done;
		}
		memcpy(ks, pend, sizeof(*ks));
		log_line(LOG_INFO, "finished an interrupted rekey");
		rc = 0;
	} else if (kr == KEYS_OK && key_opens(db_path, ks->db_key)) {
		/* the rekey never reached the database: forget it */
		if (unlink(pend_path) != 0 || datadir_sync(dir) != 0) {
			snprintf(err, err_len, "cannot remove the pending key "
			    "file of an interrupted rekey");
			goto done;
		}
		log_line(LOG_INFO, "discarded an interrupted rekey "
		    "(the database was not changed)");
		rc = 0;
	} else if (kr != KEYS_OK && pr != KEYS_OK) {
		snprintf(err, err_len, "%s", keys_strerror(kr));
	} else {
		snprintf(err, err_len, "neither %s nor %s opens the database; "
		    "both are left in place", DATADIR_KEYS, DATADIR_KEYS_PENDING);
	}
done:
	if (rc != 0)
		secmem_wipe(ks, sizeof(*ks));
	secmem_free(pend);
	return rc;
}

int
datadir_open_keys(const char *dir, int lock_fd, const char *pass,
    size_t pass_len, struct keys_secret *ks, char *err, size_t err_len)
{
	char keys_path[4096], pend_path[4096], db_path[4096];
	struct stat st;
	int own_lock = -1, kr, rc = -1;

	if (cli_path(keys_path, sizeof(keys_path), dir, DATADIR_KEYS) != 0 ||
	    cli_path(pend_path, sizeof(pend_path), dir, DATADIR_KEYS_PENDING)
	    != 0 ||
	    cli_path(db_path, sizeof(db_path), dir, DATADIR_DB) != 0) {
		snprintf(err, err_len, "data directory path too long");
		goto done;
	}
	if (lstat(pend_path, &st) != 0) {
		if (errno != ENOENT) {
			snprintf(err, err_len, "cannot read the data directory");
			goto done;
		}
		if ((kr = keys_wrap_open(keys_path, pass, pass_len, ks))
		    != KEYS_OK) {
			snprintf(err, err_len, "%s", keys_strerror(kr));
			goto done;
		}
		rc = 0;
		goto done;
	}
	if (lock_fd == -1 && (own_lock = datadir_lock(dir)) == -1) {
		snprintf(err, err_len, "a rekey of this data directory is in "
		    "progress; try again when it has finished");
		goto done;
	}
	rc = settle(dir, keys_path, pend_path, db_path, pass, pass_len, ks,
	    err, err_len);
done:
	datadir_unlock(own_lock);
	if (rc != 0)
		secmem_wipe(ks, sizeof(*ks));
	return rc;
}

/*
 * Break-glass reasons written before schema 0006 are plain text under
 * K_db: seal them to the auditors and drop the text (docs/audit.md 11.5),
 * then truncate the WAL that held the old pages. 0, or -1 after printing
 * why.
 */
static int
seal_plain_reasons(struct store *s)
{
	unsigned sealed = 0, left = 0;

	if (audit_reason_seal_plain(s, &sealed, &left) != 0) {
		cli_error("refusing to start: cannot seal the stored "
		    "break-glass reasons");
		return -1;
	}
	if (sealed > 0)
		log_line(LOG_INFO, "sealed %u break-glass reasons to the "
		    "auditors", sealed);
	if (left > 0)
		log_line(LOG_WARN, "%u break-glass reasons stay in plain text "
		    "until an auditor has enrolled and the server restarts",
		    left);
	if (sealed > 0 && store_checkpoint_truncate(s) != STORE_OK)
		log_line(LOG_WARN, "the WAL still holds the plain-text "
		    "reasons; it is truncated at the next checkpoint");
	return 0;
}

int
datadir_open(struct datadir *d, const char *dir, const char *passfile,
    unsigned flags, const char *busy)
{
	return datadir_open_signed(d, dir, passfile, NULL, flags, busy);
}

int
datadir_open_signed(struct datadir *d, const char *dir, const char *passfile,
    const char *signfile, unsigned flags, const char *busy)
{
	char err[256];
	int rc;

	memset(d, 0, sizeof(*d));
	d->dir = dir;
	d->lock = -1;
	if (cli_path(d->db_path, sizeof(d->db_path), dir, DATADIR_DB) != 0 ||
	    cli_path(d->keys_path, sizeof(d->keys_path), dir,
	    DATADIR_KEYS) != 0 ||
	    cli_path(d->cp_path, sizeof(d->cp_path), dir,
	    DATADIR_AUDIT_CP) != 0) {
		cli_error("data directory path too long");
		return EXIT_USAGE;
	}
	/* our connection may create WAL files: they must be the owner's */
	if (datadir_check_owner(dir) != 0)
		return 1;
	if ((flags & DATADIR_LOCK) && (d->lock = datadir_lock(dir)) == -1) {
		cli_error("%s", errno != EWOULDBLOCK ?
		    "cannot open the data directory" : busy != NULL ? busy :
		    "the data directory is in use; stop the server first");
		return 1;
	}
	if (secret_read(&d->pass, &d->pass_len, passfile,
	    (flags & DATADIR_CURRENT) ? "Current operator passphrase: " :
	    "Operator passphrase: ", 0, MAX_PASSPHRASE_BYTES, err,
	    sizeof(err)) != 0) {
		cli_error("%s", err);
		goto fail;
	}
	if ((d->ks = secmem_alloc(sizeof(*d->ks))) == NULL) {
		cli_error("cannot allocate locked memory");
		goto fail;
	}
	/* settles an interrupted rekey first, with our lock or a brief one */
	if (datadir_open_keys(dir, d->lock, d->pass, d->pass_len, d->ks, err,
	    sizeof(err)) != 0) {
		cli_error("%s", err);
		goto fail;
	}
	/* the signing key is a file of its own (an older combined keys
	 * file is split here, once) */
	if ((flags & (DATADIR_SIGNING | DATADIR_AUDIT | DATADIR_INDEX)) &&
	    datadir_unlock_signing(dir, d->lock, signfile, d->pass,
	    d->pass_len, d->ks, (flags & DATADIR_INDEX) ? &d->index_new :
	    NULL, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		goto fail;
	}
	if (!(flags & DATADIR_KEEP_PASS)) {
		secret_free(d->pass, d->pass_len);
		d->pass = NULL;
		d->pass_len = 0;
	}
	if (!(flags & (DATADIR_STORE | DATADIR_MIGRATE | DATADIR_AUDIT)))
		return 0;
	if ((rc = store_open(&d->s, d->db_path, d->ks->db_key, 0)) !=
	    STORE_OK || ((flags & (DATADIR_MIGRATE | DATADIR_AUDIT)) &&
	    (rc = store_migrate(d->s)) != STORE_OK)) {
		cli_error("%s", store_strerror(rc));
		goto fail;
	}
	if ((flags & DATADIR_AUDIT) && seal_plain_reasons(d->s) != 0)
		goto fail;
	if (flags & DATADIR_AUDIT) {
		/* the log's start-up checks fail closed */
		rc = audit_open(d->s, d->ks->audit_sk, d->cp_path, err,
		    sizeof(err));
		secmem_wipe(d->ks->audit_sk, sizeof(d->ks->audit_sk));
		if (rc != 0) {
			cli_error("refusing to start: %s", err);
			goto fail;
		}
	}
	return 0;
fail:
	datadir_close(d);
	return 1;
}

void
datadir_close(struct datadir *d)
{
	if (d == NULL)
		return;
	store_close(d->s);
	d->s = NULL;
	secmem_free(d->ks);
	d->ks = NULL;
	secret_free(d->pass, d->pass_len);
	d->pass = NULL;
	d->pass_len = 0;
	datadir_unlock(d->lock);
	d->lock = -1;
}

/* Write audit-key from ks (unless it is there already) and replace keys
 * with a K_db-only file. Under the lock. 0 or -1 with err. */
static int
split(const char *dir, const char *keys_path, const char *sign_path,
    int have_sign, const char *pass, size_t pass_len, const char *sign_pass,
    size_t sign_pass_len, struct keys_secret *ks, char *err, size_t err_len)
{
	int kr;

	if (!have_sign) {
		kr = keys_sign_create(sign_path, sign_pass, sign_pass_len,
		    ks->audit_sk);
		if (kr != KEYS_OK || datadir_sync(dir) != 0) {
			snprintf(err, err_len, "cannot write %s: %s",
			    DATADIR_SIGN, keys_strerror(kr));
			return -1;
		}
	}
	ks->combined = 0;
	if ((kr = keys_wrap_replace(keys_path, pass, pass_len, ks)) != KEYS_OK ||
	    datadir_sync(dir) != 0) {
		ks->combined = 1;
		snprintf(err, err_len, "cannot rewrite %s without the signing "
		    "key: %s", DATADIR_KEYS, keys_strerror(kr));
		return -1;
	}
	log_line(LOG_INFO, "moved the audit signing key out of %s into %s; "
	    "backups no longer hold it (docs/operations.md)", DATADIR_KEYS,
	    DATADIR_SIGN);
	return 0;
}

int
datadir_open_signing_key(const char *dir, int lock_fd, const char *pass,
    size_t pass_len, const char *sign_pass, size_t sign_pass_len,
    struct keys_secret *ks, char *err, size_t err_len)
{
	char keys_path[4096], sign_path[4096];
	uint8_t *sk = NULL;
	struct stat st;
	int own_lock = -1, have_sign, kr, rc = -1;

	if (cli_path(keys_path, sizeof(keys_path), dir, DATADIR_KEYS) != 0 ||
	    cli_path(sign_path, sizeof(sign_path), dir, DATADIR_SIGN) != 0) {
		snprintf(err, err_len, "data directory path too long");
		goto done;
	}
	if ((sk = secmem_alloc(KEYS_AUDIT_SK_BYTES)) == NULL) {
		snprintf(err, err_len, "cannot allocate locked memory");
		goto done;
	}
	if (lstat(sign_path, &st) == 0) {
		have_sign = 1;
	} else if (errno == ENOENT) {
		have_sign = 0;
	} else {
		snprintf(err, err_len, "cannot read the data directory");
		goto done;
	}
	if (have_sign) {
		kr = keys_sign_open(sign_path, sign_pass, sign_pass_len, sk);
		if (kr != KEYS_OK) {
			snprintf(err, err_len, "%s: %s", DATADIR_SIGN,
			    kr == KEYS_EPASS ? "wrong signing passphrase, or "
			    "the file was altered" : keys_strerror(kr));
			goto done;
		}
		if (ks->combined && !secmem_equal(sk, ks->audit_sk,
		    KEYS_AUDIT_SK_BYTES)) {
			snprintf(err, err_len, "%s and %s hold different audit "
			    "signing keys; both are left in place", DATADIR_KEYS,
			    DATADIR_SIGN);
			goto done;
		}
		memcpy(ks->audit_sk, sk, KEYS_AUDIT_SK_BYTES);
		if (!ks->combined) {
			rc = 0;
			goto done;
		}
	} else if (!ks->combined) {
		snprintf(err, err_len, "no audit signing key: %s is missing "
		    "from the data directory (a backup does not hold it; see "
		    "docs/operations.md)", DATADIR_SIGN);
		goto done;
	}
	/* split a combined keys file (or finish an interrupted split) */
	if (lock_fd == -1 && (own_lock = datadir_lock(dir)) == -1) {
		snprintf(err, err_len, "the data directory is in use; stop the "
		    "server first");
		goto done;
	}
	rc = split(dir, keys_path, sign_path, have_sign, pass, pass_len,
	    sign_pass, sign_pass_len, ks, err, err_len);
done:
	datadir_unlock(own_lock);
	secmem_free(sk);
	if (rc != 0)
		secmem_wipe(ks->audit_sk, sizeof(ks->audit_sk));
	return rc;
}

/*
 * Open dir's `index-key` under sp into key, or create it with a fresh key
 * when it does not exist (*created = 1). A file that exists but does not
 * open is an error, never replaced: that would silently empty the index.
 */
static int
open_index_key(const char *dir, const char *sp, size_t sp_len,
    uint8_t key[KEYS_INDEX_KEY_BYTES], int *created, char *err,
    size_t err_len)
{
	char path[DATADIR_PATH_BYTES];
	struct stat st;
	int kr;

	*created = 0;
	if (cli_path(path, sizeof(path), dir, DATADIR_INDEX_KEY) != 0) {
		snprintf(err, err_len, "data directory path too long");
		return -1;
	}
	if (lstat(path, &st) == 0) {
		if ((kr = keys_index_open(path, sp, sp_len, key)) == KEYS_OK)
			return 0;
		snprintf(err, err_len, "%s: %s", DATADIR_INDEX_KEY,
		    kr == KEYS_EPASS ? "wrong signing passphrase, or the "
		    "file was altered" : keys_strerror(kr));
		return -1;
	}
	if (errno != ENOENT) {
		snprintf(err, err_len, "cannot read %s", DATADIR_INDEX_KEY);
		return -1;
	}
	blind_new_key(key);
	if ((kr = keys_index_create(path, sp, sp_len, key)) != KEYS_OK ||
	    datadir_sync(dir) != 0) {
		secmem_wipe(key, KEYS_INDEX_KEY_BYTES);
		snprintf(err, err_len, "%s: %s", DATADIR_INDEX_KEY,
		    keys_strerror(kr));
		return -1;
	}
	*created = 1;
	log_line(LOG_INFO, "created %s: a new blind-index key; cases are "
	    "indexed when next written or by POST /cases/reindex",
	    DATADIR_INDEX_KEY);
	return 0;
}

int
datadir_rewrap_index(const char *dir, const char *old, size_t old_len,
    const char *new, size_t new_len, char *err, size_t err_len)
{
	char path[DATADIR_PATH_BYTES];
	uint8_t *k;
	int kr, rc = -1;

	if (cli_path(path, sizeof(path), dir, DATADIR_INDEX_KEY) != 0) {
		snprintf(err, err_len, "data directory path too long");
		return -1;
	}
	if (access(path, F_OK) != 0)
		return 0;
	if ((k = secmem_alloc(KEYS_INDEX_KEY_BYTES)) == NULL) {
		snprintf(err, err_len, "cannot allocate locked memory");
		return -1;
	}
	if ((kr = keys_index_open(path, new, new_len, k)) == KEYS_OK)
		rc = 0;
	else if ((kr = keys_index_open(path, old, old_len, k)) != KEYS_OK ||
	    (kr = keys_index_replace(path, new, new_len, k)) != KEYS_OK ||
	    datadir_sync(dir) != 0)
		snprintf(err, err_len, "%s could not follow the new signing "
		    "passphrase (%s); remove it and run POST /cases/reindex "
		    "after the next start (docs/operations.md)",
		    DATADIR_INDEX_KEY, keys_strerror(kr));
	else
		rc = 0;
	secmem_free(k);
	return rc;
}

int
datadir_unlock_signing(const char *dir, int lock_fd, const char *sign_file,
    const char *pass, size_t pass_len, struct keys_secret *ks,
    int *index_new, char *err, size_t err_len)
{
	char *sp = NULL;
	size_t sp_len = 0;
	int rc;

	if (sign_file != NULL && secret_read(&sp, &sp_len, sign_file,
	    "Audit signing passphrase: ", 0, MAX_PASSPHRASE_BYTES, err,
	    err_len) != 0)
		return -1;
	rc = datadir_open_signing_key(dir, lock_fd, pass, pass_len,
	    sp != NULL ? sp : pass, sp != NULL ? sp_len : pass_len, ks, err,
	    err_len);
	if (rc == 0 && index_new != NULL)
		rc = open_index_key(dir, sp != NULL ? sp : pass,
		    sp != NULL ? sp_len : pass_len, ks->index_key, index_new,
		    err, err_len);
	secret_free(sp, sp_len);
	return rc;
}
