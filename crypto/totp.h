/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * totp: the pieces of two-factor login that touch key material. RFC 6238
 * TOTP over HMAC-SHA1 (RFC 4226 dynamic truncation), the RFC 4648 base32
 * alphabet that authenticator apps read, and the keyed hash under which
 * recovery codes are stored.
 *
 * HMAC-SHA1 comes from nettle, which GnuTLS (and so libmicrohttpd) already
 * loads into the process: libsodium has no SHA-1. SHA-1's collision
 * weakness does not reach HMAC-SHA1 as a PRF, and SHA-1 is what every
 * common authenticator app computes by default.
 *
 * WARNING: totp_code returns the code as an integer; compare codes with
 * totp_code_equal (constant time), never with ==, and wipe the secret
 * after use.
 */
#ifndef CORRIDOR_TOTP_H
#define CORRIDOR_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES	20u	/* RFC 4226 4: 160 bits, SHA-1's size */
#define TOTP_STEP_S		30u	/* RFC 6238 default time step */
#define TOTP_DIGITS		6u	/* what common apps show */
/* base32 of TOTP_SECRET_BYTES without padding: 20 * 8 / 5 = 32 chars */
#define TOTP_SECRET_B32_CHARS	32u

/* Recovery codes: RECOVERY_CODE_CHARS base32 characters (5 bits each, so
 * 80 bits of randomness), shown as four groups of four. */
#define RECOVERY_CODE_CHARS	16u
#define RECOVERY_HASH_BYTES	32u
#define RECOVERY_KEY_BYTES	32u

/*
 * The code of key (key_len bytes) at time step `step` (floor(t / 30)),
 * with `digits` digits (6..8). -1 on bad arguments.
 */
int64_t totp_code(const uint8_t *key, size_t key_len, uint64_t step,
    unsigned digits) __attribute__((warn_unused_result));

/* Constant-time comparison of two codes: 1 equal, 0 not. */
int totp_code_equal(int64_t a, int64_t b);

/*
 * Parse a code typed by a person: exactly `digits` ASCII digits. 0 and
 * *code set, or -1.
 */
int totp_code_parse(const char *s, unsigned digits, int64_t *code);

/* A fresh random secret. */
void totp_secret_new(uint8_t secret[TOTP_SECRET_BYTES]);

/*
 * RFC 4648 base32, upper case, no padding. out must hold
 * ceil(bin_len * 8 / 5) + 1 bytes. 0 or -1 if short.
 */
int totp_base32(char *out, size_t out_len, const uint8_t *bin, size_t bin_len);

/*
 * A fresh recovery code as RECOVERY_CODE_CHARS lower-case base32 letters
 * and digits, grouped "xxxx-xxxx-xxxx-xxxx" (out: 20 bytes with the NUL).
 */
#define RECOVERY_CODE_SHOWN_BYTES	(RECOVERY_CODE_CHARS + 3u + 1u)
void totp_recovery_new(char out[RECOVERY_CODE_SHOWN_BYTES]);

/*
 * Normalise a typed recovery code: drop '-' and ' ', fold to lower case,
 * and accept only RECOVERY_CODE_CHARS base32 characters. out gets
 * RECOVERY_CODE_CHARS + NUL. 0 or -1 (out wiped).
 */
int totp_recovery_normalise(char out[RECOVERY_CODE_CHARS + 1],
    const char *typed);

/*
 * The stored form of a normalised recovery code: keyed BLAKE2b-256 under
 * key, over "corridor/recovery/v1|" user_id "|" code. A code of one user
 * hashes differently for every other user, and a copy of the table
 * without the key cannot even test guesses.
 */
void totp_recovery_hash(uint8_t out[RECOVERY_HASH_BYTES],
    const uint8_t key[RECOVERY_KEY_BYTES], const char *user_id,
    const char *code);

#endif
