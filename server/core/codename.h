/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * codename: human-friendly names for cases and evacuations, such as
 * "amber-falcon-417", drawn from the CSPRNG and fixed word lists. A
 * codename says nothing about the person or the route: it is random, so
 * staff can speak of a case on a phone line without naming anyone.
 */
#ifndef CORRIDOR_CODENAME_H
#define CORRIDOR_CODENAME_H

#include <stddef.h>

/* Longest codename, without the NUL: two 12-byte words, a 3-digit number
 * and two dashes. Must fit CODENAME_MAX_BYTES (schema/store_case.h). */
#define CODENAME_LONGEST	(12u + 1u + 12u + 1u + 3u)

/* Write a fresh random codename into out (out_len >= CODENAME_LONGEST + 1).
 * 0, or -1 if out is too small. Uniqueness is the caller's job (the
 * codename columns are UNIQUE; draw again on a conflict). */
int codename_new(char *out, size_t out_len);

#endif
