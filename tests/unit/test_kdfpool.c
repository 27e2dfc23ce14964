/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_kdfpool: the low-priority key derivation threads (server/core/kdfpool.h).
 * Without a pool a job runs inline on the caller; with one it runs on a
 * pool thread at KDFPOOL_NICE while the caller keeps nice 0; at most
 * MAX_CONCURRENT_ARGON2 jobs run and MAX_ARGON2_QUEUE wait, and the next
 * caller is refused at once without its job running; kdfpool_stop runs
 * the jobs already queued before it returns, and afterwards jobs run
 * inline again.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "server/core/kdfpool.h"
#include "server/limits.h"
#include "testutil.h"

#define WAITERS	(MAX_CONCURRENT_ARGON2 + MAX_ARGON2_QUEUE)

static pid_t
tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static int
my_nice(void)
{
	errno = 0;
	return getpriority(PRIO_PROCESS, (id_t)tid());
}

/* --- a job that records where it ran ------------------------------------ */

struct where {
	pid_t	tid;
	int	nice;
	char	name[16];
	int	ran;
};

static void
where_job(void *arg)
{
	struct where *w = arg;

	w->tid = tid();
	w->nice = my_nice();
	if (pthread_getname_np(pthread_self(), w->name, sizeof(w->name)) != 0)
		w->name[0] = '\0';
	w->ran++;
}

/* --- jobs that hold their pool thread until released --------------------- */

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 released;
	unsigned	 running, max_running, ran;
} B = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0 };

static void
blocking_job(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&B.mu);
	B.running++;
	if (B.running > B.max_running)
		B.max_running = B.running;
	pthread_cond_broadcast(&B.cv);
	while (!B.released)
		pthread_cond_wait(&B.cv, &B.mu);
	B.running--;
	B.ran++;
	pthread_mutex_unlock(&B.mu);
}

static void *
caller(void *arg)
{
	int *rc = arg;

	*rc = kdfpool_run(blocking_job, NULL);
	return NULL;
}

static void *
stopper(void *arg)
{
	(void)arg;
	kdfpool_stop();
	return NULL;
}

static unsigned
running_now(void)
{
	unsigned n;

	pthread_mutex_lock(&B.mu);
	n = B.running;
	pthread_mutex_unlock(&B.mu);
	return n;
}

static int
queue_full(void)
{
	return kdfpool_pending() == WAITERS;
}

static int
all_running(void)
{
	return running_now() == MAX_CONCURRENT_ARGON2;
}

/* Wait until cond() holds or about 10 s pass; 1 if it held. */
static int
wait_for(int (*cond)(void))
{
	struct timespec ts = { 0, 1000000 };	/* 1 ms */

	for (int i = 0; i < 10000; i++) {
		if (cond())
			return 1;
		nanosleep(&ts, NULL);
	}
	return cond();
}

static void
release(void)
{
	pthread_mutex_lock(&B.mu);
	B.released = 1;
	pthread_cond_broadcast(&B.cv);
	pthread_mutex_unlock(&B.mu);
}

static void
reset(void)
{
	pthread_mutex_lock(&B.mu);
	B.released = 0;
	B.running = B.max_running = B.ran = 0;
	pthread_mutex_unlock(&B.mu);
}

/* Fill the pool: WAITERS callers, MAX_CONCURRENT_ARGON2 of them running. */
static void
fill(pthread_t th[WAITERS], int rcs[WAITERS])
{
	for (unsigned i = 0; i < WAITERS; i++) {
		rcs[i] = 99;
		check(pthread_create(&th[i], NULL, caller, &rcs[i]) == 0);
	}
	check(wait_for(queue_full));
	check(wait_for(all_running));
}

/* --- tests --------------------------------------------------------------- */

static void
test_inline_without_pool(void)
{
	struct where w;

	memset(&w, 0, sizeof(w));
	check(kdfpool_run(where_job, &w) == 0);
	check(w.ran == 1);
	check(w.tid == tid());
	check(w.nice == 0);
	check(kdfpool_pending() == 0);
}

static void
test_pool_thread_is_niced(void)
{
	struct where w;

	memset(&w, 0, sizeof(w));
	check(kdfpool_run(where_job, &w) == 0);
	check(w.ran == 1);
	check(w.tid != tid());
	check(w.nice == KDFPOOL_NICE);
	check(strcmp(w.name, "corridor-kdf") == 0);
	/* the caller's priority is untouched */
	check(my_nice() == 0);
	check(kdfpool_pending() == 0);
}

static void
test_gate_refuses_past_the_queue(void)
{
	pthread_t th[WAITERS];
	int rcs[WAITERS];
	struct where w;

	reset();
	fill(th, rcs);
	/* running and queue are full: refused at once, the job never runs */
	memset(&w, 0, sizeof(w));
	check(kdfpool_run(where_job, &w) == -1);
	check(w.ran == 0);
	check(kdfpool_pending() == WAITERS);
	release();
	for (unsigned i = 0; i < WAITERS; i++) {
		pthread_join(th[i], NULL);
		check(rcs[i] == 0);
	}
	check(B.ran == WAITERS);
	check(B.max_running == MAX_CONCURRENT_ARGON2);
	check(kdfpool_pending() == 0);
	/* room again */
	memset(&w, 0, sizeof(w));
	check(kdfpool_run(where_job, &w) == 0 && w.ran == 1);
}

static void
test_stop_runs_queued_jobs(void)
{
	pthread_t th[WAITERS], st;
	struct timespec pause = { 0, 50000000 };	/* 50 ms */
	int rcs[WAITERS];
	struct where w;

	reset();
	fill(th, rcs);
	check(pthread_create(&st, NULL, stopper, NULL) == 0);
	/* let the stop begin while MAX_ARGON2_QUEUE jobs are still queued:
	 * their callers must not be abandoned (either order must pass) */
	nanosleep(&pause, NULL);
	release();
	pthread_join(st, NULL);
	for (unsigned i = 0; i < WAITERS; i++) {
		pthread_join(th[i], NULL);
		check(rcs[i] == 0);
	}
	check(B.ran == WAITERS);
	/* stopped: inline again, and a second stop is harmless */
	memset(&w, 0, sizeof(w));
	check(kdfpool_run(where_job, &w) == 0);
	check(w.tid == tid() && w.nice == 0);
	kdfpool_stop();
}

int
main(void)
{
	test_inline_without_pool();
	check(kdfpool_start() == 0);
	check(kdfpool_start() == -1);	/* runs already */
	test_pool_thread_is_niced();
	test_gate_refuses_past_the_queue();
	test_stop_runs_queued_jobs();
	/* and it starts again after a stop */
	check(kdfpool_start() == 0);
	test_pool_thread_is_niced();
	kdfpool_stop();
	return test_done("test_kdfpool");
}
