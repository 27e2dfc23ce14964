/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * secmem: the only door to libsodium's memory and randomness helpers for code
 * outside crypto/. Locked allocations, wiping, constant-time comparison and
 * the CSPRNG.
 */
#ifndef CORRIDOR_SECMEM_H
#define CORRIDOR_SECMEM_H

#include <stddef.h>
#include <stdint.h>

#define SECMEM_WUR __attribute__((warn_unused_result))

/* Initialise libsodium. Call once, before any thread starts. 0 or -1. */
int secmem_init(void) SECMEM_WUR;

/* Guarded, locked allocation (sodium_malloc). Free with secmem_free. */
void *secmem_alloc(size_t len);
void secmem_free(void *p);		/* NULL is fine; wipes before unmap */

/* Protection of a secmem_alloc region between uses. 0 or -1. */
int secmem_noaccess(void *p);
int secmem_readwrite(void *p);

void secmem_wipe(void *p, size_t len);

/* Constant-time equality of two len-byte buffers: 1 equal, 0 not. */
int secmem_equal(const void *a, const void *b, size_t len);

void secmem_random(void *buf, size_t len);
uint32_t secmem_random_uniform(uint32_t upper);

/* Lock/unlock ordinary memory (mlock); best effort, 0 or -1. */
int secmem_lock(void *p, size_t len);
int secmem_unlock(void *p, size_t len);

/*
 * Buffers for plaintext that is not a key: decrypted case fields, contact
 * entries before encryption, request and response bodies. Page-aligned
 * anonymous mappings marked MADV_DONTDUMP, so no core file or gcore dump
 * holds them, and wiped (the len bytes asked for) on free. Freed mappings
 * of up to 256 KiB are kept for reuse, a few per size, so a request costs
 * no system call in the steady state. NULL on failure (or len 0).
 * Free with secmem_buf_free (NULL is fine).
 */
void *secmem_buf_alloc(size_t len);
void secmem_buf_free(void *p);
/* The len a secmem_buf_alloc buffer was asked for. */
size_t secmem_buf_len(const void *p);

/* Wiping allocators for jansson: request bodies can hold passwords, so every
 * block jansson frees is zeroed first. Installed by secmem_json_allocators. */
void secmem_json_allocators(void);

#endif
