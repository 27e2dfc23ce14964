/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_wrapfile: the operator wrap-file parser. It must accept only files
 * of the exact size with the magic, version 1 and Argon2 limits within
 * range, and never read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keys_wrap w;

	if (keys_wrap_parse(&w, data, size) == KEYS_OK) {
		size_t want = w.kind == KEYS_KIND_DB ? KEYS_DB_FILE_BYTES :
		    w.kind == KEYS_KIND_SIGN ? KEYS_SIGN_FILE_BYTES :
		    KEYS_V1_FILE_BYTES;

		if (size != want || memcmp(w.header, data, KEYS_HEADER_BYTES) ||
		    w.ct_len + KEYS_HEADER_BYTES + KEYS_NONCE_BYTES != size ||
		    (w.kind == KEYS_KIND_SIGN) !=
		    (memcmp(data, "CRDRSIGN", 8) == 0))
			abort();
	}
	return 0;
}
