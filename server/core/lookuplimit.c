/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * lookuplimit: per-account token buckets (see lookuplimit.h). Lookups are
 * rare (a handful per caseworker a day), so the table is scanned whole
 * under one mutex. When it is full, the bucket that has refilled the most
 * makes room: a full bucket is exactly what a newcomer would get, so
 * evicting one loses nothing, and an account that is being throttled
 * keeps its empty bucket unless every slot is throttled at once.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "server/core/lookuplimit.h"
#include "server/limits.h"

struct lbucket {
	char	id[ID_CHARS + 1];	/* "" = free */
	double	tokens;
	double	at;			/* monotonic seconds of the last refill */
};

static struct {
	pthread_mutex_t	mu;
	struct lbucket	b[LOOKUP_LIMIT_SLOTS];
} T = { PTHREAD_MUTEX_INITIALIZER, {{{0}, 0, 0}} };

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
refilled(const struct lbucket *b, double now)
{
	double t = b->tokens + (now - b->at) / (double)LOOKUP_REFILL_S;

	return t > (double)LOOKUP_BURST ? (double)LOOKUP_BURST : t;
}

int
lookuplimit_take(const char *user_id, unsigned *retry_after_s)
{
	struct lbucket *b = NULL, *room = NULL;
	double now = mono_s(), best = -1.0;
	int rc = 0;

	pthread_mutex_lock(&T.mu);
	for (size_t i = 0; i < LOOKUP_LIMIT_SLOTS; i++) {
		struct lbucket *c = &T.b[i];
		double t;

		if (c->id[0] != '\0' && strcmp(c->id, user_id) == 0) {
			b = c;
			break;
		}
		t = c->id[0] == '\0' ? (double)LOOKUP_BURST + 1.0 :
		    refilled(c, now);
		if (t > best) {
			best = t;
			room = c;
		}
	}
	if (b == NULL) {
		b = room;
		memset(b->id, 0, sizeof(b->id));
		strncpy(b->id, user_id, ID_CHARS);
		b->tokens = (double)LOOKUP_BURST;
		b->at = now;
	}
	b->tokens = refilled(b, now);
	b->at = now;
	if (b->tokens >= 1.0)
		b->tokens -= 1.0;
	else {
		*retry_after_s = (unsigned)((1.0 - b->tokens) *
		    (double)LOOKUP_REFILL_S) + 1;
		rc = -1;
	}
	pthread_mutex_unlock(&T.mu);
	return rc;
}
