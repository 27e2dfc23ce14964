/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * worker: stopping a module's background threads, and the monotonic
 * condition variable their timed sleeps wait on. See worker.h.
 */
#include <time.h>

#include "server/log/worker.h"

void
worker_stop(pthread_mutex_t *mu, pthread_cond_t *cv, int *stop,
    const pthread_t *threads, unsigned n)
{
	pthread_mutex_lock(mu);
	*stop = 1;
	pthread_cond_broadcast(cv);
	pthread_mutex_unlock(mu);
	for (unsigned i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
}

int
worker_cond_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	int rc;

	if (pthread_condattr_init(&ca) != 0)
		return -1;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
	return rc == 0 ? 0 : -1;
}
