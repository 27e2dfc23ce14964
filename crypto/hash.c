/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* hash: SHA-256 commitments through libsodium. See hash.h. */
#include <sodium.h>

#include "crypto/hash.h"

void
audit_reason_hash(uint8_t out[AUDIT_REASON_HASH_BYTES],
    const uint8_t salt[AUDIT_REASON_SALT_BYTES], const void *reason,
    size_t reason_len)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, salt, AUDIT_REASON_SALT_BYTES);
	if (reason_len > 0)
		crypto_hash_sha256_update(&st, reason, reason_len);
	crypto_hash_sha256_final(&st, out);
	/* The state absorbed the reason, which is free text; do not leave
	 * it on the stack. */
	sodium_memzero(&st, sizeof(st));
}
