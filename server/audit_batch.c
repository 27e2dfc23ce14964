/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_batch: durable audit entries for requests that wrote nothing
 * (reads, lists, denials, logins), committed many to a transaction.
 *
 * Flat combining, with no thread of its own: a request queues its entry
 * and, if no one is committing, becomes the combiner. The combiner takes
 * the whole queue, opens one write transaction on the pool's writer
 * connection, appends every entry in queue order with audit_append, and
 * commits. Requests that queue meanwhile wait and form the next batch.
 * Each request then waits for the durability of the batch it was in
 * (audit_durable_wait), so the group commit in schema/store.c lets several
 * batches, and the handlers' own write transactions, share one fdatasync.
 *
 * Why: every committed transaction invalidates the page cache of every
 * other SQLite connection, so with one transaction per request on the
 * request's own pool connection each audit append re-read (decrypt + HMAC)
 * the audit table's pages, and each commit encrypted them again. The
 * writer connection is the only one committing batches, so its cache stays
 * warm, and a batch of n entries encrypts its leaf pages once, not n times.
 *
 * Fail closed: if the batch's transaction fails, each entry is tried in a
 * transaction of its own; a request whose entry still cannot be written
 * gets -1 and must answer 503 with no data. (A failed flush stops the
 * process: schema/store.c.)
 */
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "schema/store.h"
#include "server/audit.h"
#include "server/audit_batch.h"

/* Entries per transaction: within what audit_append may stage. */
#define AUDIT_BATCH_MAX	(AUDIT_PENDING_MAX / 2)

struct pending {
	const struct audit_event	*ev;
	struct pending			*next;
	struct audit_mark		 mark;	/* set by the combiner */
	int				 rc;	/* set by the combiner */
	int				 state;	/* 0 queued, 1 committed, -1 failed */
};

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct pending	*head;
	struct pending	*tail;
	int		 combining;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0 };

/* Append the entries from first up to (not including) stop on the writer
 * connection in one transaction. 0 with *m set, or -1 (nothing
 * committed). */
static int
commit_run(struct store *w, const struct pending *first,
    const struct pending *stop, struct audit_mark *m)
{
	const struct pending *p;
	int ok;

	memset(m, 0, sizeof(*m));
	if (store_write_begin(w) != STORE_OK)
		return -1;
	ok = 1;
	for (p = first; ok && p != stop; p = p->next)
		ok = audit_append(w, p->ev) == 0;
	if (audit_commit_deferred(w, ok, m) != STORE_OK)
		ok = 0;
	return ok ? 0 : -1;
}

/* Commit batch, filling each entry's rc and mark. If the one transaction
 * fails, each entry is tried alone, so one entry that cannot be appended
 * does not cost the others their answer. */
static void
combine(struct store *w, struct pending *batch)
{
	struct audit_mark m;
	struct pending *p;
	int rc;

	rc = commit_run(w, batch, NULL, &m);
	if (rc == 0 || batch->next == NULL) {
		for (p = batch; p != NULL; p = p->next) {
			p->rc = rc;
			p->mark = m;
		}
		return;
	}
	for (p = batch; p != NULL; p = p->next)
		p->rc = commit_run(w, p, p->next, &p->mark);
}

int
audit_batch_commit(const struct audit_event *ev)
{
	struct pending me = { ev, NULL, { 0, 0, 0 }, 0, 0 }, *batch, *p, *next;
	struct store *w = store_pool_writer();
	unsigned n;

	if (w == NULL)
		return -1;
	pthread_mutex_lock(&q.mu);
	if (q.tail != NULL)
		q.tail->next = &me;
	else
		q.head = &me;
	q.tail = &me;
	while (me.state == 0) {
		if (q.combining) {
			pthread_cond_wait(&q.cv, &q.mu);
			continue;
		}
		/* combiner: take the oldest queued entries, up to what one
		 * transaction may stage (audit.h); the rest, ours perhaps,
		 * form the next batch */
		q.combining = 1;
		batch = q.head;
		for (p = batch, n = 1; p->next != NULL &&
		    n < AUDIT_BATCH_MAX; p = p->next)
			n++;
		q.head = p->next;
		p->next = NULL;
		if (q.head == NULL)
			q.tail = NULL;
		pthread_mutex_unlock(&q.mu);
		combine(w, batch);
		pthread_mutex_lock(&q.mu);
		for (p = batch; p != NULL; p = next) {
			/* read next first: once state is set, p's owner may
			 * return and its stack frame is gone */
			next = p->next;
			p->state = p->rc == 0 ? 1 : -1;
		}
		q.combining = 0;
		pthread_cond_broadcast(&q.cv);
	}
	pthread_mutex_unlock(&q.mu);
	if (me.state < 0)
		return -1;
	return audit_durable_wait(&me.mark) == STORE_OK ? 0 : -1;
}
