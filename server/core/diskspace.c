/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * diskspace: the free space of the data directory's file system against
 * the reserve (see diskspace.h), cached for a second so that a flood of
 * requests costs one statvfs(2) a second.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "server/core/diskspace.h"

static struct {
	pthread_mutex_t	 mu;
	char		 dir[4096];
	int		 ready;
	uint64_t	 reserve;
	uint64_t	 free_bytes;
	int		 known;		/* free_bytes is a real reading */
	time_t		 read_at;	/* monotonic seconds */
} D = { PTHREAD_MUTEX_INITIALIZER, "", 0, 0, 0, 0, 0 };

static time_t
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Refresh the reading if it is a second old. Called with D.mu held. */
static void
refresh(void)
{
	struct statvfs st;
	time_t now = mono_s();

	if (!D.ready || (D.known && now == D.read_at))
		return;
	D.read_at = now;
	if (statvfs(D.dir, &st) != 0) {
		D.known = 0;
		return;
	}
	/* f_bavail: what a non-root writer may use, which is us */
	D.free_bytes = (uint64_t)st.f_bavail * (uint64_t)st.f_frsize;
	D.known = 1;
}

int
diskspace_init(const char *dir, uint64_t reserve_bytes)
{
	struct statvfs st;
	int n;

	if (statvfs(dir, &st) != 0)
		return -1;
	pthread_mutex_lock(&D.mu);
	n = snprintf(D.dir, sizeof(D.dir), "%s", dir);
	D.ready = n > 0 && (size_t)n < sizeof(D.dir);
	D.reserve = reserve_bytes;
	D.known = 0;
	refresh();
	pthread_mutex_unlock(&D.mu);
	return D.ready ? 0 : -1;
}

int
diskspace_low(void)
{
	int low;

	pthread_mutex_lock(&D.mu);
	refresh();
	low = D.known && D.free_bytes < D.reserve;
	pthread_mutex_unlock(&D.mu);
	return low;
}

void
diskspace_get(uint64_t *free_bytes, uint64_t *reserve_bytes)
{
	pthread_mutex_lock(&D.mu);
	refresh();
	*free_bytes = D.known ? D.free_bytes : 0;
	*reserve_bytes = D.reserve;
	pthread_mutex_unlock(&D.mu);
}
