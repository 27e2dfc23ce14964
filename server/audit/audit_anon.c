/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_anon: the in-memory counts of anonymous failures and their
 * hand-over as anonymous.summary extras (see audit_anon.h). One small
 * table under one mutex: counting is a short linear scan, since a few
 * kinds dominate any flood.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "server/audit/audit.h"
#include "server/audit/audit_anon.h"

/* Status 0 rows that can exist: every action, denied or error. */
#define ANON_OTHER_ROWS	(AUDIT_ACTION_MAX * 2u)

static struct {
	pthread_mutex_t		 mu;
	uint64_t		 from_ms;	/* first count since the last take */
	unsigned		 n;
	struct audit_summary_kind k[AUDIT_ANON_TABLE];
} T = { PTHREAD_MUTEX_INITIALIZER, 0, 0, {{0, 0, 0, 0}} };

/* Add count to a kind. Called with T.mu held. */
static void
add(unsigned action, unsigned outcome, unsigned status, uint32_t count,
    uint64_t now_ms)
{
	unsigned i;

	if (T.n == 0)
		T.from_ms = now_ms;
	for (i = 0; i < T.n; i++)
		if (T.k[i].action == action && T.k[i].outcome == outcome &&
		    T.k[i].status == status)
			break;
	if (i == T.n) {
		/* the last ANON_OTHER_ROWS slots are for status 0 rows (one
		 * per action and outcome), so a full table still counts */
		if (status != 0 && T.n >= AUDIT_ANON_TABLE - ANON_OTHER_ROWS) {
			add(action, outcome, 0, count, now_ms);
			return;
		}
		if (T.n == AUDIT_ANON_TABLE)
			return;	/* invariant: cannot happen (see above) */
		T.k[i].action = (uint16_t)action;
		T.k[i].outcome = (uint8_t)outcome;
		T.k[i].status = (uint16_t)status;
		T.k[i].count = 0;
		T.n++;
	}
	/* saturate rather than wrap: 4 billion in a minute is a flood the
	 * count alone describes */
	T.k[i].count = count > UINT32_MAX - T.k[i].count ? UINT32_MAX :
	    T.k[i].count + count;
}

void
audit_anon_count(int action, int outcome, int status)
{
	if (action <= 0 || action > (int)AUDIT_ACTION_MAX ||
	    action == AUDIT_ANON_SUMMARY ||
	    (outcome != AUDIT_DENIED && outcome != AUDIT_ERROR))
		return;	/* invariant: the router passes only these */
	if (status < 400 || status > 599)
		status = 0;
	pthread_mutex_lock(&T.mu);
	add((unsigned)action, (unsigned)outcome, (unsigned)status, 1,
	    audit_now_ms());
	pthread_mutex_unlock(&T.mu);
}

static int
kind_cmp(const void *a, const void *b)
{
	const struct audit_summary_kind *x = a, *y = b;

	if (x->action != y->action)
		return x->action < y->action ? -1 : 1;
	if (x->outcome != y->outcome)
		return x->outcome < y->outcome ? -1 : 1;
	if (x->status != y->status)
		return x->status < y->status ? -1 : 1;
	return 0;
}

int
audit_anon_take(uint8_t out[AUDIT_SUMMARY_EXTRA_MAX], size_t *out_len,
    uint64_t now_ms, int force)
{
	struct audit_summary s;
	int rc = 0;

	pthread_mutex_lock(&T.mu);
	if (T.n == 0 || (!force &&
	    now_ms - T.from_ms < (uint64_t)AUDIT_ANON_INTERVAL_S * 1000u))
		goto out;
	qsort(T.k, T.n, sizeof(T.k[0]), kind_cmp);
	memset(&s, 0, sizeof(s));
	s.from_ms = T.from_ms < now_ms ? T.from_ms : now_ms;
	s.to_ms = now_ms;
	s.n = T.n < AUDIT_SUMMARY_KINDS_MAX ? T.n : AUDIT_SUMMARY_KINDS_MAX;
	memcpy(s.k, T.k, s.n * sizeof(s.k[0]));
	if (audit_entry_summary_extra(out, out_len, &s) != 0)
		goto out;	/* invariant: counts are kept valid */
	memmove(T.k, T.k + s.n, (T.n - s.n) * sizeof(T.k[0]));
	T.n -= s.n;
	rc = 1;
out:
	pthread_mutex_unlock(&T.mu);
	return rc;
}

void
audit_anon_put_back(const uint8_t *extra, size_t extra_len)
{
	struct audit_summary s;

	if (audit_entry_summary_parse(extra, extra_len, &s) != 0)
		return;
	pthread_mutex_lock(&T.mu);
	for (unsigned i = 0; i < s.n; i++)
		add(s.k[i].action, s.k[i].outcome, s.k[i].status,
		    s.k[i].count, s.from_ms);
	if (s.from_ms < T.from_ms)
		T.from_ms = s.from_ms;
	pthread_mutex_unlock(&T.mu);
}

unsigned
audit_anon_pending(void)
{
	unsigned n;

	pthread_mutex_lock(&T.mu);
	n = T.n;
	pthread_mutex_unlock(&T.mu);
	return n;
}
