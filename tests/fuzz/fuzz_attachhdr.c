/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_attachhdr: the attachment headers (server/api/attach_header.h)
 * that every upload and download runs. The input is one header value (up
 * to its first NUL, as a header cannot hold one), read as a Content-Type
 * and as an X-Filename. Invariants:
 *   - a Content-Type is accepted only as an allow-list entry followed by
 *     its end or ';', and the stored type finds the same entry again;
 *   - an accepted X-Filename decodes to a name, never a path: 1..255
 *     bytes of strict UTF-8 (checked here by a decoder of its own),
 *     without C0, DEL, C1, '/', '\' or NUL, not "." or "..";
 *   - the name round-trips: percent-encoded byte by byte, it decodes to
 *     itself;
 *   - its Content-Disposition fits the response's buffer, carries no
 *     byte that could end or split a header (CR, LF, NUL, any control),
 *     no '"' or '\' inside the quoted ASCII stand-in, and its filename*
 *     decodes back to the exact name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/api/attach_header.h"
#include "server/http/req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN_MAX	4096u

/* Strict UTF-8 and no control character, written apart from the server's
 * check (RFC 3629 table 3.7). 1 or 0. */
static int
utf8_name_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t k, len;
		unsigned char lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
			if (c == 0xe0)
				lo = 0xa0;
			if (c == 0xed)
				hi = 0x9f;	/* no surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
			if (c == 0xf0)
				lo = 0x90;
			if (c == 0xf4)
				hi = 0x8f;
		} else {
			return 0;
		}
		if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp >= 0x80 && cp <= 0x9f)
			return 0;	/* C1 controls */
		i += len;
	}
	return 1;
}

static int
hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
check_disposition(const char *name)
{
	char disp[REQ_DISPOSITION_BYTES], back[MAX_FILENAME_BYTES + 1];
	const char *q, *star;
	size_t n = 0;
	static const char pre[] = "attachment; filename=\"";

	if (attach_header_disposition(disp, sizeof(disp), name) != 0)
		abort();	/* every decoded name must fit */
	for (const unsigned char *p = (const unsigned char *)disp; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			abort();	/* nothing to split a header */
	if (strncmp(disp, pre, sizeof(pre) - 1) != 0)
		abort();
	q = strchr(disp + sizeof(pre) - 1, '"');
	if (q == NULL || memchr(disp + sizeof(pre) - 1, '\\',
	    (size_t)(q - disp) - (sizeof(pre) - 1)) != NULL)
		abort();
	if (strncmp(q, "\"; filename*=UTF-8''", 20) != 0)
		abort();
	for (star = q + 20; *star; ) {
		int hi, lo;

		if (n == MAX_FILENAME_BYTES)
			abort();
		if (*star == '%') {
			if ((hi = hexv(star[1])) < 0 || (lo = hexv(star[2])) < 0)
				abort();
			back[n++] = (char)(hi << 4 | lo);
			star += 3;
		} else {
			back[n++] = *star++;
		}
	}
	back[n] = '\0';
	if (strcmp(back, name) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	char in[IN_MAX + 1], name[MAX_FILENAME_BYTES + 1];
	char enc[3 * MAX_FILENAME_BYTES + 1], again[MAX_FILENAME_BYTES + 1];
	const struct attach_media *m;
	size_t n;

	if (size > IN_MAX)
		size = IN_MAX;
	memcpy(in, data, size);
	in[size] = '\0';	/* a header value ends at the first NUL */

	if ((m = attach_header_media_type(in)) != NULL) {
		size_t tl = strlen(m->type);

		if (strncasecmp(in, m->type, tl) != 0 ||
		    (in[tl] != '\0' && in[tl] != ';') ||
		    attach_header_media_stored(m->type) != m)
			abort();
	}
	if (attach_header_media_type(NULL) != NULL ||
	    attach_header_filename_decode(NULL, name) == 0)
		abort();

	if (attach_header_filename_decode(in, name) != 0)
		return 0;
	n = strlen(name);
	if (n == 0 || n > MAX_FILENAME_BYTES ||
	    strchr(name, '/') != NULL || strchr(name, '\\') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    !utf8_name_ok((const unsigned char *)name, n))
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		enc[3 * i] = '%';
		enc[3 * i + 1] = hex[c >> 4];
		enc[3 * i + 2] = hex[c & 15];
	}
	enc[3 * n] = '\0';
	if (attach_header_filename_decode(enc, again) != 0 ||
	    strcmp(again, name) != 0)
		abort();
	check_disposition(name);
	return 0;
}
