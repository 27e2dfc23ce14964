/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * token: session bearer tokens and ids. A token is 32 random bytes; the
 * server keeps only BLAKE2b(key = a per-process random key, token), so a
 * memory dump of the session table yields no usable token.
 */
#ifndef CORRIDOR_TOKEN_H
#define CORRIDOR_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_HASH_BYTES	32u
#define TOKEN_KEY_BYTES		32u

/* Ids are 16 random bytes, base64url without padding = 22 chars. Every
 * layer sizes its id buffers from these (ID_CHARS + 1 with the NUL). */
#define ID_BYTES		16u
#define ID_CHARS		22u

void token_key_new(uint8_t key[TOKEN_KEY_BYTES]);
void token_hash(uint8_t out[TOKEN_HASH_BYTES],
    const uint8_t key[TOKEN_KEY_BYTES], const uint8_t *tok, size_t tok_len);

/* A fresh opaque id: 16 random bytes as base64url (22 chars + NUL). */
void token_new_id(char out[ID_CHARS + 1]);

#endif
