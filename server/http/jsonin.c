/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* jsonin: bounded, strict parsing of request bodies. */
#include <stdlib.h>
#include <string.h>

#include "crypto/secmem.h"
#include "server/http/jsonin.h"
#include "server/limits.h"

#define MAX_KEY_BYTES	64u	/* longest member name we ever define */

int
jsonin_parse(const uint8_t *buf, size_t len, json_t **out)
{
	json_error_t err;
	json_t *v;
	int rc;

	*out = NULL;
	/* never JSON_DISABLE_EOF_CHECK or JSON_ALLOW_NUL on API input */
	v = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &err);
	if (v == NULL) {
		/* jansson reports nesting past its own 2048 as a parse error */
		return json_error_code(&err) == json_error_stack_overflow ?
		    JSONIN_ELIMIT : JSONIN_EMALFORMED;
	}
	rc = jsonin_check_limits(v, MAX_JSON_DEPTH, MAX_JSON_ELEMENTS,
	    MAX_JSON_STRING_BYTES);
	if (rc != JSONIN_OK) {
		json_decref(v);
		return rc;
	}
	*out = v;
	return JSONIN_OK;
}

static int
walk(const json_t *v, size_t depth, size_t max_depth, size_t *elements,
    size_t max_elements, size_t max_string)
{
	const char *k;
	json_t *c;
	size_t i;

	if (depth > max_depth)
		return JSONIN_ELIMIT;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach((json_t *)(uintptr_t)v, k, c) {
			if (++*elements > max_elements ||
			    strlen(k) > MAX_KEY_BYTES)
				return JSONIN_ELIMIT;
			if (walk(c, depth + 1, max_depth, elements,
			    max_elements, max_string) != JSONIN_OK)
				return JSONIN_ELIMIT;
		}
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, c) {
			if (++*elements > max_elements)
				return JSONIN_ELIMIT;
			if (walk(c, depth + 1, max_depth, elements,
			    max_elements, max_string) != JSONIN_OK)
				return JSONIN_ELIMIT;
		}
		break;
	case JSON_STRING:
		if (json_string_length(v) > max_string)
			return JSONIN_ELIMIT;
		break;
	default:
		break;
	}
	return JSONIN_OK;
}

int
jsonin_check_limits(const json_t *v, size_t max_depth, size_t max_elements,
    size_t max_string)
{
	size_t elements = 0;

	return walk(v, 1, max_depth, &elements, max_elements, max_string);
}

int
jsonin_only(const json_t *obj, const char *const *allowed)
{
	const char *k;
	json_t *c;

	if (!json_is_object(obj))
		return JSONIN_ESHAPE;
	json_object_foreach((json_t *)(uintptr_t)obj, k, c) {
		const char *const *a;

		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, k) == 0)
				break;
		if (*a == NULL)
			return JSONIN_ESHAPE;
	}
	return JSONIN_OK;
}

static int
member(const json_t *obj, const char *key, int required, json_t **out,
    int *present)
{
	*out = json_object_get(obj, key);
	if (present != NULL)
		*present = *out != NULL;
	if (*out == NULL)
		return required ? JSONIN_ESHAPE : 1;
	return JSONIN_OK;
}

/* s of n bytes, already valid UTF-8: min..max bytes, no embedded NUL,
 * and unless allow_ctl no control characters. */
static int
text_ok(const char *s, size_t n, size_t min, size_t max, int allow_ctl)
{
	if (n < min || n > max || strlen(s) != n)	/* no embedded NUL */
		return 0;
	if (!allow_ctl) {
		/* C0, DEL, and C1 (U+0080..U+009F: C2 80..C2 9F in UTF-8,
		 * which jansson has validated), as X-Access-Reason does */
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
			    ((unsigned char)s[i] == 0xc2 && i + 1 < n &&
			    (unsigned char)s[i + 1] < 0xa0))
				return 0;
	}
	return 1;
}

int
jsonin_string(const json_t *obj, const char *key, int required, size_t min,
    size_t max, int allow_ctl, const char **out, int *present)
{
	const char *s;
	json_t *v;
	size_t n;
	int rc;

	if ((rc = member(obj, key, required, &v, present)) != JSONIN_OK)
		return rc == 1 ? JSONIN_OK : rc;
	if (!json_is_string(v))
		return JSONIN_ESHAPE;
	s = json_string_value(v);
	n = json_string_length(v);
	if (!text_ok(s, n, min, max, allow_ctl))
		return JSONIN_ESHAPE;
	*out = s;
	return JSONIN_OK;
}

int
jsonin_text(const char *s, size_t n, size_t min, size_t max)
{
	json_t *v;
	int ok;

	if (n > max || (v = json_stringn(s, n)) == NULL)	/* UTF-8 */
		return 0;
	ok = text_ok(s, n, min, max, 0);
	json_decref(v);
	return ok;
}

int
jsonin_int(const json_t *obj, const char *key, int required, int64_t min,
    int64_t max, int64_t *out, int *present)
{
	json_int_t n;
	json_t *v;
	int rc;

	if ((rc = member(obj, key, required, &v, present)) != JSONIN_OK)
		return rc == 1 ? JSONIN_OK : rc;
	if (!json_is_integer(v))	/* 1.0, "1", true are not integers */
		return JSONIN_ESHAPE;
	n = json_integer_value(v);
	if (n < min || n > max)
		return JSONIN_ESHAPE;
	*out = n;
	return JSONIN_OK;
}

int
jsonin_enum(const json_t *obj, const char *key, int required,
    const char *const *values, int *out, int *present)
{
	const char *s = NULL;
	int rc, p = 0;

	rc = jsonin_string(obj, key, required, 1, 64, 0, &s, &p);
	if (present != NULL)
		*present = p;
	if (rc != JSONIN_OK || !p)
		return rc;
	for (int i = 0; values[i] != NULL; i++) {
		if (strcmp(values[i], s) == 0) {
			*out = i;
			return JSONIN_OK;
		}
	}
	return JSONIN_ESHAPE;
}

int
jsonin_freeform(const json_t *obj, const char *key, int required,
    size_t max_bytes, char **out, size_t *out_len, int *present)
{
	json_t *v;
	size_t n;
	int rc;

	*out = NULL;
	*out_len = 0;
	if ((rc = member(obj, key, required, &v, present)) != JSONIN_OK)
		return rc == 1 ? JSONIN_OK : rc;
	if (!json_is_object(v) ||
	    jsonin_check_limits(v, MAX_FREEFORM_DEPTH, MAX_JSON_ELEMENTS,
	    MAX_FREEFORM_STRING_BYTES) != JSONIN_OK)
		return JSONIN_ESHAPE;
	n = json_dumpb(v, NULL, 0, JSON_COMPACT);
	if (n == 0 || n > max_bytes)
		return JSONIN_ELIMIT;
	if ((*out = malloc(n + 1)) == NULL)
		return JSONIN_ELIMIT;
	if (json_dumpb(v, *out, n, JSON_COMPACT) != n) {
		jsonin_wipe_free(*out, n);
		*out = NULL;
		return JSONIN_ELIMIT;
	}
	(*out)[n] = '\0';
	*out_len = n;
	return JSONIN_OK;
}

void
jsonin_wipe_free(char *p, size_t len)
{
	if (p == NULL)
		return;
	secmem_wipe(p, len + 1);	/* and its NUL */
	free(p);
}

int
jsonin_id_body(const json_t *obj, const char *key, const char **out)
{
	const char *const allowed[] = { key, NULL };
	int rc;

	*out = NULL;
	if ((rc = jsonin_only(obj, allowed)) != JSONIN_OK ||
	    (rc = jsonin_string(obj, key, 1, ID_CHARS, ID_CHARS, 0, out,
	    NULL)) != JSONIN_OK)
		goto bad;
	if (!jsonin_is_id(*out)) {
		rc = JSONIN_ESHAPE;
		goto bad;
	}
	return JSONIN_OK;
bad:
	*out = NULL;
	return rc;
}

int
jsonin_is_id(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i >= ID_CHARS)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return i == ID_CHARS;
}
