/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store: the SQLCipher database. Opens and keys a connection with the raw
 * 32-byte K_db, sets the pragmas on every open, confirms the key by reading
 * sqlite_master, applies migrations, and hands out one connection per
 * concurrent request from a fixed pool. Writers serialize on one mutex held
 * from store_write_begin until their COMMIT has written the WAL, so the audit
 * log's in-memory tree sees commits in order; pool connections then wait for
 * durability outside the mutex, sharing one fdatasync (group commit).
 */
#ifndef CORRIDOR_STORE_H
#define CORRIDOR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "crypto/token.h"	/* ID_CHARS */

#define STORE_KEY_BYTES	32u

enum store_err {
	STORE_OK = 0,
	STORE_EIO = -1,		/* cannot open or create the file */
	STORE_ENOCIPHER = -2,	/* linked SQLite has no SQLCipher codec */
	STORE_EKEY = -3,	/* wrong key, or not a database */
	STORE_ECORRUPT = -4,	/* a page failed its HMAC or is malformed */
	STORE_ESCHEMA = -5,	/* migration failed or schema is newer */
	STORE_EBUSY = -6,
	STORE_ENOMEM = -7,
	STORE_ENOTFOUND = -8,	/* no such row */
	STORE_ECONFLICT = -9,	/* unique or check constraint */
};

struct store;

/*
 * Open the database at path with key. create: allow creating a new file.
 * Checks cipher_version, keys with x'<64 hex>', sets cipher_page_size=4096,
 * WAL, synchronous=FULL, foreign_keys, secure_delete, then reads
 * sqlite_master. *out is freed with store_close. Returns a store_err.
 * (store_pool_open switches its own connections to synchronous=NORMAL plus
 * group commit; see store_write_end.)
 */
int store_open(struct store **out, const char *path,
    const uint8_t key[STORE_KEY_BYTES], int create)
    __attribute__((warn_unused_result));
/*
 * Open an existing file with the same checks, but change nothing in it:
 * the journal mode and other settings are left as they are and nothing is
 * written unless the caller writes. For backups at rest, which must not be
 * modified by reading them, and for key probes. Returns a store_err.
 */
int store_open_existing(struct store **out, const char *path,
    const uint8_t key[STORE_KEY_BYTES]) __attribute__((warn_unused_result));
void store_close(struct store *s);	/* NULL is fine */

sqlite3 *store_db(struct store *s);

/* Apply pending migrations in one transaction. Returns a store_err. */
int store_migrate(struct store *s) __attribute__((warn_unused_result));
int store_schema_version(struct store *s);

/* Map an SQLite result code to a store_err. */
int store_err_from_sqlite(int rc);
const char *store_strerror(int err);

/*
 * The pool: n connections opened at start-up (before any thread starts).
 * acquire blocks until one is free. The key is wiped by the caller after
 * store_pool_open returns. The pool also opens "<path>-wal" read-only for
 * group commit and syncs it and its directory once.
 */
int store_pool_open(const char *path, const uint8_t key[STORE_KEY_BYTES],
    unsigned n) __attribute__((warn_unused_result));
void store_pool_close(void);
struct store *store_pool_acquire(void);
void store_pool_release(struct store *s);

/*
 * The writer: one more connection, never handed out by acquire, used only
 * between store_write_begin and store_write_end (so the write lock makes it
 * exclusive). Because only it commits audit batches, its page cache stays
 * warm: a pool connection's cache is dropped whenever another connection
 * committed, and every page read again costs an SQLCipher decrypt and HMAC.
 * NULL when no pool is open.
 */
struct store *store_pool_writer(void);

/*
 * Write transactions. store_write_begin takes the process write lock and
 * runs BEGIN IMMEDIATE; store_write_end commits (commit != 0) or rolls back,
 * then drops the lock. end returns a store_err (a failed commit is rolled
 * back). Only the request dispatcher commits; see server/router.c.
 *
 * When store_write_end(s, 1) returns STORE_OK the commit is durable, for
 * every connection. Pool connections (synchronous=NORMAL) reach that by
 * group commit: the lock is dropped once COMMIT has written the WAL, and the
 * caller then waits for an fdatasync of the WAL that covers its commit,
 * shared with the commits around it. Until then other connections can
 * already read the commit; anything derived from it that leaves the process
 * other than through a request that itself commits (which waits for a later
 * ticket) must first call store_durable_barrier. A failed fdatasync
 * stops the process (abort): see "group commit" in store.c.
 */
int store_write_begin(struct store *s) __attribute__((warn_unused_result));
int store_write_end(struct store *s, int commit);
int store_in_write(struct store *s);

/*
 * One process-wide hook, called by store_write_end with the write lock
 * still held: committed = 1 after a successful COMMIT, 0 after a ROLLBACK
 * (or a failed COMMIT). The audit log uses it to move its in-memory tree
 * only with committed transactions, in commit order. Set it before any
 * thread starts; NULL removes it. The hook must not touch the database.
 */
void store_set_write_hook(void (*hook)(int committed));

/*
 * Read snapshots. A handler that reads several rows which must agree (a
 * case, its key wrap and its contacts, while a rotation may commit) opens
 * a deferred transaction so every statement sees one snapshot, and ends it
 * before it returns. Inside a write transaction begin is a no-op;
 * store_write_begin and store_pool_release end an open snapshot.
 * begin returns a store_err.
 */
int store_read_begin(struct store *s) __attribute__((warn_unused_result));
void store_read_end(struct store *s);

/*
 * Checkpoint the WAL into the database and truncate it to zero bytes, so
 * that pages deleted by a committed transaction (a crypto-shred) no longer
 * linger in old WAL frames. Outside any transaction; waits up to the busy
 * timeout for readers. Best effort: returns a store_err, changes nothing
 * on failure.
 */
int store_checkpoint_truncate(struct store *s);

/*
 * store_checkpoint_truncate, tried STORE_TRUNCATE_TRIES times with a
 * growing pause; if every try fails, the pool's checkpoint thread keeps
 * trying every STORE_TRUNCATE_RETRY_S seconds until one succeeds (a
 * reader that pins the WAL, an export or a backup, ends eventually).
 * Returns the last try's store_err: on failure the caller logs it.
 */
#define STORE_TRUNCATE_TRIES	5u
#define STORE_TRUNCATE_RETRY_S	1
int store_checkpoint_truncate_retry(struct store *s);

/*
 * Queue a truncating checkpoint on the pool's checkpoint thread without
 * waiting for it (a duress login, whose answer must not take longer than
 * a normal login's): the thread tries at once and then, like a failed
 * store_checkpoint_truncate_retry, every STORE_TRUNCATE_RETRY_S seconds
 * until one succeeds. Call it only once the commit it is for is durable.
 */
void store_checkpoint_truncate_soon(void);

/* 1 while a failed truncation is still being retried, else 0. */
int store_truncate_pending(void);

/*
 * store_write_end in two halves, for callers that commit for others (the
 * audit batch): end_deferred commits or rolls back and drops the write lock
 * but does not wait; *ticket is then nonzero when the commit still has to
 * become durable, and store_durable_wait(ticket) waits for that (ticket 0
 * returns STORE_OK at once). Nothing derived from the commit may leave the
 * process before store_durable_wait returned STORE_OK.
 */
int store_write_end_deferred(struct store *s, int commit, uint64_t *ticket)
    __attribute__((warn_unused_result));
int store_durable_wait(uint64_t ticket) __attribute__((warn_unused_result));

/*
 * Wait until every commit made so far by pool connections, including one
 * whose COMMIT has returned but whose ticket is not yet taken, is durable.
 * For answers that read the database but commit nothing themselves (an
 * unaudited route). Returns a store_err.
 */
int store_durable_barrier(void) __attribute__((warn_unused_result));

/* Background WAL checkpoints run since the process started (the pool's
 * connections never checkpoint inside a commit: see store.c). */
uint64_t store_wal_checkpoints(void);

/* Group commit statistics since store_pool_open: commits by pool
 * connections, and the fdatasync calls that made them durable. */
void store_group_stats(uint64_t *commits, uint64_t *syncs);

/* Prepared statement cache keyed by the SQL text's address: the same
 * static string always maps to the same statement on this connection.
 * The statement is reset and its bindings cleared. NULL on error. */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);

/* Bind helpers: text may be NULL (binds NULL). */
int store_bind_text(sqlite3_stmt *st, int i, const char *v);

/* Unix time now, seconds (the real clock; nothing can shift it). */
int64_t store_now(void);

/* A growable list of ids (cases, users, evacuations). Free with
 * store_ids_free; a zeroed struct is an empty list. */
struct store_ids {
	char	(*id)[ID_CHARS + 1];
	size_t	 n;
	size_t	 cap;
};

int store_ids_push(struct store_ids *l, const char *id);
/* 1 if id is in l. */
int store_ids_has(const struct store_ids *l, const char *id);
void store_ids_free(struct store_ids *l);


#endif
