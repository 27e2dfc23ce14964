/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * lockout: runs of wrong second-factor codes, in a fixed table of
 * MAX_LOCKOUT_TRACKED places under one mutex (lockout.h). A full table
 * reuses the place least recently touched. Holds user ids and counts only.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "crypto/token.h"
#include "server/core/lockout.h"
#include "server/limits.h"

struct run {
	char		user_id[ID_CHARS + 1];	/* "" = free */
	uint16_t	fails;
	uint64_t	used;			/* LRU clock */
};

static struct {
	pthread_mutex_t	mu;
	struct run	runs[MAX_LOCKOUT_TRACKED];
	uint64_t	clock;
} L = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* user_id's place, or NULL. Called with L.mu held. */
static struct run *
find(const char *user_id)
{
	for (unsigned i = 0; i < MAX_LOCKOUT_TRACKED; i++)
		if (L.runs[i].user_id[0] != '\0' &&
		    strcmp(L.runs[i].user_id, user_id) == 0)
			return &L.runs[i];
	return NULL;
}

unsigned
lockout_fail(const char *user_id)
{
	struct run *r, *victim = &L.runs[0];
	unsigned n;

	if (user_id == NULL || strlen(user_id) > ID_CHARS)
		return 0;
	pthread_mutex_lock(&L.mu);
	if ((r = find(user_id)) == NULL) {
		/* a free place, or the least recently used */
		for (unsigned i = 0; i < MAX_LOCKOUT_TRACKED; i++) {
			if (L.runs[i].user_id[0] == '\0') {
				victim = &L.runs[i];
				break;
			}
			if (L.runs[i].used < victim->used)
				victim = &L.runs[i];
		}
		r = victim;
		memset(r, 0, sizeof(*r));
		memcpy(r->user_id, user_id, strlen(user_id) + 1);
	}
	if (r->fails < UINT16_MAX)
		r->fails++;
	r->used = ++L.clock;
	n = r->fails;
	pthread_mutex_unlock(&L.mu);
	return n;
}

void
lockout_clear(const char *user_id)
{
	struct run *r;

	if (user_id == NULL)
		return;
	pthread_mutex_lock(&L.mu);
	if ((r = find(user_id)) != NULL)
		memset(r, 0, sizeof(*r));
	pthread_mutex_unlock(&L.mu);
}
