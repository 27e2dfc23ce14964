/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * totp: RFC 6238 TOTP (HMAC-SHA1, RFC 4226 truncation), base32, and the
 * recovery codes' random form and keyed hash. See totp.h.
 */
#include <string.h>

#include <nettle/hmac.h>
#include <sodium.h>

#include "crypto/totp.h"

static const char b32_upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char b32_lower[] = "abcdefghijklmnopqrstuvwxyz234567";

int64_t
totp_code(const uint8_t *key, size_t key_len, uint64_t step, unsigned digits)
{
	struct hmac_sha1_ctx ctx;
	uint8_t msg[8], mac[SHA1_DIGEST_SIZE];
	uint32_t bin;
	int64_t mod = 1;
	unsigned off;

	if (key == NULL || key_len == 0 || digits < 6 || digits > 8)
		return -1;
	for (unsigned i = 0; i < 8; i++)
		msg[i] = (uint8_t)(step >> (56 - 8 * i));
	hmac_sha1_set_key(&ctx, key_len, key);
	hmac_sha1_update(&ctx, sizeof(msg), msg);
	hmac_sha1_digest(&ctx, sizeof(mac), mac);
	/* RFC 4226 5.3: dynamic truncation */
	off = mac[SHA1_DIGEST_SIZE - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) |
	    ((uint32_t)mac[off + 1] << 16) |
	    ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
	for (unsigned i = 0; i < digits; i++)
		mod *= 10;
	sodium_memzero(&ctx, sizeof(ctx));
	sodium_memzero(mac, sizeof(mac));
	return (int64_t)bin % mod;
}

int
totp_code_equal(int64_t a, int64_t b)
{
	uint8_t x[8], y[8];
	int eq;

	for (unsigned i = 0; i < 8; i++) {
		x[i] = (uint8_t)((uint64_t)a >> (8 * i));
		y[i] = (uint8_t)((uint64_t)b >> (8 * i));
	}
	eq = sodium_memcmp(x, y, sizeof(x)) == 0;
	sodium_memzero(x, sizeof(x));
	sodium_memzero(y, sizeof(y));
	return eq;
}

int
totp_code_parse(const char *s, unsigned digits, int64_t *code)
{
	int64_t v = 0;

	if (s == NULL || strlen(s) != digits)
		return -1;
	for (unsigned i = 0; i < digits; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*code = v;
	return 0;
}

void
totp_secret_new(uint8_t secret[TOTP_SECRET_BYTES])
{
	randombytes_buf(secret, TOTP_SECRET_BYTES);
}

/* base32 of bin in alphabet a; out_len checked by the caller */
static void
b32(char *out, const uint8_t *bin, size_t bin_len, const char *a)
{
	uint32_t buf = 0;
	unsigned bits = 0;
	size_t n = 0;

	for (size_t i = 0; i < bin_len; i++) {
		buf = (buf << 8) | bin[i];
		bits += 8;
		while (bits >= 5) {
			out[n++] = a[(buf >> (bits - 5)) & 31u];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[n++] = a[(buf << (5 - bits)) & 31u];
	out[n] = '\0';
}

int
totp_base32(char *out, size_t out_len, const uint8_t *bin, size_t bin_len)
{
	if (bin_len > (SIZE_MAX - 4) / 8 || out_len < (bin_len * 8 + 4) / 5 + 1)
		return -1;
	b32(out, bin, bin_len, b32_upper);
	return 0;
}

void
totp_recovery_new(char out[RECOVERY_CODE_SHOWN_BYTES])
{
	uint8_t rnd[RECOVERY_CODE_CHARS * 5 / 8];	/* 80 bits = 10 bytes */
	char plain[RECOVERY_CODE_CHARS + 1];
	size_t n = 0;

	randombytes_buf(rnd, sizeof(rnd));
	b32(plain, rnd, sizeof(rnd), b32_lower);
	for (unsigned i = 0; i < RECOVERY_CODE_CHARS; i++) {
		if (i > 0 && i % 4 == 0)
			out[n++] = '-';
		out[n++] = plain[i];
	}
	out[n] = '\0';
	sodium_memzero(rnd, sizeof(rnd));
	sodium_memzero(plain, sizeof(plain));
}

int
totp_recovery_normalise(char out[RECOVERY_CODE_CHARS + 1], const char *typed)
{
	size_t n = 0;

	for (const char *p = typed; *p != '\0'; p++) {
		char c = *p;

		if (c == '-' || c == ' ')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (n == RECOVERY_CODE_CHARS || strchr(b32_lower, c) == NULL ||
		    c == '\0')
			goto bad;
		out[n++] = c;
	}
	if (n != RECOVERY_CODE_CHARS)
		goto bad;
	out[n] = '\0';
	return 0;
bad:
	sodium_memzero(out, RECOVERY_CODE_CHARS + 1);
	return -1;
}

void
totp_recovery_hash(uint8_t out[RECOVERY_HASH_BYTES],
    const uint8_t key[RECOVERY_KEY_BYTES], const char *user_id,
    const char *code)
{
	static const char label[] = "corridor/recovery/v1|";
	crypto_generichash_state st;

	crypto_generichash_init(&st, key, RECOVERY_KEY_BYTES,
	    RECOVERY_HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)label,
	    sizeof(label) - 1);
	crypto_generichash_update(&st, (const unsigned char *)user_id,
	    strlen(user_id));
	crypto_generichash_update(&st, (const unsigned char *)"|", 1);
	crypto_generichash_update(&st, (const unsigned char *)code,
	    strlen(code));
	crypto_generichash_final(&st, out, RECOVERY_HASH_BYTES);
	sodium_memzero(&st, sizeof(st));
}
