/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * kdfpool: MAX_CONCURRENT_ARGON2 low-priority threads that run the Argon2id
 * work of logins, password changes and new accounts, and the queue that
 * feeds them (kdfpool.h). A caller links a job on its own stack into the
 * queue and sleeps on a condition variable until a pool thread has run it.
 *
 * Why nice 19 and not SCHED_IDLE. Both can be set by an unprivileged
 * thread for itself, and neither can be undone without CAP_SYS_NICE; the
 * systemd unit allows both (setpriority and sched_setscheduler are in
 * @system-service, and RestrictRealtime= only forbids the real-time
 * policies). SCHED_IDLE weighs 3 against 1024, so under sustained load a
 * login would take about 20 s of wall time instead of about 4 s, and
 * waiting logins hold dispatch threads and turn later ones away with 503
 * for that long. A nice 19 thread still gets about 1.5% of a busy core, so
 * logins keep completing while reads keep nearly all the CPU, and when
 * the machine is idle the two are the same. On Linux the nice value
 * belongs to the thread (the tid), not the process, and threads in one
 * process share one autogroup, so it is weighed against the dispatch
 * threads of this server, which is what we want.
 *
 * Priority inversion: a pool thread holds the pool mutex for a few
 * instructions per job, and only callers of kdfpool_run ever take it, so a
 * preempted pool thread can delay other logins, never a read.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "server/core/kdfpool.h"
#include "server/limits.h"
#include "server/log/log.h"
#include "server/log/worker.h"

/* A job lives on the stack of the caller of kdfpool_run. */
struct job {
	void		(*fn)(void *);
	void		*arg;
	int		 done;		/* set by the pool thread, under P.mu */
	struct job	*next;
};

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a job was queued, or stop */
	pthread_cond_t	 done;		/* a job finished: its caller wakes */
	pthread_t	 threads[MAX_CONCURRENT_ARGON2];
	unsigned	 n;		/* threads started */
	int		 accepting;	/* kdfpool_run hands jobs over */
	int		 stop;
	struct job	*head, *tail;
	unsigned	 pending;	/* queued + running */
} P = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
    PTHREAD_COND_INITIALIZER, { 0 }, 0, 0, 0, NULL, NULL, 0 };

/* One warning for the whole pool, not one per thread. */
static atomic_int warned;

/* Lower the calling thread's priority for good. A failure costs only the
 * priority, so it is logged and the thread serves on. */
static void
lower_priority(void)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	int e;

	if (setpriority(PRIO_PROCESS, (id_t)tid, KDFPOOL_NICE) == 0)
		return;
	e = errno;
	if (atomic_exchange(&warned, 1) == 0)
		log_line(LOG_WARN, "cannot lower the CPU priority of the "
		    "key derivation threads (errno %d); logins compete with "
		    "other requests for the CPU", e);
}

/* A pool thread: run queued jobs until stopped. Drains the queue before
 * it honours stop, since every queued job has a caller waiting. */
static void *
worker(void *arg)
{
	struct job *j;

	(void)arg;
	lower_priority();
	/* "top -H" and the tests tell these threads apart by name */
	(void)pthread_setname_np(pthread_self(), "corridor-kdf");
	pthread_mutex_lock(&P.mu);
	for (;;) {
		while (P.head == NULL && !P.stop)
			pthread_cond_wait(&P.work, &P.mu);
		if ((j = P.head) == NULL)
			break;
		if ((P.head = j->next) == NULL)
			P.tail = NULL;
		pthread_mutex_unlock(&P.mu);
		j->fn(j->arg);
		pthread_mutex_lock(&P.mu);
		j->done = 1;
		P.pending--;
		/* at most MAX_CONCURRENT_ARGON2 + MAX_ARGON2_QUEUE callers
		 * sleep on this; each checks its own job */
		pthread_cond_broadcast(&P.done);
	}
	pthread_mutex_unlock(&P.mu);
	return NULL;
}

/* Stop and join the threads started so far. */
static void
stop_threads(void)
{
	pthread_mutex_lock(&P.mu);
	P.accepting = 0;	/* from now on kdfpool_run runs fn itself */
	pthread_mutex_unlock(&P.mu);
	worker_stop(&P.mu, &P.work, &P.stop, P.threads, P.n);
	P.n = 0;
	P.stop = 0;
}

int
kdfpool_start(void)
{
	if (P.n != 0)
		return -1;
	for (P.n = 0; P.n < MAX_CONCURRENT_ARGON2; P.n++)
		if (pthread_create(&P.threads[P.n], NULL, worker, NULL) != 0) {
			stop_threads();
			return -1;
		}
	pthread_mutex_lock(&P.mu);
	P.accepting = 1;
	pthread_mutex_unlock(&P.mu);
	return 0;
}

void
kdfpool_stop(void)
{
	if (P.n == 0)
		return;
	stop_threads();
}

int
kdfpool_run(void (*fn)(void *), void *arg)
{
	struct job j = { fn, arg, 0, NULL };

	pthread_mutex_lock(&P.mu);
	if (!P.accepting) {
		pthread_mutex_unlock(&P.mu);
		fn(arg);
		return 0;
	}
	if (P.pending >= MAX_CONCURRENT_ARGON2 + MAX_ARGON2_QUEUE) {
		pthread_mutex_unlock(&P.mu);
		return -1;
	}
	P.pending++;
	if (P.tail != NULL)
		P.tail->next = &j;
	else
		P.head = &j;
	P.tail = &j;
	pthread_cond_signal(&P.work);
	while (!j.done)
		pthread_cond_wait(&P.done, &P.mu);
	pthread_mutex_unlock(&P.mu);
	return 0;
}

unsigned
kdfpool_pending(void)
{
	unsigned n;

	pthread_mutex_lock(&P.mu);
	n = P.pending;
	pthread_mutex_unlock(&P.mu);
	return n;
}
