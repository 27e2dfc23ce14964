/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * datadir: a data directory's lock and its key files.
 *
 * A data directory holds corridor.db, keys (K_db's wrap file) and
 * audit-key (the audit signing key's, which backups leave out). While a
 * rekey is under way it also holds keys.pending: the new K_db with the same
 * audit key, wrapped under the same passphrase. Whichever of keys and
 * keys.pending opens the database is the truth; datadir_open_keys settles
 * an interrupted rekey that way before anything else uses the keys.
 *
 * The lock is flock(2) on the directory itself, so there is no lock file
 * to leave behind. serve holds it for its whole life; passphrase, rekey and
 * restore take it too, so none of them runs beside a server or another of
 * them. backup takes no lock: it reads through its own connection while the
 * server writes.
 */
#ifndef CORRIDOR_DATADIR_H
#define CORRIDOR_DATADIR_H

#include <stddef.h>

#include "crypto/keys.h"
#include "schema/store.h"

#define DATADIR_KEYS_PENDING	"keys.pending"
#define DATADIR_PATH_BYTES	4096u	/* a file path in a data directory */

/* What datadir_open does beyond the keys (flags, or-ed). */
enum datadir_flag {
	DATADIR_LOCK = 1 << 0,	/* hold the directory's lock until close */
	DATADIR_STORE = 1 << 1,	/* open the database on d->s */
	DATADIR_MIGRATE = 1 << 2, /* and bring its schema up to date */
	DATADIR_AUDIT = 1 << 3,	/* and run the audit log's start-up checks
				 * (audit_open); the caller audit_close()s */
	DATADIR_KEEP_PASS = 1 << 4, /* keep the passphrase in d->pass */
	DATADIR_CURRENT = 1 << 5, /* prompt for the "current" passphrase
				 * (a command that then asks for a new one) */
	DATADIR_SIGNING = 1 << 6, /* unwrap the audit signing key too (implied
				 * by DATADIR_AUDIT): datadir_unlock_signing */
	DATADIR_INDEX = 1 << 7,	/* and the blind-index key into
				 * ks->index_key, creating `index-key` if
				 * it is missing (d->index_new = 1) */
};

/*
 * An open data directory: what a command gets from datadir_open. ks is
 * secmem memory. With DATADIR_AUDIT the audit signing key is wiped from
 * ks once the log holds it; callers wipe ks->db_key as soon as they have
 * keyed what they need.
 */
struct datadir {
	const char		*dir;
	int			 lock;		/* -1: not held */
	struct keys_secret	*ks;
	struct store		*s;		/* with DATADIR_STORE */
	char			*pass;		/* with DATADIR_KEEP_PASS */
	size_t			 pass_len;
	char			 db_path[DATADIR_PATH_BYTES];
	char			 keys_path[DATADIR_PATH_BYTES];
	char			 cp_path[DATADIR_PATH_BYTES];
	int			 index_new;	/* DATADIR_INDEX made a new
						 * K_idx: no index row is
						 * valid (blindidx_purge) */
};

/*
 * The start-up every command that works on a data directory shares:
 * check the owner, take the lock (DATADIR_LOCK; busy is the line to print
 * when another process holds it, NULL for a generic one), read the
 * operator passphrase from passfile (or the terminal), unwrap the keys
 * (settling an interrupted rekey), then as flags ask, open the database,
 * migrate it and open the audit log. Returns 0, or the exit status after
 * printing one line (cli_error): 1, or EXIT_USAGE for a path too long.
 * On failure d is already closed. Release with datadir_close.
 */
int datadir_open(struct datadir *d, const char *dir, const char *passfile,
    unsigned flags, const char *busy) __attribute__((warn_unused_result));

/* datadir_open, with the signing passphrase read from signfile (NULL:
 * the operator passphrase) when the flags open the signing key. */
int datadir_open_signed(struct datadir *d, const char *dir,
    const char *passfile, const char *signfile, unsigned flags,
    const char *busy) __attribute__((warn_unused_result));

/*
 * Open dir's audit signing key (DATADIR_SIGN) with sign_pass into
 * ks->audit_sk; ks holds dir's K_db already (datadir_open_keys). A
 * directory made before the signing key had a file of its own (ks->
 * combined: `keys` holds both) is split first, under the lock (lock_fd, or
 * -1 to take it briefly): audit-key is written under sign_pass (O_EXCL,
 * fsync), then `keys` is replaced by one without the signing key, under
 * pass. An interrupted split (both files, `keys` still combined) is
 * finished if both hold the same key. Returns 0, or -1 with one line in
 * err; ks->audit_sk is wiped on failure.
 */
int datadir_open_signing_key(const char *dir, int lock_fd, const char *pass,
    size_t pass_len, const char *sign_pass, size_t sign_pass_len,
    struct keys_secret *ks, char *err, size_t err_len)
    __attribute__((warn_unused_result));

/*
 * Read the signing passphrase from sign_file, or, when sign_file is NULL,
 * use the operator passphrase pass; then datadir_open_signing_key. With
 * index_new not NULL, also open `index-key` under the same passphrase
 * into ks->index_key, or create it (O_EXCL, 0600, fsync) with a fresh
 * K_idx when it is missing, setting *index_new. 0 or -1 with err.
 */
int datadir_unlock_signing(const char *dir, int lock_fd, const char *sign_file,
    const char *pass, size_t pass_len, struct keys_secret *ks,
    int *index_new, char *err, size_t err_len)
    __attribute__((warn_unused_result));

/*
 * Bring dir's `index-key` under the signing passphrase new (after `audit
 * rotate-key` gave audit-key a new one): nothing if the file is missing or
 * opens under new already; else open it under old and replace it
 * atomically. 0, or -1 with one line in err.
 */
int datadir_rewrap_index(const char *dir, const char *old, size_t old_len,
    const char *new, size_t new_len, char *err, size_t err_len)
    __attribute__((warn_unused_result));

/* Close what datadir_open opened, wiping the keys and the passphrase.
 * Does not close the audit log (audit_close is the caller's). */
void datadir_close(struct datadir *d);

/*
 * Take the exclusive lock on dir without waiting. Returns the descriptor
 * holding it (release with datadir_unlock), or -1 with errno
 * EWOULDBLOCK when another process holds it.
 */
int datadir_lock(const char *dir) __attribute__((warn_unused_result));
void datadir_unlock(int fd);		/* -1 is fine */

/*
 * Unwrap dir's keys into ks (secmem memory owned by the caller) with the
 * passphrase. If keys.pending exists, an interrupted rekey is settled
 * first: the file whose K_db opens the database is kept as keys, the other
 * is removed. Settling needs the lock: lock_fd is the caller's lock, or -1
 * to take it briefly (failing if a rekey is running). Returns 0, or -1 with
 * a one-line reason in err (never a secret); ks is wiped on failure.
 */
int datadir_open_keys(const char *dir, int lock_fd, const char *pass,
    size_t pass_len, struct keys_secret *ks, char *err, size_t err_len)
    __attribute__((warn_unused_result));

/*
 * 0 if dir belongs to the effective user, else -1 after printing one line
 * (cli_error) naming what to do. Files that corridor creates or replaces
 * in a data directory (keys, the WAL) take the creator's owner: run as
 * root on the service user's directory, a key change would leave a key
 * file the service cannot read.
 */
int datadir_check_owner(const char *dir);

/* fsync a directory, so renames and new names in it are durable. 0 or -1. */
int datadir_sync(const char *dir);

/* 1 if dir exists and holds nothing, 0 if it holds something, -1 if it
 * cannot be read (errno ENOENT: it does not exist). */
int datadir_is_empty(const char *dir);

#endif
