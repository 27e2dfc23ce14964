/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * worker: what every background thread of corridor shares. Each one (the
 * WAL checkpointer, the audit committer and checkpointer, the request
 * reaper, the retention sweeper, the dispatch and key derivation pools)
 * sleeps on a condition variable under its module's mutex and returns
 * once the module's stop flag is set; stopping one is always the same
 * four steps, and a timed sleep must not jump with the wall clock.
 * Bottom layer: pthreads only.
 */
#ifndef CORRIDOR_WORKER_H
#define CORRIDOR_WORKER_H

#include <pthread.h>

/*
 * Set *stop under mu, wake every thread waiting on cv, then join the n
 * threads (n 0: only the flag is set). Each thread reads *stop under mu
 * and returns once it is set, after finishing what it has promised.
 */
void worker_stop(pthread_mutex_t *mu, pthread_cond_t *cv, int *stop,
    const pthread_t *threads, unsigned n);

/*
 * Initialise cv (never initialised, or destroyed) on CLOCK_MONOTONIC, for
 * timed waits with a CLOCK_MONOTONIC deadline. 0 or -1.
 */
int worker_cond_monotonic(pthread_cond_t *cv)
    __attribute__((warn_unused_result));

#endif
