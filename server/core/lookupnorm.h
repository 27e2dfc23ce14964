/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * lookupnorm: the normal forms behind the case lookup's blind indexes
 * (crypto/blind.h). Two spellings of the same phone number or name must
 * give the same bytes, or the lookup misses a person who wrote twice.
 *
 * Phone: the digits in E.164 form, "+" and 8 to 15 digits. A leading
 * "00" is an international prefix; a number without one is read as
 * Russian (the model user's network): 8XXXXXXXXXX or 7XXXXXXXXXX (11
 * digits) and 9XXXXXXXXX (10 digits, a mobile without its prefix) become
 * +7XXXXXXXXXX. Spaces, dashes, dots and brackets are ignored; anything
 * else (letters, a second "+") makes the number malformed.
 *
 * Name: case-folded, Cyrillic transliterated to Latin, punctuation
 * dropped, words sorted (so "Dudaev Akhmed" meets "Akhmed Dudaev"), then
 * folded so that the usual spellings meet: kh -> h, y -> i, doubled
 * letters single. Word-initial е and any ё give a second variant (ye,
 * yo) so that "Евгений" meets both "Evgeny" and "Yevgeny". The tables
 * and the variants are listed in docs/cases.md.
 */
#ifndef CORRIDOR_LOOKUPNORM_H
#define CORRIDOR_LOOKUPNORM_H

#include <stddef.h>

#include "server/limits.h"

#define LOOKUPNORM_PHONE_BYTES	17u	/* "+" 15 digits NUL */
#define LOOKUPNORM_VARIANTS	2u	/* name variants (е/ye, ё/yo) */

/*
 * Normalise the phone number in[0..in_len) into out (NUL-terminated).
 * 0, or -1 if it is not a phone number this can place.
 */
int lookupnorm_phone(const char *in, size_t in_len,
    char out[LOOKUPNORM_PHONE_BYTES]) __attribute__((warn_unused_result));

/*
 * The folded variants of the name in[0..in_len) (UTF-8, at most
 * MAX_LOOKUP_NAME_BYTES) into out[i], NUL-terminated; *n the distinct
 * variants (1 or 2). 0, or -1
 * for invalid UTF-8, a control character, a result that does not fit,
 * or nothing left after normalising.
 */
int lookupnorm_name(const char *in, size_t in_len,
    char out[LOOKUPNORM_VARIANTS][LOOKUP_NAME_OUT_BYTES], size_t *n)
    __attribute__((warn_unused_result));

#endif
