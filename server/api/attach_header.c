/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * attach_header: the attachment headers (attach_header.h): the media-type
 * allow-list, the X-Filename decoder and the Content-Disposition of a
 * download. Pure functions of their text: no request, no database.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/api/attach_header.h"
#include "server/core/strip.h"

/* The allow-list: what a caseworker is sent (scans, photos, letters,
 * notes), in the form stored and served back. */
static const struct attach_media media_types[] = {
	{ "image/jpeg", STRIP_JPEG },
	{ "image/png", STRIP_PNG },
	{ "application/pdf", STRIP_PASS },
	{ "text/plain", STRIP_PASS },
};

const struct attach_media *
attach_header_media_type(const char *ct)
{
	size_t n;

	if (ct == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(media_types) / sizeof(media_types[0]);
	    i++) {
		n = strlen(media_types[i].type);
		if (strncasecmp(ct, media_types[i].type, n) == 0 &&
		    (ct[n] == '\0' || ct[n] == ';'))
			return &media_types[i];
	}
	return NULL;
}

const struct attach_media *
attach_header_media_stored(const char *type)
{
	for (size_t i = 0; i < sizeof(media_types) / sizeof(media_types[0]);
	    i++)
		if (strcmp(type, media_types[i].type) == 0)
			return &media_types[i];
	return NULL;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF),
 * and no control characters. */
static int
utf8_text_ok(const unsigned char *s, size_t len)
{
	size_t i = 0;
	uint32_t cp;
	unsigned extra;

	while (i < len) {
		unsigned char b = s[i++];

		if (b < 0x80) {
			if (b < 0x20 || b == 0x7f)
				return 0;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			extra = 1;
			cp = b & 0x1f;
		} else if (b >= 0xe0 && b <= 0xef) {
			extra = 2;
			cp = b & 0x0f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			extra = 3;
			cp = b & 0x07;
		} else {
			return 0;
		}
		if (len - i < extra)
			return 0;
		for (unsigned k = 0; k < extra; k++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i++] & 0x3f);
		}
		if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 &&
		    cp <= 0xdfff))) || (extra == 3 && (cp < 0x10000 ||
		    cp > 0x10ffff)) || (cp >= 0x80 && cp <= 0x9f))
			return 0;
	}
	return 1;
}

int
attach_header_filename_decode(const char *h,
    char out[MAX_FILENAME_BYTES + 1])
{
	size_t n = 0;
	int hi, lo;

	if (h == NULL)
		return -1;
	while (*h != '\0') {
		unsigned char c = (unsigned char)*h;

		if (n == MAX_FILENAME_BYTES)
			return -1;
		if (c == '%') {
			if ((hi = hexval(h[1])) < 0 || (lo = hexval(h[2])) < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			h += 3;
		} else {
			if (c < 0x20 || c > 0x7e)
				return -1;
			h++;
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	if (n == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0 ||
	    memchr(out, '/', n) != NULL || memchr(out, '\\', n) != NULL ||
	    !utf8_text_ok((const unsigned char *)out, n))
		return -1;
	return 0;
}

/* An ASCII stand-in for old clients and the exact name as RFC 8187
 * filename*. */
int
attach_header_disposition(char *out, size_t out_max, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	char ascii[MAX_FILENAME_BYTES + 1], star[3 * MAX_FILENAME_BYTES + 1];
	size_t a = 0, s = 0;
	int n;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		unsigned char c = *p;
		int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';

		if (a < MAX_FILENAME_BYTES)
			ascii[a++] = plain || c == ' ' ? (char)c : '_';
		if (plain) {
			star[s++] = (char)c;
		} else {
			star[s++] = '%';
			star[s++] = hex[c >> 4];
			star[s++] = hex[c & 15];
		}
	}
	ascii[a] = '\0';
	star[s] = '\0';
	n = snprintf(out, out_max,
	    "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii, star);
	return n < 0 || (size_t)n >= out_max ? -1 : 0;
}
