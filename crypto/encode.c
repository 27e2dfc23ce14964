/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* encode: thin wrappers over libsodium's constant-time codecs. */
#include <sodium.h>

#include "crypto/encode.h"

size_t
encode_b64_len(size_t bin_len)
{
	return sodium_base64_ENCODED_LEN(bin_len, sodium_base64_VARIANT_ORIGINAL);
}

size_t
encode_b64url_len(size_t bin_len)
{
	return sodium_base64_ENCODED_LEN(bin_len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int
enc(char *out, size_t out_len, const void *bin, size_t bin_len, int variant)
{
	if (out_len < sodium_base64_ENCODED_LEN(bin_len, variant))
		return -1;
	sodium_bin2base64(out, out_len, bin, bin_len, variant);
	return 0;
}

int
encode_b64(char *out, size_t out_len, const void *bin, size_t bin_len)
{
	return enc(out, out_len, bin, bin_len, sodium_base64_VARIANT_ORIGINAL);
}

int
encode_b64url(char *out, size_t out_len, const void *bin, size_t bin_len)
{
	return enc(out, out_len, bin, bin_len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
encode_hex(char *out, size_t out_len, const void *bin, size_t bin_len)
{
	if (bin_len > (SIZE_MAX - 1) / 2 || out_len < bin_len * 2 + 1)
		return -1;
	sodium_bin2hex(out, out_len, bin, bin_len);
	return 0;
}

/* 1 if lo <= c <= hi, without a branch on c (tokens are decoded here). */
static unsigned
in_range(unsigned c, unsigned lo, unsigned hi)
{
	return (((lo - 1u - c) & (c - hi - 1u)) >> 8) & 1u;
}

/*
 * 1 if every byte of s is in the variant's alphabet ('=' included for the
 * padded one). libsodium 1.0.18's decoder maps some bytes >= 0x80 to
 * alphabet values instead of refusing them (fuzz_witness found
 * "...W5r\xe3xa..." decoding like "...W5rHxa..."), which would give one
 * value two spellings. Constant time in the bytes' values.
 */
static int
alphabet_only(const char *s, size_t s_len, int variant)
{
	unsigned bad = 0;

	for (size_t i = 0; i < s_len; i++) {
		unsigned c = (unsigned char)s[i], ok;

		ok = in_range(c, 'A', 'Z') | in_range(c, 'a', 'z') |
		    in_range(c, '0', '9');
		if (variant == sodium_base64_VARIANT_ORIGINAL)
			ok |= in_range(c, '+', '+') | in_range(c, '/', '/') |
			    in_range(c, '=', '=');
		else
			ok |= in_range(c, '-', '-') | in_range(c, '_', '_');
		bad |= ok ^ 1u;
	}
	return bad == 0;
}

static int
dec(void *bin, size_t bin_max, size_t *bin_len, const char *s, size_t s_len,
    int variant)
{
	const char *end = NULL;

	if (!alphabet_only(s, s_len, variant))
		return -1;
	if (sodium_base642bin(bin, bin_max, s, s_len, NULL, bin_len, &end,
	    variant) != 0)
		return -1;
	if (end != s + s_len)
		return -1;
	return 0;
}

int
decode_b64(void *bin, size_t bin_max, size_t *bin_len, const char *s,
    size_t s_len)
{
	return dec(bin, bin_max, bin_len, s, s_len,
	    sodium_base64_VARIANT_ORIGINAL);
}

int
decode_b64url(void *bin, size_t bin_max, size_t *bin_len, const char *s,
    size_t s_len)
{
	return dec(bin, bin_max, bin_len, s, s_len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
