/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * problem: RFC 9457 problem+json bodies. The detail is always one of our
 * own fixed sentences: never SQLite text, paths, secrets or echoed input.
 */
#ifndef CORRIDOR_PROBLEM_H
#define CORRIDOR_PROBLEM_H

#include <stddef.h>

#define PROBLEM_TYPE_PREFIX	"urn:corridor:problem:"

/* The standard reason phrase for status, e.g. "Not Found". */
const char *problem_title(int status);

/* Serialize a problem into a malloc'd NUL-terminated string (caller frees
 * with free). NULL on allocation failure. */
char *problem_body(int status, const char *type, const char *detail,
    size_t *len);

#endif
