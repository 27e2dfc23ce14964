/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * lookupnorm: phone numbers to E.164, names to folded Latin variants (see
 * lookupnorm.h). Works on bytes and code points only: no locale, so the
 * server's environment cannot change what two spellings hash to.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/secmem.h"
#include "server/core/lookupnorm.h"

/* --- phone ------------------------------------------------------------------ */

int
lookupnorm_phone(const char *in, size_t in_len,
    char out[LOOKUPNORM_PHONE_BYTES])
{
	char d[LOOKUPNORM_PHONE_BYTES];
	size_t nd = 0, i = 0, digits_at;
	int plus = 0;

	out[0] = '\0';
	if (in_len > MAX_LOOKUP_PHONE_BYTES)
		return -1;
	while (i < in_len && in[i] == ' ')
		i++;
	if (i < in_len && in[i] == '+') {
		plus = 1;
		i++;
	}
	for (; i < in_len; i++) {
		char c = in[i];

		if (c >= '0' && c <= '9') {
			if (nd + 1 >= sizeof(d))	/* more than 16 */
				return -1;
			d[nd++] = c;
		} else if (c != ' ' && c != '-' && c != '.' && c != '(' &&
		    c != ')')
			return -1;
	}
	d[nd] = '\0';
	digits_at = 0;
	if (!plus) {
		if (nd > 2 && d[0] == '0' && d[1] == '0')
			digits_at = 2;		/* 00: international */
		else if (nd == 11 && (d[0] == '8' || d[0] == '7')) {
			d[0] = '7';		/* Russian trunk prefix */
		} else if (nd == 10 && d[0] == '9') {
			memmove(d + 1, d, nd + 1);	/* Russian mobile */
			d[0] = '7';
			nd++;
		} else
			return -1;		/* no country: cannot place */
	}
	nd -= digits_at;
	/* E.164: at most 15 digits; 8 is the shortest number with a
	 * country code that a person uses (a few small countries) */
	if (nd < 8 || nd > 15 || d[digits_at] == '0')
		return -1;
	out[0] = '+';
	memcpy(out + 1, d + digits_at, nd);
	out[nd + 1] = '\0';
	return 0;
}

/* --- name ------------------------------------------------------------------- */

/* Decode one UTF-8 code point at s[*i], strictly (no overlong forms, no
 * surrogates). Returns it, or -1. */
static int32_t
utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	uint32_t c = s[*i], cp;
	size_t n;

	if (c < 0x80) {
		(*i)++;
		return (int32_t)c;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 1;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		cp = c & 0x07;
	} else
		return -1;
	for (size_t k = 1; k <= n; k++) {
		if (*i + k >= len || (s[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[*i + k] & 0x3f);
	}
	if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
	    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += n + 1;
	return (int32_t)cp;
}

/*
 * Russian Cyrillic, lower case а..я (U+0430..U+044F), to Latin (BGN/PCGN
 * for Russian, which ICAO 9303 meets after folding: й ы -> y -> i,
 * ю я -> yu ya -> iu ia).
 */
static const char *const cyr[32] = {
	"a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m",
	"n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh",
	"shch", "", "y", "", "e", "yu", "ya",
};

#define SEP	' '

struct nbuf {
	char	*p;
	size_t	 len, cap;
	int	 bad;
};

static void
put(struct nbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n >= b->cap) {
		b->bad = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
put_sep(struct nbuf *b)
{
	if (b->len > 0 && b->p[b->len - 1] != SEP)
		put(b, " ");
}

static int
is_vowel_cyr(int32_t c)
{
	/* а е ё и о у ы э ю я (lower case) */
	return c == 0x430 || c == 0x435 || c == 0x451 || c == 0x438 ||
	    c == 0x43e || c == 0x443 || c == 0x44b || c == 0x44d ||
	    c == 0x44e || c == 0x44f;
}

/* Transliterate in into two buffers: v[0] with е ё -> e, v[1] with
 * word-initial (or after a vowel, ь or ъ) е -> ye and every ё -> yo. */
static int
transliterate(const char *in, size_t in_len, struct nbuf v[2])
{
	const unsigned char *s = (const unsigned char *)in;
	int32_t prev = SEP;
	size_t i = 0;

	while (i < in_len) {
		int32_t c = utf8_next(s, in_len, &i);
		char ascii[2] = { 0, 0 };

		if (c < 0 || (c < 0x20 && c != '\t' && c != '\n' &&
		    c != '\r') || c == 0x7f || (c >= 0x80 && c < 0xa0))
			return -1;
		if (c >= 0x410 && c <= 0x42f)		/* А..Я */
			c += 0x20;
		else if (c == 0x401)			/* Ё */
			c = 0x451;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			ascii[0] = (char)c;
			put(&v[0], ascii);
			put(&v[1], ascii);
		} else if (c == 0x435 || c == 0x451) {	/* е ё */
			int initial = prev == SEP || is_vowel_cyr(prev) ||
			    prev == 0x44c || prev == 0x44a;

			put(&v[0], "e");
			put(&v[1], c == 0x451 ? "yo" : initial ? "ye" : "e");
		} else if (c >= 0x430 && c <= 0x44f) {
			put(&v[0], cyr[c - 0x430]);
			put(&v[1], cyr[c - 0x430]);
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '-' || c == '_' || c == '.' || c == ',' ||
		    c == 0xa0) {
			put_sep(&v[0]);
			put_sep(&v[1]);
			c = SEP;
		} else if (c < 0x80 || c == 0x4c0 || c == 0x4cf ||
		    (c >= 0x2000 && c <= 0x206f)) {
			/* apostrophes, other ASCII punctuation, the Chechen
			 * palochka, general punctuation: dropped */
			continue;
		} else {
			/* another script: kept as it is, not folded */
			char u[5];
			size_t n = 0;

			if (c < 0x800) {
				u[n++] = (char)(0xc0 | (c >> 6));
			} else if (c < 0x10000) {
				u[n++] = (char)(0xe0 | (c >> 12));
				u[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
			} else {
				u[n++] = (char)(0xf0 | (c >> 18));
				u[n++] = (char)(0x80 | ((c >> 12) & 0x3f));
				u[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
			}
			u[n++] = (char)(0x80 | (c & 0x3f));
			u[n] = '\0';
			put(&v[0], u);
			put(&v[1], u);
		}
		prev = c;
	}
	return v[0].bad || v[1].bad ? -1 : 0;
}

/* Fold one word in place: kh -> h, y -> i, runs of one letter -> one. */
static void
fold_word(char *w)
{
	size_t r = 0, o = 0;

	for (; w[r] != '\0'; r++) {
		char c = w[r];

		if (c == 'k' && w[r + 1] == 'h')
			continue;		/* the h follows */
		if (c == 'y')
			c = 'i';
		if (o > 0 && w[o - 1] == c && (c & 0x80) == 0)
			continue;
		w[o++] = c;
	}
	w[o] = '\0';
}

static int
cmp_word(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fold every word of b, sort the words, write them space-separated. */
static int
fold_sort(struct nbuf *b, char *out, size_t out_len)
{
	char *words[MAX_LOOKUP_NAME_BYTES], *save = NULL, *w;
	size_t n = 0, len = 0;

	for (w = strtok_r(b->p, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		fold_word(w);
		if (*w != '\0' && n < MAX_LOOKUP_NAME_BYTES)
			words[n++] = w;
	}
	if (n == 0)
		return -1;
	qsort(words, n, sizeof(words[0]), cmp_word);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t wl = strlen(words[i]);

		if (len + wl + 2 > out_len)
			return -1;
		if (i > 0)
			out[len++] = ' ';
		memcpy(out + len, words[i], wl + 1);
		len += wl;
	}
	return 0;
}

int
lookupnorm_name(const char *in, size_t in_len,
    char out[LOOKUPNORM_VARIANTS][LOOKUP_NAME_OUT_BYTES], size_t *n)
{
	char raw[2][LOOKUP_NAME_OUT_BYTES];
	struct nbuf v[2] = {
		{ raw[0], 0, sizeof(raw[0]), 0 },
		{ raw[1], 0, sizeof(raw[1]), 0 },
	};
	int rc = -1;

	*n = 0;
	raw[0][0] = raw[1][0] = '\0';
	if (in_len > MAX_LOOKUP_NAME_BYTES ||
	    transliterate(in, in_len, v) != 0 ||
	    fold_sort(&v[0], out[0], LOOKUP_NAME_OUT_BYTES) != 0 ||
	    fold_sort(&v[1], out[1], LOOKUP_NAME_OUT_BYTES) != 0)
		goto done;
	*n = strcmp(out[0], out[1]) == 0 ? 1 : 2;
	rc = 0;
done:
	/* a name is what the lookup protects: no copy left on the stack */
	secmem_wipe(raw, sizeof(raw));
	return rc;
}
