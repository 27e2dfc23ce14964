/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_batch: one committer thread between the request threads and the
 * disk.
 *
 * A request that wrote nothing (a read, a list, a denial, a login) hands
 * its audit entry over as a job and goes back to serving; so does a
 * request that committed its own write transaction, with the mark of that
 * commit. The committer takes every queued job, appends the entries in
 * queue order in one transaction on the pool's writer connection, commits,
 * waits once for the flush that covers the newest commit among the jobs
 * (the group commit in schema/store.c), and then calls each job's done.
 * Only then may the request's answer leave (server/http.c resumes its
 * connection from done).
 *
 * Why a thread: with a waiting thread per request, every audited request
 * cost about six context switches (hand-off, batch wait, flush wait,
 * resume), which on a small VM cost more CPU than the request itself.
 * Here a batch of n requests costs the committer one wake-up, one
 * transaction and one flush wait. The writer connection is the only one
 * that commits batches, so its page cache stays warm, and a batch of n
 * entries encrypts its leaf pages once, not n times.
 *
 * Order and durability: done runs only after audit_durable_wait has
 * returned for a mark at least as new as every job's, and tickets follow
 * commit order, so every entry and commit of the batch is durable, and
 * the audit routes may serve them (audit.c's durable size).
 *
 * Fail closed: if an entry of the batch cannot be appended, each entry is
 * tried in a transaction of its own; a job whose entry still cannot be
 * written gets rc -1 and its request answers 503 with no data. If the
 * transaction itself cannot begin or commit, the whole batch answers 503. (A failed flush stops
 * the process: schema/store.c.)
 */
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "schema/store.h"
#include "server/audit/audit.h"
#include "server/audit/audit_anon.h"
#include "server/audit/audit_batch.h"
#include "server/log/worker.h"

/* Entries per transaction: within what audit_append may stage. */
#define AUDIT_BATCH_MAX	(AUDIT_PENDING_MAX / 2)

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* the committer waits for work */
	struct audit_job *head, *tail;
	int		 running;
	int		 stop;
	pthread_t	 thread;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0,
    0, 0 };

/* Serializes batches run on request threads when no committer runs. */
static pthread_mutex_t inline_mu = PTHREAD_MUTEX_INITIALIZER;

/* Append the entries of the jobs from first up to (not including) stop,
 * in one transaction on w. 0 with *m set (a zero mark if there were no
 * entries); nothing committed: -1 if an entry could not be appended, -2
 * if the transaction could not begin or commit. */
static int
commit_run(struct store *w, const struct audit_job *first,
    const struct audit_job *stop, struct audit_mark *m)
{
	const struct audit_job *j;
	int ok, any = 0;

	memset(m, 0, sizeof(*m));
	for (j = first; j != stop; j = j->next)
		any |= j->ev != NULL;
	if (!any)
		return 0;
	if (store_write_begin(w) != STORE_OK)
		return -2;
	ok = 1;
	for (j = first; ok && j != stop; j = j->next)
		if (j->ev != NULL)
			ok = audit_append(w, j->ev) == 0;
	if (audit_commit_deferred(w, ok, m) != STORE_OK)
		return ok ? -2 : -1;
	return ok ? 0 : -1;
}

/* Commit batch's entries, wait until they and the marks of its other jobs
 * are durable, and call each job's done. */
static void
run_batch(struct store *w, struct audit_job *batch)
{
	struct audit_mark m, newest;
	struct audit_job *j, *next;
	unsigned entries = 0;
	int rc;

	for (j = batch; j != NULL; j = j->next)
		entries += j->ev != NULL;
	rc = commit_run(w, batch, NULL, &m);
	for (j = batch; j != NULL; j = j->next) {
		if (j->ev == NULL)
			j->rc = 0;	/* its commit is made; wait below */
		else if (rc != -1 || entries == 1) {
			/* committed, or the database would not take a
			 * transaction at all (after its busy timeout): trying
			 * each entry again would keep every request waiting
			 * that long once per entry */
			j->rc = rc == 0 ? 0 : -1;
			j->mark = m;
		} else	/* an entry failed: each entry alone */
			j->rc = commit_run(w, j, j->next, &j->mark) == 0 ? 0 :
			    -1;
	}
	/* the newest commit among the jobs: tickets and the log's commit
	 * count both follow commit order, so its flush covers all of them */
	memset(&newest, 0, sizeof(newest));
	for (j = batch; j != NULL; j = j->next)
		if (j->rc == 0 && (j->mark.ticket > newest.ticket ||
		    j->mark.commit > newest.commit))
			newest = j->mark;
	if (audit_durable_wait(&newest) != STORE_OK)
		for (j = batch; j != NULL; j = j->next)
			j->rc = -1;
	for (j = batch; j != NULL; j = next) {
		/* read next first: after done, j's owner may free it */
		next = j->next;
		j->done(j, j->rc);
	}
}

static void
note_rc(struct audit_job *j, int rc)
{
	*(int *)j->arg = rc;
}

/* Write the anonymous failures counted so far as summary entries, if
 * their interval has passed (or force); on the committer thread, or at
 * stop. A summary that cannot be written is put back for the next try. */
static void
flush_anon(struct store *w, int force)
{
	uint8_t extra[AUDIT_SUMMARY_EXTRA_MAX];
	struct audit_event ev;
	struct audit_job j;
	size_t extra_len;
	int rc;

	while (audit_anon_take(extra, &extra_len, audit_now_ms(), force)) {
		memset(&ev, 0, sizeof(ev));
		ev.actor_id = "";
		ev.role = 0;	/* anonymous */
		ev.action = AUDIT_ANON_SUMMARY;
		ev.object_type = AUDIT_OBJ_NONE;
		ev.outcome = AUDIT_DENIED;
		ev.request_id = "";
		ev.extra = extra;
		ev.extra_len = extra_len;
		memset(&j, 0, sizeof(j));
		rc = -1;
		j.ev = &ev;
		j.done = note_rc;
		j.arg = &rc;
		run_batch(w, &j);
		if (rc != 0) {
			audit_anon_put_back(extra, extra_len);
			return;
		}
	}
}

/* How long the committer sleeps without work before it looks at the
 * anonymous counts again, in seconds. */
#define COMMITTER_IDLE_S	1

static void *
committer_main(void *arg)
{
	struct audit_job *batch, *j;
	struct store *w = arg;
	struct timespec until;
	unsigned n;

	for (;;) {
		pthread_mutex_lock(&q.mu);
		while (q.head == NULL && !q.stop) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += COMMITTER_IDLE_S;
			if (pthread_cond_timedwait(&q.cv, &q.mu, &until) != 0)
				break;	/* timed out: look at the counts */
		}
		if ((batch = q.head) == NULL) {
			int stop = q.stop;

			pthread_mutex_unlock(&q.mu);
			/* at stop, whatever is counted goes out now */
			flush_anon(w, stop);
			if (stop)
				return NULL;
			continue;
		}
		/* the oldest jobs, up to what one transaction may stage
		 * (audit.h); the rest form the next batch */
		n = batch->ev != NULL;
		for (j = batch; j->next != NULL &&
		    n + (j->next->ev != NULL) <= AUDIT_BATCH_MAX; j = j->next)
			n += j->next->ev != NULL;
		if ((q.head = j->next) == NULL)
			q.tail = NULL;
		j->next = NULL;
		pthread_mutex_unlock(&q.mu);
		run_batch(w, batch);
		flush_anon(w, 0);
	}
}

int
audit_batch_start(void)
{
	struct store *w = store_pool_writer();

	if (w == NULL)
		return -1;
	pthread_mutex_lock(&q.mu);
	q.stop = 0;
	q.head = q.tail = NULL;
	q.running = pthread_create(&q.thread, NULL, committer_main, w) == 0;
	pthread_mutex_unlock(&q.mu);
	return q.running ? 0 : -1;
}

void
audit_batch_stop(void)
{
	/* q.running: only start and stop write it */
	worker_stop(&q.mu, &q.cv, &q.stop, &q.thread, q.running ? 1 : 0);
	pthread_mutex_lock(&q.mu);
	q.running = 0;
	pthread_mutex_unlock(&q.mu);
}

int
audit_batch_submit(struct audit_job *j)
{
	j->next = NULL;
	j->rc = 0;
	pthread_mutex_lock(&q.mu);
	if (!q.running || q.stop) {
		pthread_mutex_unlock(&q.mu);
		return -1;
	}
	if (q.tail != NULL)
		q.tail->next = j;
	else
		q.head = j;
	q.tail = j;
	pthread_cond_signal(&q.cv);
	pthread_mutex_unlock(&q.mu);
	return 0;
}

/* audit_batch_commit through the committer: done wakes the caller. */
struct waiter {
	pthread_mutex_t	mu;
	pthread_cond_t	cv;
	int		state;	/* 0 waiting, 1 durable, -1 failed */
};

static void
wake_waiter(struct audit_job *j, int rc)
{
	struct waiter *wt = j->arg;

	pthread_mutex_lock(&wt->mu);
	wt->state = rc == 0 ? 1 : -1;
	pthread_cond_signal(&wt->cv);
	pthread_mutex_unlock(&wt->mu);
}

int
audit_batch_commit(const struct audit_event *ev)
{
	struct waiter wt = { PTHREAD_MUTEX_INITIALIZER,
	    PTHREAD_COND_INITIALIZER, 0 };
	struct audit_job j;
	struct store *w;
	int rc = -1;

	memset(&j, 0, sizeof(j));
	j.ev = ev;
	j.done = wake_waiter;
	j.arg = &wt;
	if (audit_batch_submit(&j) == 0) {
		pthread_mutex_lock(&wt.mu);
		while (wt.state == 0)
			pthread_cond_wait(&wt.cv, &wt.mu);
		pthread_mutex_unlock(&wt.mu);
		return wt.state == 1 ? 0 : -1;
	}
	/* no committer: a batch of one, here */
	if ((w = store_pool_writer()) == NULL)
		return -1;
	j.done = note_rc;
	j.arg = &rc;
	pthread_mutex_lock(&inline_mu);
	run_batch(w, &j);
	pthread_mutex_unlock(&inline_mu);
	return rc;
}
