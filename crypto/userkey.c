/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* userkey: password sealing of each user's X25519 secret key. */
#include <sodium.h>

#include <stdio.h>
#include <string.h>

#include "crypto/userkey.h"
#include "crypto/xfer.h"

#define UK_VERSION	1u
/* what userkey_seal uses: MODERATE, for every key that can open the org
 * key (and so, for equal login cost, every user's) */
#define UK_OPS		crypto_pwhash_OPSLIMIT_MODERATE
#define UK_MEM		crypto_pwhash_MEMLIMIT_MODERATE
/* A stored blob may carry the INTERACTIVE limits of older versions (it is
 * re-sealed at the next login), never weaker or absurd ones. */
#define UK_OPS_MIN	crypto_pwhash_OPSLIMIT_INTERACTIVE
#define UK_MEM_MIN	crypto_pwhash_MEMLIMIT_INTERACTIVE
#define UK_OPS_MAX	crypto_pwhash_OPSLIMIT_MODERATE
#define UK_MEM_MAX	crypto_pwhash_MEMLIMIT_MODERATE

#define OFF_OPS		1
#define OFF_MEM		9
#define OFF_SALT	17
#define OFF_NONCE	33
#define OFF_CT		57

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* ad = "corridor/user-sk/v1|<user id>"; -1 if the id does not fit. */
static int
make_ad(char *ad, size_t ad_len, size_t *out_len, const char *user_id)
{
	int n = snprintf(ad, ad_len, "corridor/user-sk/v1|%s", user_id);

	if (n < 0 || (size_t)n >= ad_len)
		return -1;
	*out_len = (size_t)n;
	return 0;
}

void
userkey_generate(uint8_t pk[USERKEY_PK_BYTES], uint8_t sk[USERKEY_SK_BYTES])
{
	crypto_box_keypair(pk, sk);
}

int
userkey_seal(uint8_t blob[USERKEY_BLOB_BYTES], const char *user_id,
    const char *pw, size_t pw_len, const uint8_t sk[USERKEY_SK_BYTES])
{
	uint8_t kek[32];
	char ad[128];
	size_t ad_len;
	int rc = -1;

	if (make_ad(ad, sizeof(ad), &ad_len, user_id) != 0)
		return -1;
	blob[0] = UK_VERSION;
	put_be64(blob + OFF_OPS, UK_OPS);
	put_be64(blob + OFF_MEM, UK_MEM);
	randombytes_buf(blob + OFF_SALT, 16);
	randombytes_buf(blob + OFF_NONCE, 24);
	if (crypto_pwhash(kek, sizeof(kek), pw, pw_len, blob + OFF_SALT,
	    UK_OPS, UK_MEM, crypto_pwhash_ALG_ARGON2ID13) != 0)
		goto done;
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(blob + OFF_CT, NULL, sk,
	    USERKEY_SK_BYTES, (const uint8_t *)ad, ad_len, NULL,
	    blob + OFF_NONCE, kek) != 0)
		goto done;
	rc = 0;
done:
	sodium_memzero(kek, sizeof(kek));
	return rc;
}

int
userkey_open(uint8_t sk[USERKEY_SK_BYTES], const char *user_id,
    const char *pw, size_t pw_len, const uint8_t *blob, size_t blob_len)
{
	uint8_t kek[32];
	uint64_t ops, mem;
	char ad[128];
	size_t ad_len;
	int rc = -1;

	if (blob_len != USERKEY_BLOB_BYTES || blob[0] != UK_VERSION ||
	    make_ad(ad, sizeof(ad), &ad_len, user_id) != 0)
		goto done;
	ops = get_be64(blob + OFF_OPS);
	mem = get_be64(blob + OFF_MEM);
	if (ops < UK_OPS_MIN || ops > UK_OPS_MAX || mem < UK_MEM_MIN ||
	    mem > UK_MEM_MAX)
		goto done;
	if (crypto_pwhash(kek, sizeof(kek), pw, pw_len, blob + OFF_SALT,
	    ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		goto done;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(sk, NULL, NULL,
	    blob + OFF_CT, USERKEY_SK_BYTES + 16, (const uint8_t *)ad, ad_len,
	    blob + OFF_NONCE, kek) != 0)
		goto done;
	rc = 0;
done:
	sodium_memzero(kek, sizeof(kek));
	if (rc != 0)
		sodium_memzero(sk, USERKEY_SK_BYTES);
	return rc;
}

/* KEK = Argon2id(pw) with blob's salt and limits. 0 or -1. */
static int
blob_kek(uint8_t kek[32], const char *pw, size_t pw_len, const uint8_t *blob,
    size_t blob_len)
{
	uint64_t ops, mem;

	if (blob_len != USERKEY_BLOB_BYTES || blob[0] != UK_VERSION)
		return -1;
	ops = get_be64(blob + OFF_OPS);
	mem = get_be64(blob + OFF_MEM);
	if (ops < UK_OPS_MIN || ops > UK_OPS_MAX || mem < UK_MEM_MIN ||
	    mem > UK_MEM_MAX)
		return -1;
	return crypto_pwhash(kek, 32, pw, pw_len, blob + OFF_SALT, ops,
	    (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) == 0 ? 0 : -1;
}

/* v = BLAKE2b-256(key = kek, "corridor/user-duress/v1|<id>"). */
static int
duress_mac(uint8_t v[USERKEY_DURESS_BYTES], const uint8_t kek[32],
    const char *user_id)
{
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "corridor/user-duress/v1|%s",
	    user_id);

	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	return crypto_generichash(v, USERKEY_DURESS_BYTES,
	    (const uint8_t *)msg, (size_t)n, kek, 32) == 0 ? 0 : -1;
}

int
userkey_duress_verifier(uint8_t v[USERKEY_DURESS_BYTES], const char *user_id,
    const char *pw, size_t pw_len, const uint8_t *blob, size_t blob_len)
{
	uint8_t kek[32];
	int rc = -1;

	if (blob_kek(kek, pw, pw_len, blob, blob_len) == 0 &&
	    duress_mac(v, kek, user_id) == 0)
		rc = 0;
	sodium_memzero(kek, sizeof(kek));
	if (rc != 0)
		sodium_memzero(v, USERKEY_DURESS_BYTES);
	return rc;
}

int
userkey_login(uint8_t sk[USERKEY_SK_BYTES], const char *user_id,
    const char *pw, size_t pw_len, const uint8_t *blob, size_t blob_len,
    const uint8_t *duress)
{
	uint8_t kek[32], mine[USERKEY_DURESS_BYTES], want[USERKEY_DURESS_BYTES];
	char ad[128];
	size_t ad_len;
	int opened = 0, matched = 0;

	/* with no duress password, compare against bytes nobody can hit:
	 * the same steps either way */
	if (duress != NULL)
		memcpy(want, duress, sizeof(want));
	else
		randombytes_buf(want, sizeof(want));
	if (make_ad(ad, sizeof(ad), &ad_len, user_id) != 0 ||
	    blob_kek(kek, pw, pw_len, blob, blob_len) != 0) {
		sodium_memzero(kek, sizeof(kek));
		sodium_memzero(sk, USERKEY_SK_BYTES);
		sodium_memzero(want, sizeof(want));
		return USERKEY_LOGIN_FAIL;
	}
	opened = crypto_aead_xchacha20poly1305_ietf_decrypt(sk, NULL, NULL,
	    blob + OFF_CT, USERKEY_SK_BYTES + 16, (const uint8_t *)ad, ad_len,
	    blob + OFF_NONCE, kek) == 0;
	matched = duress_mac(mine, kek, user_id) == 0 &&
	    sodium_memcmp(mine, want, sizeof(mine)) == 0;
	sodium_memzero(kek, sizeof(kek));
	sodium_memzero(mine, sizeof(mine));
	sodium_memzero(want, sizeof(want));
	if (opened)
		return USERKEY_LOGIN_OPEN;
	sodium_memzero(sk, USERKEY_SK_BYTES);
	return matched ? USERKEY_LOGIN_DURESS : USERKEY_LOGIN_FAIL;
}

void
userkey_erase(uint8_t blob[USERKEY_BLOB_BYTES])
{
	randombytes_buf(blob + OFF_NONCE, USERKEY_BLOB_BYTES - OFF_NONCE);
}

int
userkey_is_weak(const uint8_t *blob, size_t blob_len)
{
	if (blob_len != USERKEY_BLOB_BYTES)
		return 0;
	return get_be64(blob + OFF_OPS) < UK_OPS ||
	    get_be64(blob + OFF_MEM) < UK_MEM;
}

void
userkey_dummy_work(const char *pw, size_t pw_len)
{
	uint8_t kek[32], salt[16];

	randombytes_buf(salt, sizeof(salt));
	/* the result is discarded on purpose: only the time spent matters */
	if (crypto_pwhash(kek, sizeof(kek), pw, pw_len, salt, UK_OPS, UK_MEM,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		randombytes_buf(kek, sizeof(kek));
	sodium_memzero(kek, sizeof(kek));
}

int
userkey_matches(const uint8_t pk[USERKEY_PK_BYTES],
    const uint8_t sk[USERKEY_SK_BYTES])
{
	uint8_t derived[32];
	int ok;

	crypto_scalarmult_base(derived, sk);
	ok = sodium_memcmp(derived, pk, 32) == 0;
	sodium_memzero(derived, sizeof(derived));
	return ok;
}

_Static_assert(USERKEY_FP_CHARS == XFER_FP_CHARS, "one fingerprint format");

void
userkey_fingerprint(char out[USERKEY_FP_CHARS],
    const uint8_t pk[USERKEY_PK_BYTES])
{
	xfer_fingerprint_tagged(out, "corridor/user-fingerprint/v1|", pk,
	    USERKEY_PK_BYTES);
}
