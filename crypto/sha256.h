/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * sha256: SHA-256 of one prefix byte followed by data, the shape of every
 * Merkle tree hash (RFC 6962: 0x00 || entry for a leaf, 0x01 || left ||
 * right for a node). On x86-64 CPUs with the SHA extensions it runs on
 * them; elsewhere it is libsodium's crypto_hash_sha256. Both give the same
 * bytes (tests/unit/test_merkle.c compares them on every length up to 1 KiB
 * and checks the RFC 6962 vectors).
 *
 * Why: libsodium 1.0.18's SHA-256 is portable C, about 1 µs per node hash
 * on the project's machine, so rebuilding the audit tree of 1M entries at
 * start-up spent a second in hashing alone; with the SHA extensions a node
 * hash is about 0.1 µs.
 *
 * Only for public data: the input is not wiped from the stack.
 */
#ifndef CORRIDOR_SHA256_H
#define CORRIDOR_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES	32u

/* out = SHA-256(prefix || data). data may be NULL when len is 0. out may
 * alias data. */
void sha256_prefixed(uint8_t out[SHA256_BYTES], uint8_t prefix,
    const void *data, size_t len);

/* 1 if the CPU's SHA extensions are used, else 0 (for tests and logs). */
int sha256_accelerated(void);

/* The same, always through libsodium (the reference for tests). */
void sha256_prefixed_ref(uint8_t out[SHA256_BYTES], uint8_t prefix,
    const void *data, size_t len);

#endif
