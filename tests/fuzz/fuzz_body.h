/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_body: what the fuzz_body_* targets share. An input is a request
 * body; it is parsed exactly as the dispatcher parses it (jsonin_parse,
 * then "must be an object") and handed to the resource's validators
 * (server/api/route_body.h). The helpers below state, independently of the
 * validators, what an accepted body must satisfy; any breach aborts.
 */
#ifndef CORRIDOR_FUZZ_BODY_H
#define CORRIDOR_FUZZ_BODY_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/http/jsonin.h"
#include "server/limits.h"
#include "server/api/route_body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The body as the dispatcher sees it, or NULL (rejected before any
 * validator runs). The caller json_decref's it. */
static inline json_t *
fuzz_body_object(const uint8_t *data, size_t size)
{
	json_t *v = NULL;

	if (size > MAX_BODY_BYTES)
		return NULL;
	if (jsonin_parse(data, size, &v) != JSONIN_OK) {
		if (v != NULL)
			abort();
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* Every member of obj is named in the NULL-terminated list. */
static inline void
fuzz_only(const json_t *obj, const char *const *allowed)
{
	const char *k;
	json_t *c;

	json_object_foreach((json_t *)(uintptr_t)obj, k, c) {
		const char *const *a = allowed;

		while (*a != NULL && strcmp(*a, k) != 0)
			a++;
		if (*a == NULL)
			abort();
	}
}

/* s is min..max bytes, no NUL (its strlen), and, unless ctl, no control
 * character: C0, DEL, or C1 (U+0080..U+009F, C2 80..C2 9F in UTF-8). */
static inline void
fuzz_text(const char *s, size_t min, size_t max, int ctl)
{
	size_t n;

	if (s == NULL)
		abort();
	n = strlen(s);
	if (n < min || n > max)
		abort();
	for (size_t i = 0; !ctl && i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
		    ((unsigned char)s[i] == 0xc2 && i + 1 < n &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f))
			abort();
}

/* s is the string member key of obj, byte for byte (the validator points
 * into the JSON, it never copies or alters). */
static inline void
fuzz_same(const json_t *obj, const char *key, const char *s)
{
	const char *v = json_string_value(json_object_get(obj, key));

	if (v == NULL || v != s)
		abort();
}

/* p (len bytes, NUL-terminated) is a serialized free-form object within
 * the caps, equal to member key of obj. */
static inline void
fuzz_freeform(const json_t *obj, const char *key, const char *p,
    size_t len, size_t max)
{
	json_error_t err;
	json_t *v;

	if (p == NULL || len == 0 || len > max || strlen(p) != len)
		abort();
	v = json_loadb(p, len, JSON_REJECT_DUPLICATES, &err);
	if (v == NULL || !json_is_object(v) ||
	    jsonin_check_limits(v, MAX_FREEFORM_DEPTH, MAX_JSON_ELEMENTS,
	    MAX_FREEFORM_STRING_BYTES) != JSONIN_OK ||
	    !json_equal(v, json_object_get(obj, key)))
		abort();
	json_decref(v);
}

/* One of the NULL-terminated names, by index. */
static inline void
fuzz_enum(const json_t *obj, const char *key, int ix,
    const char *const *names)
{
	const char *v = json_string_value(json_object_get(obj, key));
	int n = 0;

	while (names[n] != NULL)
		n++;
	if (v == NULL || ix < 0 || ix >= n || strcmp(v, names[ix]) != 0)
		abort();
}

#endif
