/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * secmem: locked memory, wiping, constant-time comparison and randomness,
 * all delegated to libsodium. Also the jansson allocators that zero every
 * block on free, since parsed request bodies hold passwords, and the
 * MADV_DONTDUMP buffers for plaintext (decrypted fields, bodies).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>
#include <jansson.h>

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

/* --- plaintext buffers: MADV_DONTDUMP mappings ----------------------------- */

/*
 * A buffer is a mapping of (1 << cls) pages whose first 64 bytes hold its
 * header; the caller's bytes follow. Classes 0..BUF_CACHED_CLASSES-1
 * (4 KiB .. 256 KiB with 4 KiB pages) are cached on free, BUF_CACHE_EACH
 * per class; bigger ones are unmapped at once.
 */
#define BUF_HDR			64u
#define BUF_CACHED_CLASSES	7u
#define BUF_CACHE_EACH		16u

struct buf_hdr {
	size_t		map_len;	/* bytes mapped */
	size_t		len;		/* bytes asked for */
	unsigned	cls;		/* BUF_CACHED_CLASSES: not cached */
};

static struct {
	pthread_mutex_t	 mu;
	void		*free[BUF_CACHED_CLASSES][BUF_CACHE_EACH];
	unsigned	 n[BUF_CACHED_CLASSES];
} BC = { PTHREAD_MUTEX_INITIALIZER, {{ NULL }}, { 0 } };

static size_t
page_size(void)
{
	static size_t ps;

	if (ps == 0) {
		long v = sysconf(_SC_PAGESIZE);

		ps = v > 0 ? (size_t)v : 4096u;
	}
	return ps;
}

void *
secmem_buf_alloc(size_t len)
{
	size_t ps = page_size(), need, map_len;
	struct buf_hdr *h = NULL;
	unsigned cls = 0;
	void *m;

	if (len == 0 || len > SIZE_MAX - BUF_HDR - ps)
		return NULL;
	need = len + BUF_HDR;
	for (map_len = ps; map_len < need && cls < BUF_CACHED_CLASSES; cls++)
		map_len *= 2;
	if (map_len < need)	/* past the cached sizes: whole pages */
		map_len = (need + ps - 1) / ps * ps;
	if (cls < BUF_CACHED_CLASSES) {
		pthread_mutex_lock(&BC.mu);
		if (BC.n[cls] > 0)
			h = BC.free[cls][--BC.n[cls]];
		pthread_mutex_unlock(&BC.mu);
	}
	if (h == NULL) {
		m = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		/* never in a core file; best effort on kernels without it */
		(void)madvise(m, map_len, MADV_DONTDUMP);
		h = m;
		h->map_len = map_len;
		h->cls = cls;
	}
	h->len = len;
	return (uint8_t *)h + BUF_HDR;
}

size_t
secmem_buf_len(const void *p)
{
	const struct buf_hdr *h = (const void *)((const uint8_t *)p - BUF_HDR);

	return p == NULL ? 0 : h->len;
}

void
secmem_buf_free(void *p)
{
	struct buf_hdr *h;

	if (p == NULL)
		return;
	h = (void *)((uint8_t *)p - BUF_HDR);
	sodium_memzero(p, h->len);
	if (h->cls < BUF_CACHED_CLASSES) {
		pthread_mutex_lock(&BC.mu);
		if (BC.n[h->cls] < BUF_CACHE_EACH) {
			BC.free[h->cls][BC.n[h->cls]++] = h;
			h = NULL;
		}
		pthread_mutex_unlock(&BC.mu);
	}
	if (h != NULL)
		(void)munmap(h, h->map_len);
}
