/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * note: C2SP signed notes and tlog checkpoints with Ed25519. Every byte of
 * untrusted input is bounds-checked before it is looked at; the parsers
 * follow Go's golang.org/x/mod/sumdb/note where the spec leaves room, and
 * are stricter where corridor only ever writes one form (see note.h).
 */
#include <sodium.h>

#include <stdio.h>
#include <string.h>

#include "crypto/encode.h"
#include "crypto/note.h"

/* U+2014 EM DASH and a space: the start of every signature line. */
static const char SIG_PREFIX[] = "\xe2\x80\x94 ";
#define SIG_PREFIX_LEN	4u

/* base64 of key id (4) || Ed25519 signature (64) = 68 bytes: 92 chars. */
#define SIG_BLOB_BYTES	(NOTE_KEY_ID_BYTES + NOTE_SIG_BYTES)
#define SIG_B64_CHARS	92u

/* base64 of the 32-byte root: 44 chars. */
#define ROOT_B64_CHARS	44u

/* strlen("9223372036854775807"), the largest size (INT64_MAX). */
#define SIZE_MAX_DIGITS	19u

/* --- UTF-8 and names ----------------------------------------------------- */

/*
 * Decode one UTF-8 sequence at s (len > 0 bytes available). Returns its
 * length and the code point in *cp, or 0 when the bytes are not valid
 * UTF-8: truncated, overlong, a surrogate or above U+10FFFF.
 */
static size_t
utf8_next(const uint8_t *s, size_t len, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2; c &= 0x1f; min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3; c &= 0x0f; min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4; c &= 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Note text rule: valid UTF-8, no ASCII control character but "\n". */
static int
text_valid(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	uint32_t cp;
	size_t n;

	for (size_t i = 0; i < len; i += n) {
		if ((n = utf8_next(p + i, len - i, &cp)) == 0)
			return 0;
		if (cp < 0x20 && cp != '\n')
			return 0;
	}
	return 1;
}

/* Unicode White_Space, as Go's unicode.IsSpace sees it. */
static int
is_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
	    cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	    cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
	    cp == 0x3000;
}

int
note_name_valid(const char *name, size_t name_len)
{
	const uint8_t *p = (const uint8_t *)name;
	uint32_t cp;
	size_t n;

	if (name_len == 0 || name_len > NOTE_NAME_MAX_BYTES)
		return 0;
	for (size_t i = 0; i < name_len; i += n) {
		if ((n = utf8_next(p + i, name_len - i, &cp)) == 0)
			return 0;
		if (cp < 0x20 || cp == '+' || is_space(cp))
			return 0;
	}
	return 1;
}

/* --- keys ---------------------------------------------------------------- */

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

uint32_t
note_key_id(const char *name, size_t name_len, const uint8_t pk[NOTE_PK_BYTES])
{
	return note_key_id_alg(name, name_len, NOTE_ALG_ED25519, pk);
}

uint32_t
note_key_id_alg(const char *name, size_t name_len, uint8_t alg,
    const uint8_t pk[NOTE_PK_BYTES])
{
	const uint8_t sep[2] = { 0x0a, alg };
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, name_len);
	crypto_hash_sha256_update(&st, sep, sizeof(sep));
	crypto_hash_sha256_update(&st, pk, NOTE_PK_BYTES);
	crypto_hash_sha256_final(&st, h);
	return get_be32(h);
}

void
note_keypair(uint8_t pk[NOTE_PK_BYTES], uint8_t sk[NOTE_SK_BYTES])
{
	crypto_sign_keypair(pk, sk);
}

void
note_keypair_from_seed(uint8_t pk[NOTE_PK_BYTES], uint8_t sk[NOTE_SK_BYTES],
    const uint8_t seed[NOTE_SEED_BYTES])
{
	crypto_sign_seed_keypair(pk, sk, seed);
}

int
note_vkey_init(struct note_vkey *vk, const char *name, size_t name_len,
    const uint8_t pk[NOTE_PK_BYTES])
{
	return note_vkey_init_alg(vk, name, name_len, NOTE_ALG_ED25519, pk);
}

int
note_vkey_init_alg(struct note_vkey *vk, const char *name, size_t name_len,
    uint8_t alg, const uint8_t pk[NOTE_PK_BYTES])
{
	memset(vk, 0, sizeof(*vk));
	if (!note_name_valid(name, name_len))
		return NOTE_EFORMAT;
	memcpy(vk->name, name, name_len);
	vk->name[name_len] = '\0';
	vk->name_len = name_len;
	memcpy(vk->pk, pk, NOTE_PK_BYTES);
	vk->alg = alg;
	vk->key_id = note_key_id_alg(name, name_len, alg, pk);
	return NOTE_OK;
}

int
note_vkey_format(char *out, size_t out_len, const struct note_vkey *vk)
{
	uint8_t key[1 + NOTE_PK_BYTES];
	char b64[ROOT_B64_CHARS + 1];	/* 33 bytes encode to 44 chars too */
	int n;

	key[0] = vk->alg;
	memcpy(key + 1, vk->pk, NOTE_PK_BYTES);
	if (encode_b64(b64, sizeof(b64), key, sizeof(key)) != 0)
		return NOTE_ESPACE;
	n = snprintf(out, out_len, "%s+%08x+%s", vk->name,
	    (unsigned)vk->key_id, b64);
	if (n < 0 || (size_t)n >= out_len)
		return NOTE_ESPACE;
	return NOTE_OK;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')	/* Go's ParseUint takes both cases */
		return c - 'A' + 10;
	return -1;
}

int
note_vkey_parse(struct note_vkey *vk, const char *s, size_t s_len)
{
	return note_vkey_parse_alg(vk, s, s_len, NOTE_ALG_ED25519);
}

int
note_vkey_parse_alg(struct note_vkey *vk, const char *s, size_t s_len,
    uint8_t alg)
{
	uint8_t key[1 + NOTE_PK_BYTES];
	const char *plus, *hex, *b64;
	size_t name_len, key_len, b64_len;
	uint32_t id = 0;
	int d;

	memset(vk, 0, sizeof(*vk));
	if (s_len >= NOTE_VKEY_MAX_BYTES)
		return NOTE_EFORMAT;
	/* name '+' 8 hex '+' base64; names hold no '+', base64 may. */
	if ((plus = memchr(s, '+', s_len)) == NULL)
		return NOTE_EFORMAT;
	name_len = (size_t)(plus - s);
	if (s_len - name_len < 1 + 8 + 1 || plus[9] != '+')
		return NOTE_EFORMAT;
	hex = plus + 1;
	for (size_t i = 0; i < 8; i++) {
		if ((d = hex_digit(hex[i])) < 0)
			return NOTE_EFORMAT;
		id = id << 4 | (uint32_t)d;
	}
	b64 = hex + 9;
	b64_len = s_len - name_len - 10;
	if (decode_b64(key, sizeof(key), &key_len, b64, b64_len) != 0 ||
	    key_len != sizeof(key) || key[0] != alg)
		return NOTE_EFORMAT;
	if (note_vkey_init_alg(vk, s, name_len, alg, key + 1) != NOTE_OK)
		return NOTE_EFORMAT;
	if (vk->key_id != id) {
		memset(vk, 0, sizeof(*vk));
		return NOTE_EFORMAT;
	}
	return NOTE_OK;
}

int
note_vkey_equal(const struct note_vkey *a, const struct note_vkey *b)
{
	return a->name_len == b->name_len &&
	    memcmp(a->name, b->name, a->name_len) == 0 &&
	    a->key_id == b->key_id && a->alg == b->alg &&
	    memcmp(a->pk, b->pk, NOTE_PK_BYTES) == 0;
}

/* --- signed notes -------------------------------------------------------- */

int
note_sign(char *out, size_t out_max, size_t *out_len, const char *text,
    size_t text_len, const char *name, size_t name_len,
    const uint8_t sk[NOTE_SK_BYTES])
{
	uint8_t pk[NOTE_PK_BYTES], blob[SIG_BLOB_BYTES];
	char b64[SIG_B64_CHARS + 1];
	size_t need, off;

	if (!note_name_valid(name, name_len) || text_len == 0 ||
	    text_len > NOTE_MAX_BYTES || text[text_len - 1] != '\n' ||
	    !text_valid(text, text_len))
		return NOTE_EFORMAT;
	/* text "\n" "— " name " " b64 "\n"; bounded, so no overflow. */
	need = text_len + 1 + SIG_PREFIX_LEN + name_len + 1 + SIG_B64_CHARS + 1;
	if (need > NOTE_MAX_BYTES)
		return NOTE_EFORMAT;	/* our own parser would refuse it */
	if (need > out_max)
		return NOTE_ESPACE;

	crypto_sign_ed25519_sk_to_pk(pk, sk);
	put_be32(blob, note_key_id(name, name_len, pk));
	if (crypto_sign_detached(blob + NOTE_KEY_ID_BYTES, NULL,
	    (const uint8_t *)text, text_len, sk) != 0)
		return NOTE_EFORMAT;
	if (encode_b64(b64, sizeof(b64), blob, sizeof(blob)) != 0)
		return NOTE_ESPACE;

	off = 0;
	memmove(out, text, text_len);	/* out may be text's own buffer */
	off += text_len;
	out[off++] = '\n';
	memcpy(out + off, SIG_PREFIX, SIG_PREFIX_LEN);
	off += SIG_PREFIX_LEN;
	memcpy(out + off, name, name_len);
	off += name_len;
	out[off++] = ' ';
	memcpy(out + off, b64, SIG_B64_CHARS);
	off += SIG_B64_CHARS;
	out[off++] = '\n';
	*out_len = off;
	return NOTE_OK;
}

/*
 * Split and check a signed note. *text_len gets the length of the text
 * (through its final "\n"). When vk is not NULL, every signature line with
 * vk's name and key id is verified: *found counts them, *bad those that
 * failed. Returns NOTE_OK or NOTE_EFORMAT; format errors anywhere win.
 */
static int
note_scan(size_t *text_len, const char *note, size_t note_len,
    const struct note_vkey *vk, unsigned *found, unsigned *bad)
{
	uint8_t raw[NOTE_MAX_BYTES];
	const char *sigs, *line, *end, *sp;
	size_t split, sigs_len, line_len, raw_len, name_len;
	unsigned count = 0;

	*found = *bad = 0;
	if (note_len < 2 || note_len > NOTE_MAX_BYTES ||
	    !text_valid(note, note_len))
		return NOTE_EFORMAT;
	/* The text ends at the LAST blank line. */
	for (split = note_len - 1; split > 0; split--)
		if (note[split - 1] == '\n' && note[split] == '\n')
			break;
	if (split == 0)
		return NOTE_EFORMAT;
	split--;		/* index of the first of the two newlines */
	*text_len = split + 1;
	sigs = note + split + 2;
	sigs_len = note_len - split - 2;
	if (sigs_len == 0 || sigs[sigs_len - 1] != '\n')
		return NOTE_EFORMAT;

	for (line = sigs; line < sigs + sigs_len; line = end + 1) {
		end = memchr(line, '\n', (size_t)(sigs + sigs_len - line));
		line_len = (size_t)(end - line);
		if (++count > NOTE_MAX_SIGS)
			return NOTE_EFORMAT;
		if (line_len < SIG_PREFIX_LEN ||
		    memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
			return NOTE_EFORMAT;
		line += SIG_PREFIX_LEN;
		line_len -= SIG_PREFIX_LEN;
		if ((sp = memchr(line, ' ', line_len)) == NULL)
			return NOTE_EFORMAT;
		name_len = (size_t)(sp - line);
		if (!note_name_valid(line, name_len) ||
		    line_len - name_len - 1 == 0 ||
		    decode_b64(raw, sizeof(raw), &raw_len, sp + 1,
		    line_len - name_len - 1) != 0 ||
		    raw_len < NOTE_KEY_ID_BYTES + 1)
			return NOTE_EFORMAT;
		if (vk == NULL || name_len != vk->name_len ||
		    memcmp(line, vk->name, name_len) != 0 ||
		    get_be32(raw) != vk->key_id)
			continue;	/* unknown key: ignored, per spec */
		(*found)++;
		if (raw_len != SIG_BLOB_BYTES ||
		    crypto_sign_verify_detached(raw + NOTE_KEY_ID_BYTES,
		    (const uint8_t *)note, *text_len, vk->pk) != 0)
			(*bad)++;
	}
	return NOTE_OK;
}

int
note_open(size_t *text_len, const char *note, size_t note_len,
    const struct note_vkey *vk)
{
	unsigned found, bad;
	size_t tl = 0;

	if (note_scan(&tl, note, note_len, vk, &found, &bad) != NOTE_OK)
		return NOTE_EFORMAT;
	if (bad > 0)
		return NOTE_EBADSIG;	/* a known key failed: reject all */
	if (found == 0)
		return NOTE_EUNSIGNED;
	*text_len = tl;
	return NOTE_OK;
}

/* --- checkpoints --------------------------------------------------------- */

int
note_checkpoint_format(char *out, size_t out_max, size_t *out_len,
    const struct note_checkpoint *cp)
{
	char b64[ROOT_B64_CHARS + 1];
	int n;

	if (cp->origin_len != strnlen(cp->origin, sizeof(cp->origin)) ||
	    !note_name_valid(cp->origin, cp->origin_len) ||
	    cp->size > (uint64_t)INT64_MAX)
		return NOTE_EFORMAT;
	if (encode_b64(b64, sizeof(b64), cp->root, NOTE_HASH_BYTES) != 0)
		return NOTE_ESPACE;
	n = snprintf(out, out_max, "%s\n%llu\n%s\n", cp->origin,
	    (unsigned long long)cp->size, b64);
	if (n < 0 || (size_t)n >= out_max)
		return NOTE_ESPACE;
	*out_len = (size_t)n;
	return NOTE_OK;
}

int
note_checkpoint_sign(char *out, size_t out_max, size_t *out_len,
    const struct note_checkpoint *cp, const uint8_t sk[NOTE_SK_BYTES])
{
	char text[NOTE_MAX_BYTES];
	size_t text_len;
	int rc;

	if ((rc = note_checkpoint_format(text, sizeof(text), &text_len,
	    cp)) != NOTE_OK)
		return rc;
	return note_sign(out, out_max, out_len, text, text_len, cp->origin,
	    cp->origin_len, sk);
}

/* Parse the checkpoint text: exactly origin, size and root lines. */
static int
checkpoint_text_parse(struct note_checkpoint *cp, const char *t, size_t len)
{
	const char *nl, *p = t, *end = t + len;
	size_t n, root_len;
	uint64_t size = 0;

	memset(cp, 0, sizeof(*cp));
	/* origin */
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return NOTE_EFORMAT;
	n = (size_t)(nl - p);
	if (!note_name_valid(p, n))
		return NOTE_EFORMAT;
	memcpy(cp->origin, p, n);
	cp->origin[n] = '\0';
	cp->origin_len = n;
	p = nl + 1;
	/* size: ASCII decimal, no sign, no leading zero, at most INT64_MAX */
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return NOTE_EFORMAT;
	n = (size_t)(nl - p);
	if (n == 0 || n > SIZE_MAX_DIGITS || (n > 1 && p[0] == '0'))
		return NOTE_EFORMAT;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return NOTE_EFORMAT;
		/* 19 digits fit in a uint64_t; check the int64 bound last */
		size = size * 10 + (uint64_t)(p[i] - '0');
	}
	if (size > (uint64_t)INT64_MAX)
		return NOTE_EFORMAT;
	cp->size = size;
	p = nl + 1;
	/* root: exactly 44 base64 chars for 32 bytes, then the last "\n" */
	if ((size_t)(end - p) != ROOT_B64_CHARS + 1 || end[-1] != '\n' ||
	    decode_b64(cp->root, sizeof(cp->root), &root_len, p,
	    ROOT_B64_CHARS) != 0 || root_len != NOTE_HASH_BYTES) {
		memset(cp, 0, sizeof(*cp));
		return NOTE_EFORMAT;
	}
	return NOTE_OK;
}

int
note_checkpoint_parse(struct note_checkpoint *cp, const char *note,
    size_t note_len)
{
	unsigned found, bad;
	size_t text_len = 0;

	memset(cp, 0, sizeof(*cp));
	if (note_scan(&text_len, note, note_len, NULL, &found, &bad) != NOTE_OK)
		return NOTE_EFORMAT;
	if (checkpoint_text_parse(cp, note, text_len) != NOTE_OK)
		return NOTE_EFORMAT;
	return NOTE_OK;
}

int
note_checkpoint_verify(struct note_checkpoint *cp, const char *note,
    size_t note_len, const struct note_vkey *vk)
{
	size_t text_len = 0;
	int rc;

	memset(cp, 0, sizeof(*cp));
	if ((rc = note_open(&text_len, note, note_len, vk)) != NOTE_OK)
		return rc;
	if (checkpoint_text_parse(cp, note, text_len) != NOTE_OK)
		return NOTE_EFORMAT;
	if (cp->origin_len != vk->name_len ||
	    memcmp(cp->origin, vk->name, vk->name_len) != 0) {
		memset(cp, 0, sizeof(*cp));
		return NOTE_EORIGIN;
	}
	return NOTE_OK;
}

const char *
note_strerror(int err)
{
	switch (err) {
	case NOTE_OK:		return "ok";
	case NOTE_EFORMAT:	return "malformed";
	case NOTE_EUNSIGNED:	return "no signature by the pinned key";
	case NOTE_EBADSIG:	return "signature does not verify";
	case NOTE_EORIGIN:	return "origin is not the pinned key's name";
	case NOTE_ESPACE:	return "buffer too small";
	default:		return "unknown error";
	}
}
