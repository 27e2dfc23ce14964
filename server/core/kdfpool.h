/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * kdfpool: the threads that run password key derivation (Argon2id) for
 * logins, password changes and new accounts, at the lowest CPU priority.
 *
 * A login costs about 65 ms of CPU; a storm of them on the dispatch
 * threads took most of the cores from audited case reads. So the Argon2
 * work runs on MAX_CONCURRENT_ARGON2 threads of its own, each of which
 * lowers its own priority once, at start, to KDFPOOL_NICE: reads win the
 * CPU and logins use what is left. A dispatch thread never lowers its own
 * priority, since it could not raise it again (no CAP_SYS_NICE, and
 * RLIMIT_NICE is 0); it hands the job over and sleeps until it is done.
 *
 * The pool is also the Argon2 gate (it replaces gate_enter/gate_leave): at
 * most MAX_CONCURRENT_ARGON2 jobs run (256 MiB each) and MAX_ARGON2_QUEUE
 * wait, and past that kdfpool_run refuses at once so the caller answers
 * 503. A waiting caller holds its dispatch thread, so running + waiting
 * stays well below HTTP_DISPATCH_THREADS (limits.h).
 */
#ifndef CORRIDOR_KDFPOOL_H
#define CORRIDOR_KDFPOOL_H

/*
 * The nice value of the pool threads: the lowest. Under full load a nice
 * 19 thread gets a weight of 15 against 1024 for each runnable nice 0
 * thread, about 1.5% of a core, so logins slow down but keep completing.
 * kdfpool.c says why this, not SCHED_IDLE.
 */
#define KDFPOOL_NICE	19

/*
 * Start the MAX_CONCURRENT_ARGON2 pool threads. Each lowers its own
 * priority to KDFPOOL_NICE; if it cannot, it logs one line to stderr (the
 * errno only) and serves at normal priority. Call before http_start.
 * 0, or -1 if a thread cannot start (none is left running) or the pool
 * runs already.
 */
int kdfpool_start(void) __attribute__((warn_unused_result));

/*
 * Stop the pool: the jobs already handed over run first, then the threads
 * exit and are joined. Call after http_stop, when no request can hand
 * over a job any more. Safe when the pool was never started.
 */
void kdfpool_stop(void);

/*
 * Run fn(arg) on a pool thread and return when it has returned; the caller
 * sleeps meanwhile. arg, and everything it points to, stays the caller's:
 * typically a struct on the caller's stack holding pointers to the
 * password and to output buffers. The pool copies nothing, so the caller
 * wipes secrets as it would after a direct call. fn must not block on
 * anything a request thread holds.
 * 0: fn ran. -1: MAX_CONCURRENT_ARGON2 jobs run and MAX_ARGON2_QUEUE wait
 * already; fn did not run (answer 503 "busy").
 * When the pool is not running (unit tests, the command line, after
 * kdfpool_stop), fn runs at once on the calling thread, at its priority,
 * and the result is 0.
 */
int kdfpool_run(void (*fn)(void *), void *arg)
    __attribute__((warn_unused_result));

/* Jobs handed over and not yet finished, running or waiting (for tests). */
unsigned kdfpool_pending(void);

#endif
