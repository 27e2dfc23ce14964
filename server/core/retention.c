/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * retention: the sweep that crypto-shreds closed cases past the retention
 * period, and the server thread that runs it. See retention.h for the
 * policy and for what differs from a coordinator's shred.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto/secmem.h"
#include "crypto/token.h"
#include "schema/store_case.h"
#include "schema/store_evac.h"
#include "schema/store_user.h"
#include "server/audit/audit.h"
#include "server/core/casefile.h"
#include "server/core/retention.h"
#include "server/core/session.h"
#include "server/log/log.h"
#include "server/log/worker.h"

#define DAY_S	86400
/* Cases one sweep may pass over (failed, or listed but not due on a
 * second look) before it gives up: so many failures means the database
 * itself is failing, and each costs an audit entry. */
#define MAX_PASSED	1024u

/* Set by retention_stop; read between cases. */
static atomic_int stop_flag;

enum one_result { ONE_SHREDDED, ONE_SKIPPED, ONE_FAILED };

/* Due at cutoff: a live closed case, closed at or before cutoff. The
 * listing said so already; this is checked again inside the transaction,
 * because a coordinator may have reopened the case since. */
static int
is_due(const struct case_row *c, int64_t cutoff)
{
	return !c->shredded && c->status == CASE_CLOSED && c->closed_at > 0 &&
	    c->closed_at <= cutoff;
}

/* Append the audit entry of one retention shred to s's transaction. */
static int
audit_shred(struct store *s, const char *case_id, int outcome,
    const char *request_id)
{
	struct audit_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.actor_id = RETENTION_ACTOR;
	ev.role = ROLE_NONE;
	ev.action = AUDIT_CASE_SHRED;
	ev.object_type = AUDIT_OBJ_CASE;
	ev.object_id = case_id;
	ev.outcome = outcome;
	ev.request_id = request_id;
	return audit_append(s, &ev);
}

/*
 * Shred case id if it is still due, with its audit entry, in one write
 * transaction. A failure is rolled back and then audited (outcome error)
 * in a transaction of its own, as the dispatcher does for a request.
 */
static enum one_result
shred_one(struct store *s, const char *id, int64_t cutoff,
    const struct retention_run *run, struct retention_report *rep)
{
	struct case_row c;
	struct evac_row e;
	uint8_t newk[CASEFILE_KEY_BYTES];
	int rc, rotated = 0, pending = 0;

	memset(&e, 0, sizeof(e));
	if (store_write_begin(s) != STORE_OK)
		return ONE_FAILED;
	rc = store_case_get(s, id, &c);
	if (rc == STORE_ENOTFOUND || (rc == STORE_OK && !is_due(&c, cutoff))) {
		(void)store_write_end(s, 0);
		return ONE_SKIPPED;
	}
	if (rc != STORE_OK)
		goto failed;
	/* the one shred path: wraps, ciphertext and contacts go */
	if (casefile_case_shred(s, &c) != CASEFILE_OK)
		goto failed;
	if (c.evacuation_id[0] != '\0') {
		if (store_evac_get(s, c.evacuation_id, &e) != STORE_OK)
			goto failed;
		/* no key here: extra wraps go now, the rotation waits for the
		 * next holder. ENOKEY means someone lacks a wrap they should
		 * have, so nothing was to be taken away; the next sync by a
		 * holder of the key adds it. */
		rc = casefile_evac_sync(s, &e, NULL, 0, newk, &rotated);
		secmem_wipe(newk, sizeof(newk));
		if (rc != CASEFILE_OK && rc != CASEFILE_ENOKEY)
			goto failed;
		pending = e.rotate_pending;
	}
	if (audit_shred(s, c.id, AUDIT_ALLOWED, rep->request_id) != 0)
		goto failed;
	/* a failed commit is rolled back: nothing shredded, nothing logged;
	 * audit_commit marks the entry durable for the next checkpoint */
	if (audit_commit(s) != STORE_OK)
		return ONE_FAILED;
	if (run->forget != NULL) {
		run->forget(c.id);
		if (e.id[0] != '\0')
			run->forget(e.id);
	}
	if (pending)
		rep->evac_pending++;
	return ONE_SHREDDED;
failed:
	(void)store_write_end(s, 0);
	if (store_write_begin(s) == STORE_OK) {
		if (audit_shred(s, id, AUDIT_ERROR, rep->request_id) == 0)
			(void)audit_commit(s);
		else
			(void)store_write_end(s, 0);
	}
	return ONE_FAILED;
}

int
retention_sweep(struct store *s, const struct retention_run *run,
    struct retention_report *rep)
{
	struct store_ids due = { NULL, 0, 0 }, passed = { NULL, 0, 0 };
	int n, rc = -1;

	memset(rep, 0, sizeof(*rep));
	token_new_id(rep->run_id);
	n = snprintf(rep->request_id, sizeof(rep->request_id), "%s%s",
	    run->as_of ? "retention-asof-" : "retention-", rep->run_id);
	if (n < 0 || (size_t)n >= sizeof(rep->request_id))
		return -1;
	if (run->days < 1 || run->days > RETENTION_MAX_DAYS || run->now < 0)
		return -1;
	rep->cutoff = run->now - (int64_t)run->days * DAY_S;

	/* Batches until nothing new is due. A case that failed (or was listed
	 * but is not due on a second look) may be listed again, so it is
	 * remembered, passed over, and asked for on top of a batch: every
	 * batch makes progress or ends the sweep. */
	for (;;) {
		size_t fresh = 0;

		store_ids_free(&due);
		if (passed.n >= MAX_PASSED ||
		    store_case_due(s, rep->cutoff,
		    RETENTION_BATCH + (unsigned)passed.n, &due) != STORE_OK)
			goto done;
		for (size_t i = 0; i < due.n; i++) {
			if (store_ids_has(&passed, due.id[i]))
				continue;
			fresh++;
			if (atomic_load(&stop_flag)) {
				rep->stopped = 1;
				goto done;
			}
			switch (shred_one(s, due.id[i], rep->cutoff, run, rep)) {
			case ONE_SHREDDED:
				rep->shredded++;
				continue;
			case ONE_SKIPPED:
				break;
			case ONE_FAILED:
				rep->failed++;
				break;
			}
			if (store_ids_push(&passed, due.id[i]) != STORE_OK)
				goto done;
		}
		if (fresh == 0)
			break;
	}
	rc = 0;
done:
	/* secure_delete zeroed the freed pages in the database file; their
	 * old copies in the WAL go with a truncating checkpoint */
	if (rep->shredded > 0 && store_checkpoint_truncate_retry(s) !=
	    STORE_OK)
		log_line(LOG_WARN, "retention: WAL truncation after shredding "
		    "failed; retrying in the background");
	store_ids_free(&due);
	store_ids_free(&passed);
	return rc == 0 && rep->failed == 0 && !rep->stopped ? 0 : -1;
}

/* --- the server's sweeper ---------------------------------------------------- */

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;	/* on CLOCK_MONOTONIC */
	pthread_t	 th;
	int		 running;
	int		 stop;
	uint32_t	 days;
	unsigned	 interval_s;
} R = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0 };

/* One sweep on a pool connection with the real clock. The start-up sweep
 * always logs a line (the operator sees the policy ran); later ones only
 * when they shredded or failed something. */
static void
sweep_once(int first)
{
	struct retention_run run;
	struct retention_report rep;
	struct store *s;
	int rc;

	if ((s = store_pool_acquire()) == NULL)
		return;
	memset(&run, 0, sizeof(run));
	run.days = R.days;
	run.now = store_now();
	run.forget = session_key_forget;
	rc = retention_sweep(s, &run, &rep);
	store_pool_release(s);
	/* counts and the run's request id (as in the audit log) only: never
	 * a case id, which would tie a log line to a person's file */
	if (first || rep.shredded > 0 || rep.failed > 0 ||
	    (rc != 0 && !rep.stopped))
		log_line(LOG_INFO, "req=%s retention sweep: shredded=%u "
		    "failed=%u evacuations_pending=%u%s", rep.request_id,
		    rep.shredded, rep.failed, rep.evac_pending,
		    rc != 0 && rep.failed == 0 && !rep.stopped ?
		    " (the database could not be read)" : "");
}

static void *
sweeper(void *arg)
{
	struct timespec deadline;
	int stop = 0, first = 1;

	(void)arg;
	while (!stop) {
		sweep_once(first);
		first = 0;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += R.interval_s;
		pthread_mutex_lock(&R.mu);
		while (!R.stop && pthread_cond_timedwait(&R.cv, &R.mu,
		    &deadline) != ETIMEDOUT)
			;
		stop = R.stop;
		pthread_mutex_unlock(&R.mu);
	}
	return NULL;
}

int
retention_start(uint32_t days, unsigned interval_s)
{
	if (days == 0)
		return 0;
	if (days > RETENTION_MAX_DAYS || interval_s == 0 || R.running)
		return -1;
	/* the wait between sweeps must not jump with the wall clock */
	pthread_cond_destroy(&R.cv);
	if (worker_cond_monotonic(&R.cv) != 0)
		return -1;
	R.days = days;
	R.interval_s = interval_s;
	R.stop = 0;
	atomic_store(&stop_flag, 0);
	if (pthread_create(&R.th, NULL, sweeper, NULL) != 0)
		return -1;
	R.running = 1;
	return 0;
}

void
retention_stop(void)
{
	if (!R.running)
		return;
	atomic_store(&stop_flag, 1);
	worker_stop(&R.mu, &R.cv, &R.stop, &R.th, 1);
	R.running = 0;
	/* the flag is for the thread's sweep only: later direct sweeps run */
	atomic_store(&stop_flag, 0);
}
