/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * datadir: a data directory's lock and its key files.
 *
 * A data directory holds corridor.db and keys (the wrap file). While a
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

#define DATADIR_KEYS_PENDING	"keys.pending"

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
