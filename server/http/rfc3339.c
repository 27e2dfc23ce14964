/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * rfc3339: the one time format of the API and the command line. Parsing
 * is strict (RFC 3339 section 5.6, years 1970..9999, no leap second) and
 * never consults the locale or the time zone database; formatting is
 * always UTC with a "Z".
 */
#include <stdint.h>
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

/* The date of day z since 1970-01-01 (H. Hinnant's civil_from_days, the
 * inverse of days_from_civil). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static void
put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DDTHH:MM:SS" (19 bytes, no NUL) for 0 <= t < RFC3339_END_S.
 * Written by hand: gmtime_r takes glibc's time zone lock and strftime
 * parses its format, per call; a page of 100 cases made 200 calls
 * (issue 17). test_rfc3339 checks it against gmtime_r and strftime. */
#define RFC3339_END_S	INT64_C(253402300800)	/* 10000-01-01T00:00:00Z */

static void
format_s(char *out, int64_t t)
{
	int64_t y, sod = t % 86400;
	unsigned m, d;

	civil_from_days(t / 86400, &y, &m, &d);
	put2(out, (unsigned)(y / 100));
	put2(out + 2, (unsigned)(y % 100));
	out[4] = '-';
	put2(out + 5, m);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = 'T';
	put2(out + 11, (unsigned)(sod / 3600));
	out[13] = ':';
	put2(out + 14, (unsigned)(sod / 60 % 60));
	out[16] = ':';
	put2(out + 17, (unsigned)(sod % 60));
}

void
rfc3339_format(char out[RFC3339_BYTES], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t >= 0 && t < RFC3339_END_S) {
		format_s(out, t);
		out[19] = 'Z';
		out[20] = '\0';
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(out, RFC3339_BYTES, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
rfc3339_format_ms(char out[RFC3339_MS_BYTES], uint64_t ms)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000u);

	if (ms / 1000u < (uint64_t)RFC3339_END_S) {
		unsigned frac = (unsigned)(ms % 1000u);

		format_s(out, (int64_t)(ms / 1000u));
		out[19] = '.';
		out[20] = (char)('0' + frac / 100);
		put2(out + 21, frac % 100);
		out[23] = 'Z';
		out[24] = '\0';
		return;
	}
	gmtime_r(&t, &tm);
	if (strftime(out, RFC3339_MS_BYTES, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(out, RFC3339_MS_BYTES, "1970-01-01T00:00:00");
	snprintf(out + strlen(out), RFC3339_MS_BYTES - strlen(out), ".%03uZ",
	    (unsigned)(ms % 1000u));
}
