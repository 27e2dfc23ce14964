/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_pool: the pool of keyed connections the server's requests share,
 * and what makes their writes safe and cheap together: the process write
 * lock (first come, first served), group commit (many concurrent commits
 * share one fdatasync of the WAL, and store_write_end still returns only
 * once the caller's commit is durable), read snapshots, and the WAL
 * checkpoints a background thread runs. docs/performance.md has the
 * durability argument.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/secmem.h"
#include "schema/store.h"
#include "schema/store_int.h"
#include "server/log/log.h"
#include "server/log/worker.h"

/* --- the process write lock ----------------------------------------------
 *
 * One writer at a time (see store_write_begin), served first come, first
 * served. A plain mutex lets the thread that just released it take it
 * again before a sleeping waiter wakes up; with the durability wait off
 * the request threads (server/audit_batch.c), two dozen dispatch threads
 * queue here and a plain mutex starved some writes for hundreds of
 * milliseconds. Each waiter sleeps on its own condition variable and the
 * lock is handed to the oldest one, so a release wakes one thread.
 */
struct wl_waiter {
	pthread_cond_t		 cv;
	struct wl_waiter	*next;
	int			 go;	/* the lock is ours */
};

static struct {
	pthread_mutex_t	 mu;
	int		 held;
	struct wl_waiter *head, *tail;
} wl = { PTHREAD_MUTEX_INITIALIZER, 0, NULL, NULL };

static void
write_lock_take(void)
{
	struct wl_waiter me;

	pthread_mutex_lock(&wl.mu);
	if (!wl.held && wl.head == NULL) {
		wl.held = 1;
		pthread_mutex_unlock(&wl.mu);
		return;
	}
	pthread_cond_init(&me.cv, NULL);
	me.next = NULL;
	me.go = 0;
	if (wl.tail != NULL)
		wl.tail->next = &me;
	else
		wl.head = &me;
	wl.tail = &me;
	while (!me.go)
		pthread_cond_wait(&me.cv, &wl.mu);
	pthread_mutex_unlock(&wl.mu);
	pthread_cond_destroy(&me.cv);
}

static void
write_lock_drop(void)
{
	struct wl_waiter *w;

	pthread_mutex_lock(&wl.mu);
	if ((w = wl.head) != NULL) {
		/* handed over: held stays set */
		if ((wl.head = w->next) == NULL)
			wl.tail = NULL;
		w->go = 1;
		pthread_cond_signal(&w->cv);
	} else
		wl.held = 0;
	pthread_mutex_unlock(&wl.mu);
}

/* --- group commit ----------------------------------------------------------
 *
 * With synchronous=FULL every COMMIT runs its own fdatasync of the WAL while
 * the process write lock is held, so commits are serialized behind the disk:
 * one fsync per audited request (DESIGN.md measured ~9.4k/s at best).
 *
 * Pool connections instead run synchronous=NORMAL: COMMIT writes the frames
 * to the WAL (pwrite) and returns without syncing. The committer then takes
 * a ticket -- still under the write lock, so tickets follow WAL order --
 * drops the write lock and waits until a fdatasync of the WAL that *started
 * after its ticket was issued* has completed. The first waiter that finds no
 * sync running becomes the leader: it notes the highest ticket issued so far
 * (every such commit has already written its frames), runs one fdatasync,
 * and wakes everyone that sync covered. Commits that arrive meanwhile queue
 * behind it and share the next sync. fdatasync works on the file, not the
 * descriptor, so our own read-only descriptor on "<db>-wal" flushes the
 * frames SQLite wrote through its own.
 *
 * Failure: a failed fdatasync leaves the page cache in an unknown state
 * (Linux may drop the dirty pages and report success next time), and
 * closing the last connection would then checkpoint WAL pages that may
 * not be what was written into the database file. So the process stops
 * at once (abort, no core: RLIMIT_CORE is 0), as PostgreSQL does: no
 * waiter gets an answer, and the next start recovers from what is on
 * disk. Every acknowledged commit was covered by an earlier, successful
 * sync.
 */
static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 wal_fd;	/* -1: no pool open */
	uint64_t	 issued;	/* tickets: commits whose frames are written */
	uint64_t	 synced;	/* highest ticket a finished sync covered */
	int		 syncing;	/* a leader is inside fdatasync */
	uint64_t	 syncs;		/* fdatasync calls (statistics) */
} gc = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, -1, 0, 0, 0, 0 };

/* Take the next ticket. Called with the write lock held, after COMMIT. */
static uint64_t
group_ticket(void)
{
	uint64_t t;

	pthread_mutex_lock(&gc.mu);
	t = ++gc.issued;
	pthread_mutex_unlock(&gc.mu);
	return t;
}

/* Wait until ticket is covered by a completed fdatasync of the WAL, running
 * that sync ourselves if no one else is. Returns a store_err. */
static int
group_wait(uint64_t ticket)
{
	struct stat st;
	uint64_t target;
	int rc, fd;

	pthread_mutex_lock(&gc.mu);
	while (gc.synced < ticket) {
		if (gc.syncing) {
			pthread_cond_wait(&gc.cv, &gc.mu);
			continue;
		}
		/* leader: every ticket <= target belongs to a COMMIT that has
		 * returned, so its frames are in the file before we sync */
		gc.syncing = 1;
		target = gc.issued;
		fd = gc.wal_fd;
		pthread_mutex_unlock(&gc.mu);
		/* a WAL unlinked under us would make the sync meaningless */
		rc = fstat(fd, &st) == 0 && st.st_nlink > 0 ? fdatasync(fd) : -1;
		if (rc != 0) {
			/* ids only: nothing of the data */
			log_line(LOG_ERROR, "fdatasync of the write-ahead "
			    "log failed (errno %d); stopping to protect the "
			    "database", errno);
			abort();
		}
		pthread_mutex_lock(&gc.mu);
		gc.syncing = 0;
		gc.syncs++;
		if (target > gc.synced)
			gc.synced = target;
		pthread_cond_broadcast(&gc.cv);
	}
	pthread_mutex_unlock(&gc.mu);
	return STORE_OK;
}

int
store_durable_barrier(void)
{
	uint64_t t;

	/* Under the write lock: a commit another connection can already read
	 * has its ticket by the time the lock is free again (COMMIT and the
	 * ticket are one critical section), so t covers it. */
	write_lock_take();
	pthread_mutex_lock(&gc.mu);
	t = gc.issued;
	pthread_mutex_unlock(&gc.mu);
	write_lock_drop();
	return t == 0 ? STORE_OK : group_wait(t);
}

void
store_group_stats(uint64_t *commits, uint64_t *syncs)
{
	pthread_mutex_lock(&gc.mu);
	*commits = gc.issued;
	*syncs = gc.syncs;
	pthread_mutex_unlock(&gc.mu);
}

/* Open "<path>-wal" for syncing and make it and its directory entry
 * durable (SQLite would sync the directory on its first WAL sync, which
 * with synchronous=NORMAL only comes at a checkpoint). */
static int
group_open(const char *path)
{
	char wal[4096], dir[4096], *slash;
	int fd, dfd, n;

	n = snprintf(wal, sizeof(wal), "%s-wal", path);
	if (n < 0 || (size_t)n >= sizeof(wal))
		return STORE_EIO;
	n = snprintf(dir, sizeof(dir), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return STORE_EIO;
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(wal, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return STORE_EIO;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fdatasync(fd) != 0 || fsync(dfd) != 0) {
		if (dfd != -1)
			close(dfd);
		close(fd);
		return STORE_EIO;
	}
	close(dfd);
	pthread_mutex_lock(&gc.mu);
	gc.wal_fd = fd;
	gc.issued = gc.synced = gc.syncs = 0;
	gc.syncing = 0;
	pthread_mutex_unlock(&gc.mu);
	return STORE_OK;
}

static void
group_close(void)
{
	pthread_mutex_lock(&gc.mu);
	if (gc.wal_fd != -1)
		close(gc.wal_fd);
	gc.wal_fd = -1;
	pthread_mutex_unlock(&gc.mu);
}

/* --- write lock and transactions ----------------------------------------- */


/* See store_set_write_hook; set before threads start. */
static void (*write_hook)(int committed);

void
store_set_write_hook(void (*hook)(int committed))
{
	write_hook = hook;
}

int
store_write_begin(struct store *s)
{
	int rc;

	store_read_end(s);	/* a snapshot cannot turn into a writer */
	write_lock_take();
	if ((rc = store_exec(s->db, "BEGIN IMMEDIATE")) != STORE_OK) {
		write_lock_drop();
		return rc;
	}
	s->in_write = 1;
	return STORE_OK;
}

int
store_write_end_deferred(struct store *s, int commit, uint64_t *ticket)
{
	int rc = STORE_OK;

	*ticket = 0;
	if (!s->in_write)
		return STORE_OK;
	if (commit && (rc = store_exec(s->db, "COMMIT")) != STORE_OK)
		commit = 0;
	if (!commit)
		(void)store_exec(s->db, "ROLLBACK");
	/* still under the write lock: the audit log's frontier follows
	 * commits in commit order */
	if (write_hook != NULL)
		write_hook(commit);
	s->in_write = 0;
	if (commit && s->group)
		*ticket = group_ticket();	/* in WAL order: lock still held */
	write_lock_drop();
	return rc;
}

int
store_durable_wait(uint64_t ticket)
{
	return ticket == 0 ? STORE_OK : group_wait(ticket);
}

int
store_write_end(struct store *s, int commit)
{
	uint64_t ticket;
	int rc;

	/* durable before we return, as with synchronous=FULL, but without
	 * holding the write lock: later commits join the same sync */
	if ((rc = store_write_end_deferred(s, commit, &ticket)) != STORE_OK)
		return rc;
	return store_durable_wait(ticket);
}

int
store_in_write(struct store *s)
{
	return s->in_write;
}

int
store_read_begin(struct store *s)
{
	int rc;

	if (s->in_write || s->in_read)
		return STORE_OK;
	if ((rc = store_exec(s->db, "BEGIN")) != STORE_OK)
		return rc;
	s->in_read = 1;
	return STORE_OK;
}

void
store_read_end(struct store *s)
{
	if (!s->in_read)
		return;
	/* nothing was written: COMMIT only releases the snapshot */
	if (store_exec(s->db, "COMMIT") != STORE_OK)
		(void)store_exec(s->db, "ROLLBACK");
	s->in_read = 0;
}

/* Held for a whole checkpoint, by the thread's rounds and by
 * store_checkpoint_truncate: SQLite gives up at once (SQLITE_BUSY, no
 * busy handler) when another connection holds its checkpoint lock, and
 * the truncation after a shred must not lose to a background round. */
static pthread_mutex_t ckpt_mu = PTHREAD_MUTEX_INITIALIZER;

int
store_checkpoint_truncate(struct store *s)
{
	int rc;

	if (s->in_write || s->in_read)
		return STORE_EBUSY;
	pthread_mutex_lock(&ckpt_mu);
	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	    NULL, NULL);
	pthread_mutex_unlock(&ckpt_mu);
	return store_err_from_sqlite(rc);
}

static void truncate_pending_set(void);

int
store_checkpoint_truncate_retry(struct store *s)
{
	struct timespec nap;
	int rc = STORE_EIO;

	for (unsigned i = 0; i < STORE_TRUNCATE_TRIES; i++) {
		if ((rc = store_checkpoint_truncate(s)) == STORE_OK)
			return STORE_OK;
		/* 50, 100, 200, 400 ms between tries, on top of each try's
		 * own busy wait for readers */
		nap.tv_sec = 0;
		nap.tv_nsec = (50L << i) * 1000000L;
		if (i + 1 < STORE_TRUNCATE_TRIES)
			nanosleep(&nap, NULL);
	}
	truncate_pending_set();
	return rc;
}

/* --- pool ------------------------------------------------------------------ */

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct store	**conns;
	unsigned	 n;
	struct store	*writer;	/* outside the pool: see store.h */
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0,
    NULL };

/* --- WAL checkpoints, in the background -----------------------------------
 *
 * By default SQLite checkpoints the WAL into the database file from inside
 * a COMMIT once the WAL holds 1000 pages: the committing thread copies the
 * pages and syncs the database file. In the pool that thread is the
 * writer's (the audit committer, or a request holding the write lock),
 * and every request waiting for its flush waited for the checkpoint too:
 * the p99 of audited reads went from ~7 ms to 120-500 ms in the bench
 * rounds that hit one. Pool connections turn that off (their WAL hook
 * replaces the automatic checkpoint) and wake one thread instead, which
 * runs a PASSIVE checkpoint on a connection of its own: it takes neither
 * the write lock nor waits for readers, and keeps SQLite's order (the WAL
 * is synced before pages are copied, the database file after:
 * synchronous=NORMAL). SQLite restarts the WAL from the start at the next
 * write once a checkpoint has copied every frame.
 *
 * Under a steady stream of commits the WAL may never find the moment to
 * restart (every frame copied, no transaction on them), and it would grow
 * without bound. So the thread copies in rounds without the lock while
 * that shrinks what is left, and once the WAL has grown past twice the
 * threshold it copies the rest under the write lock: a short stall of
 * the writers (measured 1-4 ms), after which the next write restarts it.
 */
#define WAL_CHECKPOINT_PAGES	1000
#define WAL_CHECKPOINT_ROUNDS	4	/* unlocked rounds at most */
#define WAL_CHECKPOINT_REST	64	/* frames left that end the rounds */

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 want;
	int		 stop;
	int		 running;
	pthread_t	 thread;
	struct store	*conn;
	uint64_t	 runs;		/* statistics */
	int		 truncate;	/* a shred's truncation is still owed */
} ck = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0,
    NULL, 0, 0 };

/* A truncation after a shred failed: the checkpoint thread tries again
 * every STORE_TRUNCATE_RETRY_S until it succeeds (the deleted pages'
 * old copies stay in the WAL until then). */
static void
truncate_pending_set(void)
{
	pthread_mutex_lock(&ck.mu);
	ck.truncate = 1;
	pthread_cond_signal(&ck.cv);
	pthread_mutex_unlock(&ck.mu);
}

void
store_checkpoint_truncate_soon(void)
{
	pthread_mutex_lock(&ck.mu);
	ck.truncate = 1;
	ck.want = 1;	/* now, not at the next retry tick */
	pthread_cond_signal(&ck.cv);
	pthread_mutex_unlock(&ck.mu);
}

int
store_truncate_pending(void)
{
	int p;

	pthread_mutex_lock(&ck.mu);
	p = ck.truncate;
	pthread_mutex_unlock(&ck.mu);
	return p;
}

/* sqlite3_wal_hook: runs after each commit of a pool connection. */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	(void)arg;
	(void)db;
	(void)name;
	if (pages >= WAL_CHECKPOINT_PAGES) {
		pthread_mutex_lock(&ck.mu);
		ck.want = 1;
		pthread_cond_signal(&ck.cv);
		pthread_mutex_unlock(&ck.mu);
	}
	return SQLITE_OK;
}

/* A PASSIVE checkpoint: 0 with *log (frames in the WAL) and *left (not
 * yet copied), or -1. Best effort throughout: a checkpoint that cannot
 * finish now (a reader on old frames, a busy lock) is tried again after a
 * later commit. */
static int
checkpoint_passive(sqlite3 *db, int *log, int *left)
{
	int done = 0;

	*log = *left = 0;
	if (sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    log, &done) != SQLITE_OK)
		return -1;
	*left = *log > done ? *log - done : 0;
	return 0;
}

static void
checkpoint_once(sqlite3 *db)
{
	static time_t pinned_at;
	int log, left, prev = -1;
	time_t now;

	pthread_mutex_lock(&ckpt_mu);
	for (int i = 0; i < WAL_CHECKPOINT_ROUNDS; i++) {
		if (checkpoint_passive(db, &log, &left) != 0)
			goto done;
		if (left <= WAL_CHECKPOINT_REST ||
		    (prev >= 0 && left >= prev))
			break;
		prev = left;
	}
	/* The WAL restarts from its start at a write that finds every frame
	 * copied and no reader on them. Usually one comes soon; while the
	 * WAL stays short, leave it at that. Once it has grown past twice
	 * the threshold, make the moment: copy the rest with no writer
	 * running, and the next writer restarts it. */
	if (log <= 2 * WAL_CHECKPOINT_PAGES)
		goto done;
	/* If the last locked round could not copy everything, a long
	 * reader (an audit export's snapshot, a backup) pins the WAL: try
	 * again at most once a second then, since each try still stalls
	 * the writers. */
	now = time(NULL);
	if (pinned_at == now)
		goto done;
	write_lock_take();
	if (checkpoint_passive(db, &log, &left) == 0 && left > 0)
		pinned_at = now;
	write_lock_drop();
done:
	pthread_mutex_unlock(&ckpt_mu);
}

static void *
ckpt_main(void *arg)
{
	(void)arg;
	struct timespec until;
	int truncate;

	pthread_mutex_lock(&ck.mu);
	for (;;) {
		while (!ck.want && !ck.stop) {
			if (!ck.truncate) {
				pthread_cond_wait(&ck.cv, &ck.mu);
				continue;
			}
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += STORE_TRUNCATE_RETRY_S;
			if (pthread_cond_timedwait(&ck.cv, &ck.mu, &until) != 0)
				break;	/* time to try the truncation again */
		}
		if (ck.stop)
			break;
		ck.want = 0;
		truncate = ck.truncate;
		pthread_mutex_unlock(&ck.mu);
		if (truncate) {
			if (store_checkpoint_truncate(ck.conn) == STORE_OK) {
				pthread_mutex_lock(&ck.mu);
				ck.truncate = 0;
				pthread_mutex_unlock(&ck.mu);
			}
		} else
			checkpoint_once(ck.conn->db);
		pthread_mutex_lock(&ck.mu);
		ck.runs++;
	}
	pthread_mutex_unlock(&ck.mu);
	return NULL;
}

static void
ckpt_stop(void)
{
	worker_stop(&ck.mu, &ck.cv, &ck.stop, &ck.thread, ck.running ? 1 : 0);
	ck.running = 0;
	ck.stop = 0;
	ck.want = 0;
	store_close(ck.conn);
	ck.conn = NULL;
}

uint64_t
store_wal_checkpoints(void)
{
	uint64_t n;

	pthread_mutex_lock(&ck.mu);
	n = ck.runs;
	pthread_mutex_unlock(&ck.mu);
	return n;
}

/* A pool-grade connection: synchronous=NORMAL, durability through
 * group_wait() (see group commit above), checkpoints in the background. */
static int
open_group(struct store **out, const char *path,
    const uint8_t key[STORE_KEY_BYTES])
{
	int rc;

	if ((rc = store_open(out, path, key, 0)) != STORE_OK)
		return rc;
	if ((rc = store_exec((*out)->db, "PRAGMA synchronous = NORMAL"))
	    != STORE_OK) {
		store_close(*out);
		*out = NULL;
		return rc;
	}
	(*out)->group = 1;
	sqlite3_wal_hook((*out)->db, wal_hook, NULL);
	return STORE_OK;
}

int
store_pool_open(const char *path, const uint8_t key[STORE_KEY_BYTES],
    unsigned n)
{
	sigset_t all, old;
	int rc;

	if ((pool.conns = calloc(n, sizeof(*pool.conns))) == NULL)
		return STORE_ENOMEM;
	for (pool.n = 0; pool.n < n; pool.n++) {
		rc = open_group(&pool.conns[pool.n], path, key);
		if (rc != STORE_OK) {
			store_pool_close();
			return rc;
		}
	}
	if ((rc = open_group(&pool.writer, path, key)) != STORE_OK) {
		store_pool_close();
		return rc;
	}
	/* the first read in store_open created the WAL: it exists now */
	if ((rc = group_open(path)) != STORE_OK) {
		store_pool_close();
		return rc;
	}
	if ((rc = open_group(&ck.conn, path, key)) != STORE_OK) {
		store_pool_close();
		return rc;
	}
	/* the thread takes no signal: the server's main thread waits for
	 * SIGTERM/SIGINT with them blocked, and a signal left to this
	 * thread would end the process in the middle of a graceful stop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&ck.thread, NULL, ckpt_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		store_pool_close();
		return STORE_ENOMEM;
	}
	ck.running = 1;
	return STORE_OK;
}

void
store_pool_close(void)
{
	ckpt_stop();
	for (unsigned i = 0; i < pool.n; i++)
		store_close(pool.conns[i]);
	store_close(pool.writer);
	pool.writer = NULL;
	group_close();
	free(pool.conns);
	pool.conns = NULL;
	pool.n = 0;
}

struct store *
store_pool_writer(void)
{
	return pool.writer;
}

struct store *
store_pool_acquire(void)
{
	struct store *s = NULL;

	pthread_mutex_lock(&pool.mu);
	for (;;) {
		for (unsigned i = 0; i < pool.n; i++) {
			if (!pool.conns[i]->busy) {
				s = pool.conns[i];
				s->busy = 1;
				break;
			}
		}
		if (s != NULL || pool.n == 0)
			break;
		pthread_cond_wait(&pool.cv, &pool.mu);
	}
	pthread_mutex_unlock(&pool.mu);
	return s;
}

void
store_pool_release(struct store *s)
{
	if (s == NULL)
		return;
	if (s == pool.writer) {
		/* invariant: the writer belongs to the write lock's holder;
		 * in the pool two threads could use it at once */
		log_line(LOG_ERROR, "internal error: the writer "
		    "connection was released to the pool; stopping");
		abort();
	}
	if (s->in_write)
		(void)store_write_end(s, 0);
	store_read_end(s);
	pthread_mutex_lock(&pool.mu);
	s->busy = 0;
	pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
}
