/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_json: request body parsing and the strict getters every resource
 * uses. Whatever the input, parsing either fails cleanly or yields a value
 * within the caps of limits.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/http/jsonin.h"
#include "server/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allowed[] = { "username", "password", "role",
	    "risk", "notes", NULL };
	static const char *const roles[] = { "admin", "coordinator",
	    "caseworker", "auditor", NULL };
	const char *s = NULL;
	int64_t n = 0;
	int ix = 0, present = 0;
	json_t *v = NULL;

	if (size > MAX_BODY_BYTES)
		return 0;
	if (jsonin_parse(data, size, &v) != JSONIN_OK) {
		if (v != NULL)
			abort();
		return 0;
	}
	if (jsonin_check_limits(v, MAX_JSON_DEPTH, MAX_JSON_ELEMENTS,
	    MAX_JSON_STRING_BYTES) != JSONIN_OK)
		abort();
	(void)jsonin_only(v, allowed);
	if (jsonin_string(v, "username", 0, 1, 64, 0, &s, &present) ==
	    JSONIN_OK && present && (s == NULL || strlen(s) > 64))
		abort();
	(void)jsonin_int(v, "household_size", 0, 1, 64, &n, NULL);
	if (n < 0 || n > 64)
		abort();
	(void)jsonin_enum(v, "role", 0, roles, &ix, NULL);
	if (ix < 0 || ix > 3)
		abort();
	json_decref(v);
	return 0;
}
