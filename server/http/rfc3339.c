/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * rfc3339: the one time format of the API and the command line. Parsing
 * is strict (RFC 3339 section 5.6, years 1970..9999, no leap second) and
 * never consults the locale or the time zone database; formatting is
 * always UTC with a "Z".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/http/rfc3339.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
rfc3339_parse(const char *s, int64_t *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, leap;
	const char *p;
	size_t n = strlen(s);

	if (n < 20 || n > 40 ||
	    digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return -1;
	p = s + 19;
	if (*p == '.') {
		const char *f = ++p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == f || p - f > 9)
			return -1;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' ||
		    digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0' || y < 1970 || mo < 1 || mo > 12 || h > 23 ||
	    mi > 59 || sec > 59)
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d < 1 || d > mdays[mo - 1] + (mo == 2 && leap))
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    (int64_t)sign * (oh * 3600 + om * 60);
	return *out < 0 ? -1 : 0;
}

void
rfc3339_format(char out[RFC3339_BYTES], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(out, RFC3339_BYTES, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
rfc3339_format_ms(char out[RFC3339_MS_BYTES], uint64_t ms)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000u);

	gmtime_r(&t, &tm);
	if (strftime(out, RFC3339_MS_BYTES, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(out, RFC3339_MS_BYTES, "1970-01-01T00:00:00");
	snprintf(out + strlen(out), RFC3339_MS_BYTES - strlen(out), ".%03uZ",
	    (unsigned)(ms % 1000u));
}
