/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * stream: chunked authenticated encryption of a byte stream with
 * libsodium's crypto_secretstream_xchacha20poly1305, for attachments and
 * for the encrypted spool an upload passes through. A stream has a random
 * 32-byte key, a 24-byte header (public, stored beside the chunks) and a
 * sequence of chunks, each STREAM_ABYTES longer than its plaintext. The
 * chunks are chained: a chunk dropped, repeated or moved fails to open,
 * and only the last chunk carries the FINAL tag, so a truncated stream is
 * detected by stream_pull's *final never becoming 1. Every chunk also
 * authenticates associated data the caller chooses (the place of the
 * stream: case id and attachment id), so a whole stream moved to another
 * attachment fails at its first chunk.
 *
 * WARNING: keys and states are secrets; the caller wipes the key and calls
 * stream_state_wipe on every path.
 */
#ifndef CORRIDOR_STREAM_H
#define CORRIDOR_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define STREAM_KEY_BYTES	32u
#define STREAM_HEADER_BYTES	24u
#define STREAM_ABYTES		17u	/* tag byte + Poly1305 tag */
#define STREAM_STATE_BYTES	52u

/* Opaque: crypto_secretstream_xchacha20poly1305_state, sized in sizes.c. */
struct stream_state {
	unsigned char	opaque[STREAM_STATE_BYTES];
};

/* A fresh random key. */
void stream_keygen(uint8_t key[STREAM_KEY_BYTES]);

/* Begin encrypting: fills header. 0 or -1. */
int stream_push_init(struct stream_state *st,
    uint8_t header[STREAM_HEADER_BYTES], const uint8_t key[STREAM_KEY_BYTES])
    __attribute__((warn_unused_result));

/* Encrypt one chunk of in_len bytes into out (out_max >= in_len +
 * STREAM_ABYTES); final != 0 tags it FINAL (the last chunk). 0 or -1. */
int stream_push(struct stream_state *st, uint8_t *out, size_t out_max,
    size_t *out_len, const uint8_t *in, size_t in_len, const uint8_t *ad,
    size_t ad_len, int final) __attribute__((warn_unused_result));

/* Begin decrypting a stream with this header. 0 or -1. */
int stream_pull_init(struct stream_state *st,
    const uint8_t header[STREAM_HEADER_BYTES],
    const uint8_t key[STREAM_KEY_BYTES]) __attribute__((warn_unused_result));

/* Decrypt one chunk into out (out_max >= in_len - STREAM_ABYTES); *final
 * is 1 if it was the FINAL chunk. -1 for a forged, reordered or misplaced
 * chunk, or wrong associated data; out is wiped then. */
int stream_pull(struct stream_state *st, uint8_t *out, size_t out_max,
    size_t *out_len, const uint8_t *in, size_t in_len, const uint8_t *ad,
    size_t ad_len, int *final) __attribute__((warn_unused_result));

/* Wipe a state (NULL is fine). */
void stream_state_wipe(struct stream_state *st);

#endif
