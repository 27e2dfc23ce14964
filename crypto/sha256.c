/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * sha256: SHA-256 (FIPS 180-4) of prefix || data with the x86 SHA
 * extensions when the CPU has them, libsodium otherwise. The block
 * function follows Intel's published SHA-NI sequence (the "Intel SHA
 * Extensions" white paper, 2013): the state is kept as ABEF/CDGH, each
 * sha256rnds2 does two rounds, sha256msg1/msg2 extend the schedule.
 */
#include <sodium.h>

#include <string.h>

#include "crypto/sha256.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define SHA256_HAVE_NI	1
#else
#define SHA256_HAVE_NI	0
#endif

void
sha256_prefixed_ref(uint8_t out[SHA256_BYTES], uint8_t prefix,
    const void *data, size_t len)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	if (len > 0)
		crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, out);
}

#if SHA256_HAVE_NI

static const uint32_t K[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Compress one 64-byte block into the state (ABEF, CDGH). */
__attribute__((target("sha,sse4.1,ssse3")))
static void
block_ni(__m128i *abef, __m128i *cdgh, const uint8_t block[64])
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
	    0x0405060700010203ULL);
	__m128i s0 = *abef, s1 = *cdgh, m[4], t;

	/* unrolled, so that m[] lives in registers */
#pragma GCC unroll 16
	for (int g = 0; g < 16; g++) {
		if (g < 4) {
			m[g] = _mm_shuffle_epi8(_mm_loadu_si128(
			    (const __m128i *)(const void *)(block + 16 * g)),
			    bswap);
		} else {
			/* W[4g..4g+3] from the previous sixteen words */
			t = _mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]);
			t = _mm_add_epi32(t, _mm_alignr_epi8(m[(g + 3) & 3],
			    m[(g + 2) & 3], 4));
			m[g & 3] = _mm_sha256msg2_epu32(t, m[(g + 3) & 3]);
		}
		t = _mm_add_epi32(m[g & 3], _mm_load_si128(
		    (const __m128i *)(const void *)(K + 4 * g)));
		s1 = _mm_sha256rnds2_epu32(s1, s0, t);
		t = _mm_shuffle_epi32(t, 0x0e);
		s0 = _mm_sha256rnds2_epu32(s0, s1, t);
	}
	*abef = _mm_add_epi32(*abef, s0);
	*cdgh = _mm_add_epi32(*cdgh, s1);
}

__attribute__((target("sha,sse4.1,ssse3")))
static void
prefixed_ni(uint8_t out[SHA256_BYTES], uint8_t prefix, const uint8_t *data,
    size_t len)
{
	/* the initial state H0..H7, as ABEF and CDGH (lane 3 first) */
	__m128i abef = _mm_set_epi32(0x6a09e667, 0xbb67ae85, 0x510e527f,
	    (int)0x9b05688c);
	__m128i cdgh = _mm_set_epi32(0x3c6ef372, (int)0xa54ff53a, 0x1f83d9ab,
	    0x5be0cd19);
	uint8_t block[64];
	uint64_t bits = ((uint64_t)len + 1) * 8;
	size_t fill = 1, off = 0, n;
	__m128i t, dcba, hgfe;

	block[0] = prefix;
	for (;;) {
		n = len - off < 64 - fill ? len - off : 64 - fill;
		if (n > 0)
			memcpy(block + fill, data + off, n);
		fill += n;
		off += n;
		if (fill < 64)
			break;
		block_ni(&abef, &cdgh, block);
		fill = 0;
	}
	/* padding: 0x80, zeros, the bit length big-endian */
	block[fill++] = 0x80;
	if (fill > 56) {
		memset(block + fill, 0, 64 - fill);
		block_ni(&abef, &cdgh, block);
		fill = 0;
	}
	memset(block + fill, 0, 56 - fill);
	for (int i = 0; i < 8; i++)
		block[63 - i] = (uint8_t)(bits >> (8 * i));
	block_ni(&abef, &cdgh, block);

	/* back to H0..H7, big-endian */
	t = _mm_shuffle_epi32(abef, 0x1b);		/* F E B A */
	cdgh = _mm_shuffle_epi32(cdgh, 0xb1);		/* D C H G */
	dcba = _mm_blend_epi16(t, cdgh, 0xf0);		/* D C B A */
	hgfe = _mm_alignr_epi8(cdgh, t, 8);		/* H G F E */
	{
		const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
		    0x0405060700010203ULL);

		_mm_storeu_si128((__m128i *)(void *)out,
		    _mm_shuffle_epi8(dcba, bswap));
		_mm_storeu_si128((__m128i *)(void *)(out + 16),
		    _mm_shuffle_epi8(hgfe, bswap));
	}
}

static int
cpu_has_sha(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) ||
	    !(c & (1u << 9)) || !(c & (1u << 19)))	/* SSSE3, SSE4.1 */
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b >> 29) & 1;				/* SHA */
}

static int have_ni = -1;	/* -1: not probed yet */

int
sha256_accelerated(void)
{
	/* a benign race: every thread computes the same answer */
	if (have_ni < 0)
		have_ni = cpu_has_sha();
	return have_ni;
}

void
sha256_prefixed(uint8_t out[SHA256_BYTES], uint8_t prefix, const void *data,
    size_t len)
{
	if (sha256_accelerated())
		prefixed_ni(out, prefix, data, len);
	else
		sha256_prefixed_ref(out, prefix, data, len);
}

#else	/* no SHA extensions to use */

int
sha256_accelerated(void)
{
	return 0;
}

void
sha256_prefixed(uint8_t out[SHA256_BYTES], uint8_t prefix, const void *data,
    size_t len)
{
	sha256_prefixed_ref(out, prefix, data, len);
}

#endif
