/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cosig: tlog-cosignature/v1 lines (sign, verify, count a quorum) and the
 * tlog-witness add-checkpoint request body (parse, format). See cosig.h
 * for the formats. Every byte of a request or a note comes from another
 * machine: lengths are checked before any copy, and only the canonical
 * spelling of a number or a hash parses.
 */
#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cosig.h"
#include "crypto/encode.h"

static const char SIG_PREFIX[] = "\xe2\x80\x94 ";	/* U+2014, space */
#define SIG_PREFIX_LEN	4u
#define HEADER		"cosignature/v1\ntime "
#define HEADER_LEN	(sizeof(HEADER) - 1u)
#define U64_DIGITS_MAX	20u
#define HASH_B64_CHARS	44u

static void
put_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8u * (n - 1u - i)));
}

static uint64_t
get_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Canonical decimal (no sign, no leading zero) of at most 19 digits and
 * at most INT64_MAX, exactly len bytes. 0 or -1. */
static int
parse_size(uint64_t *out, const char *s, size_t len)
{
	uint64_t v = 0;

	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10u + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX)	/* 19 digits fit a uint64_t */
		return -1;
	*out = v;
	return 0;
}

/*
 * The message a v1 cosignature signs, into a heap buffer: the caller
 * frees it with free(). NULL when out of memory or text is too long.
 */
static uint8_t *
signed_message(size_t *len, const char *text, size_t text_len, uint64_t ts)
{
	char num[U64_DIGITS_MAX + 2];
	uint8_t *m;
	int n;

	if (text_len > NOTE_MAX_BYTES)
		return NULL;
	n = snprintf(num, sizeof(num), "%llu\n", (unsigned long long)ts);
	if (n < 0 || (size_t)n >= sizeof(num))
		return NULL;
	*len = HEADER_LEN + (size_t)n + text_len;
	if ((m = malloc(*len)) == NULL)
		return NULL;
	memcpy(m, HEADER, HEADER_LEN);
	memcpy(m + HEADER_LEN, num, (size_t)n);
	memcpy(m + HEADER_LEN + (size_t)n, text, text_len);
	return m;
}

int
cosig_sign(char *line, size_t line_max, size_t *line_len, const char *text,
    size_t text_len, uint64_t timestamp, const struct note_vkey *vk,
    const uint8_t sk[NOTE_SK_BYTES])
{
	uint8_t blob[COSIG_BLOB_BYTES], *msg;
	char b64[COSIG_BLOB_BYTES * 2];
	size_t msg_len = 0, b64_len, need;
	int rc = NOTE_EFORMAT;

	if (vk->alg != NOTE_ALG_COSIG_V1 || timestamp > (uint64_t)INT64_MAX ||
	    text_len == 0 || text[text_len - 1] != '\n')
		return NOTE_EFORMAT;
	if ((msg = signed_message(&msg_len, text, text_len, timestamp)) ==
	    NULL)
		return NOTE_EFORMAT;
	put_be(blob, vk->key_id, 4);
	put_be(blob + 4, timestamp, 8);
	if (crypto_sign_ed25519_detached(blob + 12, NULL, msg, msg_len, sk) !=
	    0 || encode_b64(b64, sizeof(b64), blob, sizeof(blob)) != 0)
		goto done;
	b64_len = strlen(b64);
	need = SIG_PREFIX_LEN + vk->name_len + 1 + b64_len + 1;
	if (need > line_max) {
		rc = NOTE_ESPACE;
		goto done;
	}
	memcpy(line, SIG_PREFIX, SIG_PREFIX_LEN);
	memcpy(line + SIG_PREFIX_LEN, vk->name, vk->name_len);
	line[SIG_PREFIX_LEN + vk->name_len] = ' ';
	memcpy(line + SIG_PREFIX_LEN + vk->name_len + 1, b64, b64_len);
	line[need - 1] = '\n';
	*line_len = need;
	rc = NOTE_OK;
done:
	free(msg);
	return rc;
}

int
cosig_verify_line(uint64_t *timestamp, const char *line, size_t line_len,
    const char *text, size_t text_len, const struct note_vkey *vk)
{
	uint8_t raw[NOTE_MAX_BYTES], *msg;
	const char *name, *sp;
	size_t name_len, raw_len = 0, msg_len = 0;
	uint64_t ts;
	int ok;

	if (line_len > 0 && line[line_len - 1] == '\n')
		line_len--;
	if (line_len < SIG_PREFIX_LEN || line_len > NOTE_MAX_BYTES ||
	    memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
		return NOTE_EFORMAT;
	name = line + SIG_PREFIX_LEN;
	if ((sp = memchr(name, ' ', line_len - SIG_PREFIX_LEN)) == NULL)
		return NOTE_EFORMAT;
	name_len = (size_t)(sp - name);
	if (!note_name_valid(name, name_len) ||
	    decode_b64(raw, sizeof(raw), &raw_len, sp + 1,
	    line_len - SIG_PREFIX_LEN - name_len - 1) != 0 || raw_len < 5)
		return NOTE_EFORMAT;
	if (name_len != vk->name_len || memcmp(name, vk->name, name_len) != 0 ||
	    get_be(raw, 4) != vk->key_id || vk->alg != NOTE_ALG_COSIG_V1)
		return NOTE_EUNSIGNED;
	if (raw_len != COSIG_BLOB_BYTES ||
	    (ts = get_be(raw + 4, 8)) > (uint64_t)INT64_MAX)
		return NOTE_EBADSIG;
	if ((msg = signed_message(&msg_len, text, text_len, ts)) == NULL)
		return NOTE_EBADSIG;
	ok = crypto_sign_ed25519_verify_detached(raw + 12, msg, msg_len,
	    vk->pk) == 0;
	free(msg);
	if (!ok)
		return NOTE_EBADSIG;
	*timestamp = ts;
	return NOTE_OK;
}

size_t
cosig_note_text_len(const char *note, size_t note_len)
{
	/* the text ends at the LAST blank line (signed-note) */
	for (size_t i = note_len; i >= 2; i--)
		if (note[i - 2] == '\n' && note[i - 1] == '\n')
			return i - 1;
	return 0;
}

int
cosig_count(unsigned *valid, unsigned *bad, int *have, const char *note,
    size_t note_len, const struct note_vkey *wk, size_t nwk)
{
	struct note_checkpoint cp;
	const char *line, *end, *sigs;
	size_t text_len;
	uint64_t ts;

	*valid = *bad = 0;
	if (have != NULL)
		memset(have, 0, nwk * sizeof(*have));
	if (note_checkpoint_parse(&cp, note, note_len) != NOTE_OK ||
	    (text_len = cosig_note_text_len(note, note_len)) == 0)
		return NOTE_EFORMAT;
	sigs = note + text_len + 1;
	for (line = sigs; line < note + note_len; line = end + 1) {
		end = memchr(line, '\n', (size_t)(note + note_len - line));
		if (end == NULL)
			return NOTE_EFORMAT;	/* parse checked; defensive */
		for (size_t i = 0; i < nwk; i++) {
			int rc = cosig_verify_line(&ts, line,
			    (size_t)(end - line), note, text_len, &wk[i]);

			if (rc == NOTE_EBADSIG)
				(*bad)++;
			if (rc != NOTE_OK)
				continue;
			if (have == NULL || !have[i])
				(*valid)++;
			if (have != NULL)
				have[i] = 1;
			else
				break;	/* without have, a key counts per line */
		}
	}
	return NOTE_OK;
}

int
cosig_request_parse(struct cosig_request *rq, const char *body, size_t len)
{
	struct note_checkpoint cp;
	const char *p = body, *end = body + len, *nl;
	size_t n = 0, hl = 0;

	memset(rq, 0, sizeof(*rq));
	if (len > COSIG_REQUEST_MAX_BYTES || len < 4 ||
	    memcmp(body, "old ", 4) != 0)
		return -1;
	p += 4;
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
	    parse_size(&rq->old_size, p, (size_t)(nl - p)) != 0)
		return -1;
	p = nl + 1;
	for (;;) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return -1;
		if (nl == p)
			break;		/* the empty line */
		if (n == COSIG_PROOF_MAX_HASHES ||
		    (size_t)(nl - p) != HASH_B64_CHARS ||
		    decode_b64(rq->proof + n * MERKLE_HASH_BYTES,
		    MERKLE_HASH_BYTES, &hl, p, HASH_B64_CHARS) != 0 ||
		    hl != MERKLE_HASH_BYTES)
			return -1;
		n++;
		p = nl + 1;
	}
	p = nl + 1;
	rq->proof_len = n * MERKLE_HASH_BYTES;
	rq->note = p;
	rq->note_len = (size_t)(end - p);
	if (note_checkpoint_parse(&cp, rq->note, rq->note_len) != NOTE_OK) {
		memset(rq, 0, sizeof(*rq));
		return -1;
	}
	return 0;
}

int
cosig_request_format(char *out, size_t out_max, size_t *out_len,
    uint64_t old_size, const uint8_t *proof, size_t proof_len,
    const char *note, size_t note_len)
{
	size_t off;
	int n;

	if (proof_len % MERKLE_HASH_BYTES != 0 ||
	    proof_len / MERKLE_HASH_BYTES > COSIG_PROOF_MAX_HASHES ||
	    note_len > NOTE_MAX_BYTES)
		return -1;
	n = snprintf(out, out_max, "old %llu\n", (unsigned long long)old_size);
	if (n < 0 || (size_t)n >= out_max)
		return -1;
	off = (size_t)n;
	for (size_t i = 0; i < proof_len; i += MERKLE_HASH_BYTES) {
		if (out_max - off < HASH_B64_CHARS + 2 ||
		    encode_b64(out + off, out_max - off, proof + i,
		    MERKLE_HASH_BYTES) != 0)
			return -1;
		off += HASH_B64_CHARS;
		out[off++] = '\n';
	}
	if (out_max - off < 1 + note_len)
		return -1;
	out[off++] = '\n';
	memcpy(out + off, note, note_len);
	*out_len = off + note_len;
	return 0;
}
