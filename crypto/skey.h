/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * skey: a 32-byte secret boxed under a request-carried session key K_s.
 * The server keeps a live session's secrets (the user's X25519 secret key,
 * cached case and evacuation keys) only as these boxes; K_s arrives with
 * each request inside the bearer token and is wiped when the request ends,
 * so a memory image taken between requests holds no usable key.
 *
 * A box is XChaCha20-Poly1305 with a random 24-byte nonce: nonce || ct ||
 * tag, SKEY_BOX_BYTES long. The associated data binds the box to its place
 * (session and slot), so a box moved to another place does not open.
 */
#ifndef CORRIDOR_SKEY_H
#define CORRIDOR_SKEY_H

#include <stddef.h>
#include <stdint.h>

#define SKEY_KEY_BYTES		32u	/* K_s */
#define SKEY_SECRET_BYTES	32u	/* what a box holds */
/* nonce 24 + secret 32 + tag 16 */
#define SKEY_BOX_BYTES		(24u + SKEY_SECRET_BYTES + 16u)

/* A fresh random K_s. */
void skey_new(uint8_t ks[SKEY_KEY_BYTES]);

/* Box secret under ks with associated data ad (ad_len bytes). Cannot
 * fail. */
void skey_seal(uint8_t box[SKEY_BOX_BYTES], const uint8_t ks[SKEY_KEY_BYTES],
    const uint8_t *ad, size_t ad_len,
    const uint8_t secret[SKEY_SECRET_BYTES]);

/*
 * Open box with ks and ad into secret. 0, or -1 for a wrong key, another
 * place or a tampered box; secret is wiped on failure.
 */
int skey_open(uint8_t secret[SKEY_SECRET_BYTES],
    const uint8_t ks[SKEY_KEY_BYTES], const uint8_t *ad, size_t ad_len,
    const uint8_t box[SKEY_BOX_BYTES]) __attribute__((warn_unused_result));

#endif
