/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * userkey: each user's X25519 key pair. The secret half is sealed with
 * XChaCha20-Poly1305 under KEK_user = Argon2id(password) at MODERATE
 * limits (3 passes, 256 MiB), with associated data
 * "corridor/user-sk/v1|<user id>". A successful open is the password
 * check: one Argon2 run per login.
 *
 * Every user's key is sealed at MODERATE, not only coordinators' (whose
 * key opens the org grant): a login's cost must not tell a coordinator's
 * username from another's or from an unknown one. The blob stores its
 * limits, so blobs sealed at INTERACTIVE (before MODERATE) still open;
 * userkey_is_weak tells the login to re-seal them.
 */
#ifndef CORRIDOR_USERKEY_H
#define CORRIDOR_USERKEY_H

#include <stddef.h>
#include <stdint.h>

#define USERKEY_PK_BYTES	32u
#define USERKEY_SK_BYTES	32u
/* version 1, ops 8, mem 8, salt 16, nonce 24, ct 32 + tag 16 */
#define USERKEY_BLOB_BYTES	(1u + 8u + 8u + 16u + 24u + 32u + 16u)

/* A fresh X25519 key pair (also used for the org key). */
void userkey_generate(uint8_t pk[USERKEY_PK_BYTES],
    uint8_t sk[USERKEY_SK_BYTES]);

/*
 * Seal sk for user_id under password into blob. 0, or -1 if Argon2 could
 * not get its memory.
 */
int userkey_seal(uint8_t blob[USERKEY_BLOB_BYTES], const char *user_id,
    const char *pw, size_t pw_len, const uint8_t sk[USERKEY_SK_BYTES])
    __attribute__((warn_unused_result));

/*
 * Open blob (blob_len bytes) for user_id with password into sk.
 * 0 on success; -1 for a wrong password, a blob bound to another user, a
 * tampered blob or no memory. sk is wiped on failure.
 */
int userkey_open(uint8_t sk[USERKEY_SK_BYTES], const char *user_id,
    const char *pw, size_t pw_len, const uint8_t *blob, size_t blob_len)
    __attribute__((warn_unused_result));

/* 1 if blob (a well-formed one) was sealed at weaker limits than
 * userkey_seal uses today, so the caller should re-seal it. */
int userkey_is_weak(const uint8_t *blob, size_t blob_len);

/* Burn the same Argon2 work as userkey_open, for unknown usernames, so an
 * unknown user and a wrong password take similar time. */
void userkey_dummy_work(const char *pw, size_t pw_len);

/*
 * Duress passwords (docs/crypto.md, "Duress password"). A verifier is
 * BLAKE2b-256 keyed by Argon2id(pw) with the salt and limits of the
 * user's own blob, over "corridor/user-duress/v1|<user id>", so one
 * Argon2id run serves both checks at login.
 */
#define USERKEY_DURESS_BYTES	32u

/* The verifier of pw for blob into v. 0, or -1 (bad blob, no memory). */
int userkey_duress_verifier(uint8_t v[USERKEY_DURESS_BYTES],
    const char *user_id, const char *pw, size_t pw_len, const uint8_t *blob,
    size_t blob_len) __attribute__((warn_unused_result));

enum userkey_login_result {
	USERKEY_LOGIN_FAIL = 0,		/* neither password (sk wiped) */
	USERKEY_LOGIN_OPEN = 1,		/* the real password: sk opened */
	USERKEY_LOGIN_DURESS = 2,	/* the duress password (sk wiped) */
};

/*
 * A login's one Argon2id run: derive the KEK with blob's salt, try the
 * AEAD open into sk, and compare the duress verifier of the same KEK with
 * duress (or, if duress is NULL, with random bytes), always both, so the
 * work does not depend on which password was given or whether a duress
 * password is set. Returns an enum userkey_login_result.
 */
int userkey_login(uint8_t sk[USERKEY_SK_BYTES], const char *user_id,
    const char *pw, size_t pw_len, const uint8_t *blob, size_t blob_len,
    const uint8_t *duress);

/*
 * Erase the sealed key in blob (panic, duress): nonce and ciphertext
 * become random bytes, which no password opens. Version, limits and salt
 * stay, so a duress verifier made for the blob still verifies.
 */
void userkey_erase(uint8_t blob[USERKEY_BLOB_BYTES]);

/*
 * The read-aloud fingerprint of a user's public key (issue 14, re-seal):
 * six groups of five digits, as crypto/xfer.h's, over SHA-256("corridor/
 * user-fingerprint/v1|" || pk). The user reads it from their own Security
 * screen; a coordinator re-seals their cases only to the key it names.
 */
#define USERKEY_FP_CHARS	36u	/* 6 groups of 5 digits, 5 spaces, NUL */
void userkey_fingerprint(char out[USERKEY_FP_CHARS],
    const uint8_t pk[USERKEY_PK_BYTES]);

/* Check that pk is the public half of sk: 1 yes, 0 no. */
int userkey_matches(const uint8_t pk[USERKEY_PK_BYTES],
    const uint8_t sk[USERKEY_SK_BYTES]);

#endif
