/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * jsonout: JSON text written straight into one growing buffer, for the
 * answers with many rows (jsonout.h says why). The output is what
 * jansson's JSON_COMPACT dump gives for the same values: no spaces, the
 * same string escapes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "crypto/secmem.h"
#include "server/http/jsonout.h"
#include "server/limits.h"

/* The first buffer: with the headers, one page (as http.c's dump). The
 * buffers are secmem_buf_alloc's, like every response body: out of core
 * dumps, wiped on free, and reused without a system call. */
#define JSONOUT_FIRST_BYTES	3968

void
jsonout_init(struct jsonout *o)
{
	memset(o, 0, sizeof(*o));
}

void
jsonout_free(struct jsonout *o)
{
	secmem_buf_free(o->buf);	/* wipes */
	o->buf = NULL;
	o->len = o->cap = 0;
}

/* Make room for n more bytes. 0, or -1 with o->err set. */
static int
reserve(struct jsonout *o, size_t n)
{
	size_t cap;
	char *nb;

	if (o->err)
		return -1;
	if (n > MAX_RESPONSE_BYTES - o->len) {
		o->err = 1;
		return -1;
	}
	if (o->len + n <= o->cap)
		return 0;
	for (cap = o->cap ? o->cap : JSONOUT_FIRST_BYTES; cap < o->len + n;
	    cap *= 2)
		;
	if ((nb = secmem_buf_alloc(cap)) == NULL) {
		o->err = 1;
		return -1;
	}
	if (o->len > 0)
		memcpy(nb, o->buf, o->len);
	secmem_buf_free(o->buf);	/* wipes */
	o->buf = nb;
	o->cap = cap;
	return 0;
}

static void
put(struct jsonout *o, const char *p, size_t n)
{
	if (reserve(o, n) != 0)
		return;
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void
put_c(struct jsonout *o, char c)
{
	put(o, &c, 1);
}

/* Before a value: the comma after the previous one at this depth, unless
 * the value follows its key. */
static void
value_prefix(struct jsonout *o)
{
	if (o->after_key) {
		o->after_key = 0;
		return;
	}
	if (o->more[o->depth])
		put_c(o, ',');
	o->more[o->depth] = 1;
}

static void
open_(struct jsonout *o, char c)
{
	value_prefix(o);
	if (o->depth >= JSONOUT_MAX_DEPTH) {
		o->err = 1;
		return;
	}
	put_c(o, c);
	o->depth++;
	o->more[o->depth] = 0;
}

static void
close_(struct jsonout *o, char c)
{
	if (o->depth == 0 || o->after_key) {
		o->err = 1;
		return;
	}
	o->depth--;
	put_c(o, c);
}

void
jsonout_object_begin(struct jsonout *o)
{
	open_(o, '{');
}

void
jsonout_object_end(struct jsonout *o)
{
	close_(o, '}');
}

void
jsonout_array_begin(struct jsonout *o)
{
	open_(o, '[');
}

void
jsonout_array_end(struct jsonout *o)
{
	close_(o, ']');
}

/* The length of the UTF-8 sequence at s (at most n bytes), or 0 if it is
 * not one: the shortest form only, no surrogates, nothing past U+10FFFF
 * (what jansson's utf8_check_string accepts). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t k, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		k = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		k = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		k = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (k > n)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

/* s escaped as jansson's dump_string does without JSON_ENSURE_ASCII or
 * JSON_ESCAPE_SLASH. loose: a byte that is not UTF-8, or outside
 * printable ASCII, becomes '?' instead of failing. */
static void
put_string(struct jsonout *o, const unsigned char *s, size_t n, int loose)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0, run, k;
	char esc[6];

	value_prefix(o);
	put_c(o, '"');
	while (i < n && !o->err) {
		for (run = i; run < n; run += k) {
			if (s[run] < 0x20 || s[run] == '"' || s[run] == '\\')
				break;
			if (loose && s[run] >= 0x7f)
				break;
			if ((k = utf8_len(s + run, n - run)) == 0)
				break;
		}
		put(o, (const char *)s + i, run - i);
		if ((i = run) >= n)
			break;
		if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)s[i];
			put(o, esc, 2);
		} else if (s[i] < 0x20 && !loose) {
			esc[0] = '\\';
			switch (s[i]) {
			case '\b': esc[1] = 'b'; put(o, esc, 2); break;
			case '\f': esc[1] = 'f'; put(o, esc, 2); break;
			case '\n': esc[1] = 'n'; put(o, esc, 2); break;
			case '\r': esc[1] = 'r'; put(o, esc, 2); break;
			case '\t': esc[1] = 't'; put(o, esc, 2); break;
			default:
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[s[i] >> 4];
				esc[5] = hex[s[i] & 0xf];
				put(o, esc, 6);
			}
		} else if (loose) {
			put_c(o, '?');
		} else {
			o->err = 1;	/* not UTF-8 */
			break;
		}
		i++;
	}
	put_c(o, '"');
}

void
jsonout_key(struct jsonout *o, const char *key)
{
	if (o->after_key || o->depth == 0) {
		o->err = 1;
		return;
	}
	put_string(o, (const unsigned char *)key, strlen(key), 0);
	put_c(o, ':');
	o->after_key = 1;
}

void
jsonout_stringn(struct jsonout *o, const char *s, size_t s_len)
{
	put_string(o, (const unsigned char *)s, s_len, 0);
}

void
jsonout_string(struct jsonout *o, const char *s)
{
	if (s == NULL)
		jsonout_null(o);
	else
		jsonout_stringn(o, s, strlen(s));
}

void
jsonout_text(struct jsonout *o, const uint8_t *s, size_t s_len)
{
	size_t i, k;

	/* valid UTF-8 is kept whole, as json_stringn would keep it */
	for (i = 0; i < s_len; i += k)
		if ((k = utf8_len(s + i, s_len - i)) == 0)
			break;
	put_string(o, s, s_len, i < s_len);
}

void
jsonout_int(struct jsonout *o, int64_t v)
{
	char b[24];	/* "-9223372036854775808" + NUL */
	int n = snprintf(b, sizeof(b), "%" PRId64, v);

	value_prefix(o);
	if (n < 0 || (size_t)n >= sizeof(b)) {
		o->err = 1;
		return;
	}
	put(o, b, (size_t)n);
}

void
jsonout_bool(struct jsonout *o, int v)
{
	value_prefix(o);
	if (v)
		put(o, "true", 4);
	else
		put(o, "false", 5);
}

void
jsonout_null(struct jsonout *o)
{
	value_prefix(o);
	put(o, "null", 4);
}

int
jsonout_finish(struct jsonout *o, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	if (o->err || o->depth != 0 || o->after_key || o->len == 0) {
		jsonout_free(o);
		return -1;
	}
	*buf = o->buf;
	*len = o->len;
	o->buf = NULL;
	o->len = o->cap = 0;
	return 0;
}
