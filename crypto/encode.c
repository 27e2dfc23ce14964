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

static int
dec(void *bin, size_t bin_max, size_t *bin_len, const char *s, size_t s_len,
    int variant)
{
	const char *end = NULL;

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
