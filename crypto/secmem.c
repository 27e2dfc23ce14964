/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * secmem: locked memory, wiping, constant-time comparison and randomness,
 * all delegated to libsodium. Also the jansson allocators that zero every
 * block on free, since parsed request bodies hold passwords.
 */
#include <sodium.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/secmem.h"

int
secmem_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void *
secmem_alloc(size_t len)
{
	return sodium_malloc(len);
}

void
secmem_free(void *p)
{
	if (p != NULL)
		sodium_free(p);
}

int
secmem_noaccess(void *p)
{
	return sodium_mprotect_noaccess(p);
}

int
secmem_readwrite(void *p)
{
	return sodium_mprotect_readwrite(p);
}

void
secmem_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		sodium_memzero(p, len);
}

int
secmem_equal(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

void
secmem_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

uint32_t
secmem_random_uniform(uint32_t upper)
{
	return randombytes_uniform(upper);
}

int
secmem_lock(void *p, size_t len)
{
	return sodium_mlock(p, len);
}

int
secmem_unlock(void *p, size_t len)
{
	return sodium_munlock(p, len);
}

/*
 * jansson's free callback gets no size, so each block carries its length in
 * a header. max_align_t keeps the user part aligned like malloc's.
 */
union jhdr {
	size_t len;
	max_align_t align;
};

static void *
json_zmalloc(size_t len)
{
	union jhdr *h;

	if (len > SIZE_MAX - sizeof(*h))
		return NULL;
	if ((h = malloc(sizeof(*h) + len)) == NULL)
		return NULL;
	h->len = len;
	return h + 1;
}

static void
json_zfree(void *p)
{
	union jhdr *h;

	if (p == NULL)
		return;
	h = (union jhdr *)p - 1;
	sodium_memzero(p, h->len);
	free(h);
}

void
secmem_json_allocators(void)
{
	json_set_alloc_funcs(json_zmalloc, json_zfree);
}
