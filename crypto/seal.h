/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * seal: wrap a 32-byte symmetric key to a recipient's X25519 public key with
 * crypto_box_seal. Sealed boxes take no associated data and do not
 * authenticate the sender, so the plaintext carries
 * "corridor/seal/v1|<kind>|<object id>|<recipient id>|" followed by the key,
 * and seal_open checks every id after opening.
 *
 * WARNING: a sealed box proves nothing about who sealed it. Anyone with
 * database write access can plant a wrap; what it cannot do is read one.
 */
#ifndef CORRIDOR_SEAL_H
#define CORRIDOR_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define SEAL_KEY_BYTES	32u
#define SEAL_PK_BYTES	32u	/* the recipient's X25519 public key */
#define SEAL_SK_BYTES	32u
#define SEAL_BLOB_MAX	256u	/* 48 bytes box overhead + prefix + key */

/* kinds of wrapped key */
#define SEAL_KIND_CASE	"case"
#define SEAL_KIND_EVAC	"evac"
#define SEAL_KIND_ORG	"org"

/* Seal key for recipient. out gets *out_len bytes. 0 or -1. */
int seal_key(uint8_t *out, size_t out_max, size_t *out_len, const char *kind,
    const char *object_id, const char *recipient_id,
    const uint8_t key[SEAL_KEY_BYTES], const uint8_t pk[SEAL_PK_BYTES])
    __attribute__((warn_unused_result));

/* Open blob with the recipient's key pair; check kind and ids. 0 or -1;
 * key is wiped on failure. */
int seal_open(uint8_t key[SEAL_KEY_BYTES], const char *kind,
    const char *object_id, const char *recipient_id,
    const uint8_t pk[SEAL_PK_BYTES], const uint8_t sk[SEAL_SK_BYTES],
    const uint8_t *blob, size_t blob_len)
    __attribute__((warn_unused_result));

/*
 * The same construction for a message of 1..SEAL_MSG_MAX bytes instead of
 * a key: a break-glass reason's salt || text, sealed to one auditor
 * (kind SEAL_KIND_REASON, object id the entry's seq in decimal).
 * SEAL_MSG_BLOB_MAX bounds a blob (box overhead 48 + prefix + message).
 */
#define SEAL_KIND_REASON	"reason"
#define SEAL_MSG_MAX		528u	/* 16-byte salt + 512-byte reason */
#define SEAL_MSG_BLOB_MAX	800u	/* 48 + at most 216 of prefix + 528 */

/* Seal msg (msg_len bytes) for recipient. 0 or -1. */
int seal_msg(uint8_t *out, size_t out_max, size_t *out_len, const char *kind,
    const char *object_id, const char *recipient_id, const uint8_t *msg,
    size_t msg_len, const uint8_t pk[32]) __attribute__((warn_unused_result));

/* Open a seal_msg blob with the recipient's key pair and check the ids;
 * the message goes to msg (msg_max bytes), its length to *msg_len. 0 or
 * -1; msg is wiped on failure. */
int seal_msg_open(uint8_t *msg, size_t msg_max, size_t *msg_len,
    const char *kind, const char *object_id, const char *recipient_id,
    const uint8_t pk[32], const uint8_t sk[32], const uint8_t *blob,
    size_t blob_len) __attribute__((warn_unused_result));

/* A fresh random symmetric key (K_case, K_evac). */
void seal_new_key(uint8_t key[SEAL_KEY_BYTES]);

#endif
