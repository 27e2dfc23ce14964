/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * hash: the plain SHA-256 commitments that code outside crypto/ needs,
 * without including sodium.h there. Today that is the salted hash by which
 * an audit entry commits to a break-glass reason kept in a side table.
 */
#ifndef CORRIDOR_HASH_H
#define CORRIDOR_HASH_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_REASON_SALT_BYTES	16u
#define AUDIT_REASON_HASH_BYTES	32u

/*
 * out = SHA-256(salt || reason). The salt is 16 random bytes stored next to
 * the reason and erased with it: without it, someone holding the log could
 * confirm a guessed reason ("suspected leak", a name) against the hash after
 * the reason itself has been erased. reason may be NULL when reason_len is 0.
 *
 * WARNING: the hash only hides the reason while the salt is secret, i.e.
 * after both are erased. While they are stored, anyone with the database
 * can read the reason anyway.
 */
void audit_reason_hash(uint8_t out[AUDIT_REASON_HASH_BYTES],
    const uint8_t salt[AUDIT_REASON_SALT_BYTES], const void *reason,
    size_t reason_len);

#endif
