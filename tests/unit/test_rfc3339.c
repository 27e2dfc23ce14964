/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_rfc3339: the API's time format (server/http/rfc3339.c). Formatting
 * is written by hand since issue 17 (gmtime_r and strftime per row cost a
 * list page 200 calls); this checks it byte for byte against gmtime_r and
 * strftime: every day's first and last second of 1970..2399 (a whole
 * 400-year cycle of the calendar and more), random instants up to year
 * 9999, the edges, and the parse/format round trip.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "server/http/rfc3339.h"
#include "testutil.h"

/* What rfc3339_format wrote before issue 17. */
static void
ref_format(char out[RFC3339_BYTES], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(out, RFC3339_BYTES, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
one(int64_t t, unsigned frac)
{
	char got[RFC3339_BYTES], want[RFC3339_BYTES];
	char gotms[RFC3339_MS_BYTES], wantms[RFC3339_MS_BYTES];

	rfc3339_format(got, t);
	ref_format(want, t);
	if (strcmp(got, want) != 0) {
		fail("%lld: %s, want %s", (long long)t, got, want);
		return;
	}
	rfc3339_format_ms(gotms, (uint64_t)t * 1000u + frac);
	memcpy(wantms, want, 19);
	snprintf(wantms + 19, sizeof(wantms) - 19, ".%03uZ", frac);
	if (strcmp(gotms, wantms) != 0) {
		fail("%lld.%03u: %s, want %s", (long long)t, frac, gotms,
		    wantms);
		return;
	}
	test_passes++;
}

int
main(void)
{
	const int64_t end = INT64_C(253402300800);	/* year 10000 */
	char buf[RFC3339_BYTES];
	int64_t back;

	uint64_t x = (uint64_t)time(NULL) | 1;	/* xorshift64 state */

	/* every day's first and last second, 1970..2399 */
	for (int64_t t = 0; t < INT64_C(13569465600); t += 86400) {
		one(t, 0);
		one(t + 86399, 999);
	}
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		one((int64_t)(x % (uint64_t)end), (unsigned)(x >> 40) % 1000u);
	}
	one(end - 1, 999);
	one(1700000000, 7);
	one(951782400, 0);		/* 2000-02-29 */
	one(4107542400, 0);		/* 2100-03-01: no 2100-02-29 */
	/* outside the hand-written range it is strftime's, as before */
	rfc3339_format(buf, -1);
	check(strcmp(buf, "1969-12-31T23:59:59Z") == 0);
	/* what is formatted parses back */
	rfc3339_format(buf, 1764765432);
	check(rfc3339_parse(buf, &back) == 0 && back == 1764765432);
	return test_done("test_rfc3339");
}
