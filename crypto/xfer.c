/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* xfer: key conversion, bundle signatures, streaming SHA-256 and the
 * read-aloud fingerprint of transfer bundles (crypto/xfer.h). */
#include <sodium.h>

#include <stdio.h>
#include <string.h>

#include "crypto/xfer.h"

static const char sig_prefix[] = "corridor/transfer/v1|sig|";
static const char fp_prefix[] = "corridor/partner-fingerprint/v1|";

_Static_assert(sizeof(crypto_hash_sha256_state) <= XFER_HASH_STATE_BYTES,
    "xfer_hash holds a crypto_hash_sha256_state");

void
xfer_hash_init(struct xfer_hash *h)
{
	crypto_hash_sha256_init((crypto_hash_sha256_state *)(void *)h->opaque);
}

void
xfer_hash_update(struct xfer_hash *h, const void *p, size_t len)
{
	crypto_hash_sha256_update((crypto_hash_sha256_state *)(void *)
	    h->opaque, p, len);
}

void
xfer_hash_final(struct xfer_hash *h, uint8_t out[XFER_HASH_BYTES])
{
	crypto_hash_sha256_final((crypto_hash_sha256_state *)(void *)h->opaque,
	    out);
}

int
xfer_x25519_pk(uint8_t x_pk[XFER_X_PK_BYTES],
    const uint8_t ed_pk[XFER_ED_PK_BYTES])
{
	return crypto_sign_ed25519_pk_to_curve25519(x_pk, ed_pk) == 0 ? 0 : -1;
}

int
xfer_x25519_sk(uint8_t x_sk[XFER_X_SK_BYTES],
    const uint8_t ed_sk[XFER_ED_SK_BYTES])
{
	if (crypto_sign_ed25519_sk_to_curve25519(x_sk, ed_sk) != 0) {
		sodium_memzero(x_sk, XFER_X_SK_BYTES);
		return -1;
	}
	return 0;
}

/* "corridor/transfer/v1|sig|" || digest: what is signed. */
static size_t
sig_message(uint8_t *m, const uint8_t digest[XFER_HASH_BYTES])
{
	size_t n = sizeof(sig_prefix) - 1;

	memcpy(m, sig_prefix, n);
	memcpy(m + n, digest, XFER_HASH_BYTES);
	return n + XFER_HASH_BYTES;
}

int
xfer_sign(uint8_t sig[XFER_SIG_BYTES], const uint8_t digest[XFER_HASH_BYTES],
    const uint8_t sk[XFER_ED_SK_BYTES])
{
	uint8_t m[sizeof(sig_prefix) + XFER_HASH_BYTES];
	size_t n = sig_message(m, digest);

	return crypto_sign_detached(sig, NULL, m, n, sk) == 0 ? 0 : -1;
}

int
xfer_verify(const uint8_t sig[XFER_SIG_BYTES],
    const uint8_t digest[XFER_HASH_BYTES], const uint8_t pk[XFER_ED_PK_BYTES])
{
	uint8_t m[sizeof(sig_prefix) + XFER_HASH_BYTES];
	size_t n = sig_message(m, digest);

	return crypto_sign_verify_detached(sig, m, n, pk) == 0 ? 0 : -1;
}

void
xfer_fingerprint_tagged(char out[XFER_FP_CHARS], const char *tag,
    const uint8_t *pk, size_t pk_len)
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];
	size_t o = 0;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)tag, strlen(tag));
	crypto_hash_sha256_update(&st, pk, pk_len);
	crypto_hash_sha256_final(&st, h);
	for (unsigned g = 0; g < XFER_FP_GROUPS; g++) {
		uint64_t v = 0;

		for (unsigned i = 0; i < 5; i++)
			v = v << 8 | h[g * 5 + i];
		/* 2^40 / 10^5 is about 1.1e7: the bias of mod is < 1e-7 */
		(void)snprintf(out + o, XFER_FP_CHARS - o, "%s%05u",
		    g == 0 ? "" : " ", (unsigned)(v % 100000u));
		o += g == 0 ? 5 : 6;
	}
	out[XFER_FP_CHARS - 1] = '\0';
}

void
xfer_fingerprint(char out[XFER_FP_CHARS], const uint8_t pk[XFER_ED_PK_BYTES])
{
	xfer_fingerprint_tagged(out, fp_prefix, pk, XFER_ED_PK_BYTES);
}
