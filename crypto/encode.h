/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * encode: base64, base64url and hex through libsodium, into caller-owned
 * buffers. Decoders reject any character outside the alphabet and any
 * trailing garbage.
 */
#ifndef CORRIDOR_ENCODE_H
#define CORRIDOR_ENCODE_H

#include <stddef.h>

/* Encoded length including the NUL, for bin_len bytes. */
size_t encode_b64_len(size_t bin_len);		/* standard, padded */
size_t encode_b64url_len(size_t bin_len);	/* url-safe, unpadded */

/* Encode bin into out (out_len bytes, NUL-terminated). 0 or -1 if short. */
int encode_b64(char *out, size_t out_len, const void *bin, size_t bin_len);
int encode_b64url(char *out, size_t out_len, const void *bin, size_t bin_len);
int encode_hex(char *out, size_t out_len, const void *bin, size_t bin_len);

/*
 * Decode exactly: the whole of s (s_len bytes) must decode, into at most
 * bin_max bytes. *bin_len gets the decoded length. 0 or -1.
 */
int decode_b64(void *bin, size_t bin_max, size_t *bin_len,
    const char *s, size_t s_len);
int decode_b64url(void *bin, size_t bin_max, size_t *bin_len,
    const char *s, size_t s_len);

#endif
