/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * throttle: exponential backoff of login failures. After
 * THROTTLE_FREE_FAILURES failures for an account (THROTTLE_FREE_IP for an
 * address, which many users may share) each further failure doubles the
 * wait, up to THROTTLE_MAX_DELAY_S. The table is fixed-size; an entry in
 * backoff is never evicted to make room (see find()).
 */
#include <pthread.h>
#include <string.h>

#include "crypto/secmem.h"
#include "crypto/token.h"
#include "schema/store.h"
#include "server/limits.h"
#include "server/core/throttle.h"

/* An address is shared by every user behind one NAT or Tor exit, so it
 * gets more free failures than one account. */
#define THROTTLE_FREE_IP	(THROTTLE_FREE_FAILURES * 8u)

struct slot {
	uint8_t		h[16];
	unsigned	failures;
	int64_t		next_ok;	/* unix seconds */
	int64_t		touched;
};

static struct {
	pthread_mutex_t	 mu;
	struct slot	 slots[THROTTLE_TABLE_SLOTS];
	struct slot	 overflow;	/* shared when a window is full */
	uint8_t		*key;
} TH = { PTHREAD_MUTEX_INITIALIZER, {{{0}, 0, 0, 0}}, {{0}, 0, 0, 0}, NULL };

int
throttle_init(void)
{
	if ((TH.key = secmem_alloc(TOKEN_KEY_BYTES)) == NULL)
		return -1;
	token_key_new(TH.key);
	return 0;
}

void
throttle_shutdown(void)
{
	secmem_free(TH.key);
	TH.key = NULL;
}

/*
 * A loopback peer is the reverse proxy or Tor onion service in front of
 * us (non-loopback plain HTTP needs --insecure-http): every client shares
 * its address, so throttling it would let anyone lock everyone out.
 * Loopback peers are throttled per account only.
 */
static int
shared_peer(const char *ip)
{
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
	    strncmp(ip, "::ffff:127.", 11) == 0;
}

static void
hash_of(uint8_t out[16], char kind, const char *s)
{
	uint8_t full[TOKEN_HASH_BYTES], buf[1 + 1024];
	size_t n = strlen(s);

	if (n > sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	buf[0] = (uint8_t)kind;
	memcpy(buf + 1, s, n);
	token_hash(full, TH.key, buf, n + 1);
	memcpy(out, full, 16);
}

/* A slot in backoff, or whose failures are recent enough to matter. */
static int
protected_slot(const struct slot *s, int64_t now)
{
	return s->next_ok > now || (s->failures > THROTTLE_FREE_FAILURES &&
	    now - s->touched < THROTTLE_FORGET_S);
}

/*
 * Find or make the slot for h. Called with TH.mu held.
 *
 * Eviction (issue 18): the old rule evicted the stalest slot of the probe
 * window, so failures on random usernames pushed a throttled account out
 * of the table and reset its backoff. Now a newcomer may take an empty
 * slot, one forgotten (no failure for THROTTLE_FORGET_S), or else the one
 * with the fewest failures (stalest first) -- never a protected one
 * (protected_slot). If every slot of the window is protected, the
 * username shares TH.overflow with every other such username: it is
 * throttled with them rather than not at all, which would let an attacker
 * who fills the table guess a new account's password without backoff.
 * A lookup without create answers the overflow slot in the same case, so
 * check and fail agree.
 */
static struct slot *
find(const uint8_t h[16], int create, int64_t now)
{
	unsigned start = ((unsigned)h[0] << 8 | h[1]) % THROTTLE_TABLE_SLOTS;
	struct slot *victim = NULL;

	for (unsigned i = 0; i < THROTTLE_PROBE_SLOTS; i++) {
		struct slot *s = &TH.slots[(start + i) % THROTTLE_TABLE_SLOTS];

		if (memcmp(s->h, h, 16) == 0 && s->touched != 0)
			return s;
		if (s->touched != 0 && protected_slot(s, now))
			continue;
		if (s->touched == 0 || now - s->touched >= THROTTLE_FORGET_S) {
			if (victim == NULL || victim->touched != 0)
				victim = s;	/* empty or forgotten: best */
			continue;
		}
		if (victim == NULL || (victim->touched != 0 &&
		    now - victim->touched < THROTTLE_FORGET_S &&
		    (s->failures < victim->failures ||
		    (s->failures == victim->failures &&
		    s->touched < victim->touched))))
			victim = s;
	}
	if (victim == NULL)
		return &TH.overflow;
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->h, h, 16);
	return victim;
}

int
throttle_check(const char *username, const char *ip, unsigned *retry_after_s)
{
	uint8_t hu[16], hi[16];
	struct slot *s;
	int64_t now = store_now(), wait = 0;

	hash_of(hu, 'u', username);
	hash_of(hi, 'i', ip);
	pthread_mutex_lock(&TH.mu);
	if ((s = find(hu, 0, now)) != NULL && s->next_ok > now)
		wait = s->next_ok - now;
	if (!shared_peer(ip) && (s = find(hi, 0, now)) != NULL &&
	    s->next_ok > now &&
	    s->next_ok - now > wait)
		wait = s->next_ok - now;
	pthread_mutex_unlock(&TH.mu);
	if (wait > 0) {
		*retry_after_s = (unsigned)wait;
		return -1;
	}
	return 0;
}

static void
bump(struct slot *s, unsigned free_failures, int64_t now)
{
	unsigned over;
	int64_t delay;

	s->failures++;
	s->touched = now;
	if (s->failures <= free_failures)
		return;
	over = s->failures - free_failures;
	delay = over >= 10 ? THROTTLE_MAX_DELAY_S : (int64_t)1 << over;
	if (delay > THROTTLE_MAX_DELAY_S)
		delay = THROTTLE_MAX_DELAY_S;
	s->next_ok = now + delay;
}

void
throttle_fail(const char *username, const char *ip)
{
	uint8_t hu[16], hi[16];
	int64_t now = store_now();

	hash_of(hu, 'u', username);
	hash_of(hi, 'i', ip);
	pthread_mutex_lock(&TH.mu);
	bump(find(hu, 1, now), THROTTLE_FREE_FAILURES, now);
	if (!shared_peer(ip))
		bump(find(hi, 1, now), THROTTLE_FREE_IP, now);
	pthread_mutex_unlock(&TH.mu);
}

void
throttle_success(const char *username, const char *ip)
{
	uint8_t hu[16];
	struct slot *s;

	(void)ip;	/* a success does not vouch for the whole address */
	hash_of(hu, 'u', username);
	pthread_mutex_lock(&TH.mu);
	/* the shared overflow slot stays: it is other usernames' too */
	if ((s = find(hu, 0, store_now())) != NULL && s != &TH.overflow)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&TH.mu);
}
