/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * xfer: the primitives of a transfer bundle (docs/crypto.md, "Transfer
 * bundles") that code outside crypto/ needs without sodium.h. An
 * instance's identity is its audit Ed25519 key; the X25519 key a bundle
 * is sealed to is derived from it (crypto_sign_ed25519_*_to_curve25519),
 * so a partner registers one key, checks one fingerprint, and the
 * instance holds no second long-lived secret. A bundle is signed over
 * the SHA-256 of every byte before its signature, with a domain prefix,
 * so the signature cannot be replayed as a checkpoint or any other note.
 *
 * WARNING: the X25519 secret derived here is as secret as the signing key
 * itself; wipe it after use.
 */
#ifndef CORRIDOR_XFER_H
#define CORRIDOR_XFER_H

#include <stddef.h>
#include <stdint.h>

#define XFER_ED_PK_BYTES	32u
#define XFER_ED_SK_BYTES	64u	/* seed || public key */
#define XFER_X_PK_BYTES		32u
#define XFER_X_SK_BYTES		32u
#define XFER_SIG_BYTES		64u
#define XFER_HASH_BYTES		32u	/* SHA-256 */
#define XFER_HASH_STATE_BYTES	104u	/* crypto_hash_sha256_state */

/* Six groups of five decimal digits, space-separated, and a NUL: about
 * 99.7 bits of SHA-256, read aloud in under a minute. */
#define XFER_FP_GROUPS		6u
#define XFER_FP_CHARS		(XFER_FP_GROUPS * 6u)

/* Opaque streaming SHA-256 (sized in sizes.c). Public data only. */
struct xfer_hash {
	_Alignas(8) unsigned char opaque[XFER_HASH_STATE_BYTES];
};
void xfer_hash_init(struct xfer_hash *h);
void xfer_hash_update(struct xfer_hash *h, const void *p, size_t len);
void xfer_hash_final(struct xfer_hash *h, uint8_t out[XFER_HASH_BYTES]);

/* The X25519 public key of an Ed25519 public key. 0, or -1 for a point
 * that is not a valid Ed25519 key (small order, not on the curve). */
int xfer_x25519_pk(uint8_t x_pk[XFER_X_PK_BYTES],
    const uint8_t ed_pk[XFER_ED_PK_BYTES]) __attribute__((warn_unused_result));

/* The X25519 secret key of an Ed25519 secret key. 0 or -1. */
int xfer_x25519_sk(uint8_t x_sk[XFER_X_SK_BYTES],
    const uint8_t ed_sk[XFER_ED_SK_BYTES]) __attribute__((warn_unused_result));

/* sig = Ed25519(sk, "corridor/transfer/v1|sig|" || digest). 0 or -1. */
int xfer_sign(uint8_t sig[XFER_SIG_BYTES],
    const uint8_t digest[XFER_HASH_BYTES],
    const uint8_t sk[XFER_ED_SK_BYTES]) __attribute__((warn_unused_result));

/* 0 if sig is pk's signature of digest as xfer_sign makes it, else -1. */
int xfer_verify(const uint8_t sig[XFER_SIG_BYTES],
    const uint8_t digest[XFER_HASH_BYTES],
    const uint8_t pk[XFER_ED_PK_BYTES]) __attribute__((warn_unused_result));

/*
 * The read-aloud fingerprint of an instance key: SHA-256("corridor/
 * partner-fingerprint/v1|" || pk), its first 30 bytes taken as six
 * 40-bit big-endian numbers, each written as five digits (mod 100000),
 * e.g. "04417 93210 55802 71136 00923 48851". out gets XFER_FP_CHARS
 * bytes, NUL-terminated.
 */
void xfer_fingerprint(char out[XFER_FP_CHARS],
    const uint8_t pk[XFER_ED_PK_BYTES]);
/* The same digits over SHA-256(tag || pk) (tag a NUL-terminated domain
 * string), for other public keys read aloud (userkey_fingerprint). */
void xfer_fingerprint_tagged(char out[XFER_FP_CHARS], const char *tag,
    const uint8_t *pk, size_t pk_len);

#endif
