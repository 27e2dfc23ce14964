/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * anonlimit: token buckets for unauthenticated requests, one per source
 * (see anonlimit.h). A fixed table, open addressing over a short probe
 * window; a full window gives its least recently used bucket to the
 * newcomer, which starts full: an attacker with many addresses gets many
 * bursts either way, and the disk is protected by the audit summaries
 * (server/audit/audit_anon.h), not by this table.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "server/core/anonlimit.h"
#include "server/limits.h"

#define SOURCE_BYTES	16u	/* an IPv6 address, or a v4-mapped one */

struct bucket {
	uint8_t		src[SOURCE_BYTES];
	int		used;
	double		tokens;
	double		last;	/* monotonic seconds of the last refill */
};

static struct {
	pthread_mutex_t	 mu;
	struct bucket	 b[ANON_LIMIT_SLOTS];
} L = { PTHREAD_MUTEX_INITIALIZER, {{{0}, 0, 0, 0}} };

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The source key of ip: IPv4 as v4-mapped IPv6, IPv6 cut to its /64. An
 * unparseable address ("?") gets a key of its own, all 0xff. */
static void
source_of(const char *ip, uint8_t out[SOURCE_BYTES])
{
	struct in_addr a4;

	memset(out, 0, SOURCE_BYTES);
	if (inet_pton(AF_INET, ip, &a4) == 1) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
	} else if (inet_pton(AF_INET6, ip, out) == 1) {
		if (!(memcmp(out, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0))
			memset(out + 8, 0, 8);
	} else
		memset(out, 0xff, SOURCE_BYTES);
}

static unsigned
slot_of(const uint8_t src[SOURCE_BYTES])
{
	uint32_t h = 2166136261u;	/* FNV-1a: spread, not secrecy */

	for (unsigned i = 0; i < SOURCE_BYTES; i++)
		h = (h ^ src[i]) * 16777619u;
	return h % ANON_LIMIT_SLOTS;
}

int
anonlimit_take(const char *ip, unsigned *retry_after_s)
{
	uint8_t src[SOURCE_BYTES];
	struct bucket *b = NULL, *lru = NULL;
	unsigned start;
	double now = now_s(), wait;
	int rc = 0;

	source_of(ip, src);
	start = slot_of(src);
	pthread_mutex_lock(&L.mu);
	for (unsigned i = 0; i < ANON_LIMIT_PROBE; i++) {
		struct bucket *c = &L.b[(start + i) % ANON_LIMIT_SLOTS];

		if (c->used && memcmp(c->src, src, SOURCE_BYTES) == 0) {
			b = c;
			break;
		}
		if (lru == NULL || !c->used || (lru->used && c->last < lru->last))
			lru = c;
	}
	if (b == NULL) {
		b = lru;
		memcpy(b->src, src, SOURCE_BYTES);
		b->used = 1;
		b->tokens = (double)ANON_BURST;
		b->last = now;
	}
	b->tokens += (now - b->last) * (double)ANON_RATE_PER_S;
	if (b->tokens > (double)ANON_BURST)
		b->tokens = (double)ANON_BURST;
	b->last = now;
	if (b->tokens >= 1.0)
		b->tokens -= 1.0;
	else {
		wait = (1.0 - b->tokens) / (double)ANON_RATE_PER_S;
		*retry_after_s = (unsigned)wait + 1;
		rc = -1;
	}
	pthread_mutex_unlock(&L.mu);
	return rc;
}
