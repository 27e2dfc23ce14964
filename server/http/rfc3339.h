/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * rfc3339: RFC 3339 date-times in and out, for request bodies, responses
 * and the command line alike.
 */
#ifndef CORRIDOR_RFC3339_H
#define CORRIDOR_RFC3339_H

#include <stdint.h>

#define RFC3339_BYTES		21u	/* "1970-01-01T00:00:00Z" + NUL */
#define RFC3339_MS_BYTES	25u	/* with ".123" before the Z */

/* RFC 3339 UTC for a Unix time (seconds), into out. */
void rfc3339_format(char out[RFC3339_BYTES], int64_t t);

/* RFC 3339 UTC with milliseconds, "2024-06-10T06:13:20.123Z". */
void rfc3339_format_ms(char out[RFC3339_MS_BYTES], uint64_t ms);

/*
 * Parse an RFC 3339 date-time, YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|
 * -HH:MM), years 1970..9999, no leap second, into Unix seconds (the
 * fraction is dropped). 0, or -1 for anything else.
 */
int rfc3339_parse(const char *s, int64_t *out)
    __attribute__((warn_unused_result));

#endif
