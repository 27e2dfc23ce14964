/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * field: encrypt one database field with XChaCha20-Poly1305 under a case or
 * evacuation key. Output is nonce (24) || ciphertext || tag (16). The
 * associated data "corridor/v1|<table>|<row id>|<field>|<key version>" binds
 * each ciphertext to its place, so a ciphertext moved to another row, field
 * or key version fails to open.
 *
 * WARNING: XChaCha20-Poly1305 is not key-committing. Never try several keys
 * on one ciphertext and accept whichever opens.
 */
#ifndef CORRIDOR_FIELD_H
#define CORRIDOR_FIELD_H

#include <stddef.h>
#include <stdint.h>

#define FIELD_KEY_BYTES		32u
#define FIELD_OVERHEAD		(24u + 16u)

/* out must hold pt_len + FIELD_OVERHEAD bytes. 0 or -1. */
int field_encrypt(uint8_t *out, size_t out_max, size_t *out_len,
    const uint8_t key[FIELD_KEY_BYTES], const char *table, const char *row_id,
    const char *field, uint32_t key_version, const void *pt, size_t pt_len)
    __attribute__((warn_unused_result));

/* out must hold ct_len - FIELD_OVERHEAD bytes. 0 or -1 (wrong key, wrong
 * place, tampered). out is wiped on failure. */
int field_decrypt(void *out, size_t out_max, size_t *out_len,
    const uint8_t key[FIELD_KEY_BYTES], const char *table, const char *row_id,
    const char *field, uint32_t key_version, const uint8_t *ct, size_t ct_len)
    __attribute__((warn_unused_result));

#endif
