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
		if (size != KEYS_FILE_BYTES || memcmp(data, "CRDRKEYS", 8) != 0 ||
		    w.version != 1 || memcmp(w.header, data, KEYS_HEADER_BYTES))
			abort();
	}
	return 0;
}
