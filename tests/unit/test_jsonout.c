/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_jsonout: the JSON text writer (server/http/jsonout.c) gives, byte
 * for byte, what jansson's JSON_COMPACT dump gives for the same values --
 * the list routes switched from one to the other (issue 17), and a client
 * must not see a difference. Also: commas in nested lists, the refusals
 * (not UTF-8, unbalanced, a key without value, too deep), and the lossy
 * text form route_audit uses for a stored reason.
 */
#include <string.h>

#include <jansson.h>

#include "crypto/secmem.h"
#include "server/http/jsonout.h"
#include "testutil.h"

/* o's text must equal jansson's compact dump of want (consumed). */
static void
same(struct jsonout *o, json_t *want, int line)
{
	char *buf = NULL, *w = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t len = 0;

	if (jsonout_finish(o, &buf, &len) != 0 || w == NULL ||
	    len != strlen(w) || memcmp(buf, w, len) != 0) {
		fail("line %d: got %.*s want %s", line, (int)len,
		    buf ? buf : "(null)", w ? w : "(null)");
	} else {
		test_passes++;
	}
	secmem_buf_free(buf);
	free(w);
	json_decref(want);
}

static void
test_strings(void)
{
	static const char *const s[] = { "", "plain", "q\"uote", "back\\slash",
	    "tab\tnl\ncr\rbs\bff\f", "\x01\x1f\x7f", "a/b", "Грозный",
	    "emoji \xf0\x9f\x8f\xb3\xef\xb8\x8f\xe2\x80\x8d\xf0\x9f\x8c\x88",
	    NULL };
	struct jsonout o;
	json_t *a = json_array();

	jsonout_init(&o);
	jsonout_array_begin(&o);
	for (int i = 0; s[i] != NULL; i++) {
		jsonout_string(&o, s[i]);
		json_array_append_new(a, json_string(s[i]));
	}
	jsonout_stringn(&o, "nul\0inside", 10);
	json_array_append_new(a, json_stringn("nul\0inside", 10));
	jsonout_array_end(&o);
	same(&o, a, __LINE__);
}

static void
test_nested(void)
{
	struct jsonout o;
	json_t *rows = json_array();

	jsonout_init(&o);
	jsonout_object_begin(&o);
	jsonout_key(&o, "cases");
	jsonout_array_begin(&o);
	for (int i = 0; i < 300; i++) {	/* past the first buffer */
		jsonout_object_begin(&o);
		jsonout_key(&o, "id");
		jsonout_string(&o, "AAAAAAAAAAAAAAAAAAAAAA");
		jsonout_key(&o, "n");
		jsonout_int(&o, i * -1000003LL);
		jsonout_key(&o, "ok");
		jsonout_bool(&o, i & 1);
		jsonout_key(&o, "none");
		jsonout_null(&o);
		jsonout_key(&o, "assignees");
		jsonout_array_begin(&o);
		for (int j = 0; j < i % 3; j++)
			jsonout_string(&o, "u");
		jsonout_array_end(&o);
		jsonout_key(&o, "empty");
		jsonout_object_begin(&o);
		jsonout_object_end(&o);
		jsonout_object_end(&o);
		json_t *as = json_array();
		for (int j = 0; j < i % 3; j++)
			json_array_append_new(as, json_string("u"));
		json_array_append_new(rows, json_pack("{s:s, s:I, s:b, s:n,"
		    " s:o, s:{}}", "id", "AAAAAAAAAAAAAAAAAAAAAA", "n",
		    (json_int_t)(i * -1000003LL), "ok", i & 1, "none",
		    "assignees", as, "empty"));
	}
	jsonout_array_end(&o);
	jsonout_key(&o, "next");
	jsonout_string(&o, NULL);
	jsonout_key(&o, "min");
	jsonout_int(&o, INT64_MIN);
	jsonout_object_end(&o);
	json_t *want = json_pack("{s:o, s:n, s:I}", "cases", rows, "next",
	    "min", (json_int_t)INT64_MIN);
	/* jansson keeps insertion order in its dump (2.14) */
	same(&o, want, __LINE__);
}

static void
test_text(void)
{
	struct jsonout o;
	char *buf;
	size_t len;
	const uint8_t bad[] = { 'a', 0xff, '"', 0x01, 0x7f, 'z' };

	/* valid UTF-8 is kept as a string would be */
	jsonout_init(&o);
	jsonout_text(&o, (const uint8_t *)"ok \xc3\xa9", 5);
	same(&o, json_string("ok \xc3\xa9"), __LINE__);
	/* not UTF-8: every byte outside printable ASCII becomes '?' */
	jsonout_init(&o);
	jsonout_text(&o, bad, sizeof(bad));
	check(jsonout_finish(&o, &buf, &len) == 0);
	if (buf == NULL || len != 9 || memcmp(buf, "\"a?\\\"??z\"", 9) != 0)
		fail("lossy text: %.*s", (int)len, buf ? buf : "");
	else
		test_passes++;
	secmem_buf_free(buf);
}

/* Each of these must fail, and leave nothing behind. */
static void
test_refusals(void)
{
	struct jsonout o;
	char x = 0, *buf = &x;
	size_t len = 1;

	jsonout_init(&o);	/* not UTF-8 */
	jsonout_string(&o, "a\xc3(");
	check(jsonout_finish(&o, &buf, &len) == -1 && buf == NULL && len == 0);
	jsonout_init(&o);	/* an overlong form */
	jsonout_string(&o, "\xc0\xaf");
	check(jsonout_finish(&o, &buf, &len) == -1);
	jsonout_init(&o);	/* a surrogate */
	jsonout_string(&o, "\xed\xa0\x80");
	check(jsonout_finish(&o, &buf, &len) == -1);
	jsonout_init(&o);	/* still open */
	jsonout_object_begin(&o);
	check(jsonout_finish(&o, &buf, &len) == -1);
	jsonout_init(&o);	/* a key with no value */
	jsonout_object_begin(&o);
	jsonout_key(&o, "k");
	jsonout_object_end(&o);
	check(jsonout_finish(&o, &buf, &len) == -1);
	jsonout_init(&o);	/* a key outside an object */
	jsonout_key(&o, "k");
	check(jsonout_finish(&o, &buf, &len) == -1);
	jsonout_init(&o);	/* closing what is not open */
	jsonout_array_end(&o);
	check(jsonout_finish(&o, &buf, &len) == -1);
	jsonout_init(&o);	/* too deep */
	for (int i = 0; i <= JSONOUT_MAX_DEPTH; i++)
		jsonout_array_begin(&o);
	for (int i = 0; i <= JSONOUT_MAX_DEPTH; i++)
		jsonout_array_end(&o);
	check(jsonout_finish(&o, &buf, &len) == -1);
	jsonout_init(&o);	/* nothing written */
	check(jsonout_finish(&o, &buf, &len) == -1);
}

int
main(void)
{
	test_strings();
	test_nested();
	test_text();
	test_refusals();
	return test_done("test_jsonout");
}
