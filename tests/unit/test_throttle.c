/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_throttle: the login backoff table (server/core/throttle.c). An
 * account in backoff stays in backoff however many failures on other
 * usernames arrive: issue 18 found that the table's eviction let failures
 * on random usernames push a throttled account out of the table, which
 * reset its backoff. Failures come from a loopback address, where only the
 * per-account throttle applies (as behind a proxy or an onion service).
 */
#include <stdio.h>
#include <string.h>

#include "crypto/secmem.h"
#include "server/core/throttle.h"
#include "server/limits.h"
#include "testutil.h"

#define PROXY_IP	"127.0.0.1"

static int
throttled(const char *user, const char *ip)
{
	unsigned retry = 0;

	return throttle_check(user, ip, &retry) != 0 && retry > 0;
}

int
main(void)
{
	char name[32];
	unsigned i;

	if (secmem_init() != 0 || throttle_init() != 0) {
		fprintf(stderr, "init failed\n");
		return 1;
	}
	/* the free failures, then backoff */
	for (i = 0; i < THROTTLE_FREE_FAILURES; i++)
		throttle_fail("victim", PROXY_IP);
	check(!throttled("victim", PROXY_IP));
	for (i = 0; i < 10; i++)
		throttle_fail("victim", PROXY_IP);
	check(throttled("victim", PROXY_IP));
	check(!throttled("bystander", PROXY_IP));

	/* failures on many random usernames, five times the table, each
	 * past its free failures so that they compete for slots too */
	for (i = 0; i < 5 * THROTTLE_TABLE_SLOTS; i++) {
		snprintf(name, sizeof(name), "random-%u", i);
		throttle_fail(name, PROXY_IP);
		if (i % 4 == 0) {
			throttle_fail(name, PROXY_IP);
			throttle_fail(name, PROXY_IP);
		}
	}
	/* the bug: the victim's slot was evicted and its backoff gone */
	check(throttled("victim", PROXY_IP));

	/* a success clears it */
	throttle_success("victim", PROXY_IP);
	check(!throttled("victim", PROXY_IP));

	/* a fresh account that fails while the table is full of other
	 * usernames' failures is throttled too */
	for (i = 0; i < THROTTLE_FREE_FAILURES; i++)
		throttle_fail("newcomer", PROXY_IP);
	for (i = 0; i < 10; i++)
		throttle_fail("newcomer", PROXY_IP);
	check(throttled("newcomer", PROXY_IP));
	throttle_shutdown();
	return test_done("test_throttle");
}
