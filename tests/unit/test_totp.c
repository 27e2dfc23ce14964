/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_totp: crypto/totp.h against RFC 6238 Appendix B (the SHA-1 rows,
 * 8 digits, seed "12345678901234567890"), RFC 4226 Appendix D (6 digits),
 * RFC 4648's base32 vectors, and the recovery code form and hash.
 */
#include <string.h>

#include "crypto/secmem.h"
#include "crypto/totp.h"
#include "testutil.h"

static const uint8_t seed[] = "12345678901234567890";	/* 20 bytes */

static void
test_rfc6238(void)
{
	static const struct { uint64_t t; int64_t code; } v[] = {
		{ 59ull, 94287082 },
		{ 1111111109ull, 7081804 },
		{ 1111111111ull, 14050471 },
		{ 1234567890ull, 89005924 },
		{ 2000000000ull, 69279037 },
		{ 20000000000ull, 65353130 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int64_t c = totp_code(seed, 20, v[i].t / TOTP_STEP_S, 8);

		if (c != v[i].code)
			fail("RFC 6238 t=%llu: got %08lld want %08lld",
			    (unsigned long long)v[i].t, (long long)c,
			    (long long)v[i].code);
		else
			test_passes++;
	}
}

static void
test_rfc4226(void)
{
	/* HOTP = TOTP at step = counter; 6 digits */
	static const int64_t v[] = { 755224, 287082, 359152, 969429, 338314,
	    254676, 287922, 162583, 399871, 520489 };

	for (uint64_t i = 0; i < 10; i++)
		check(totp_code(seed, 20, i, 6) == v[i]);
	check(totp_code(seed, 20, 0, 5) == -1);
	check(totp_code(seed, 20, 0, 9) == -1);
	check(totp_code(NULL, 20, 0, 6) == -1);
	check(totp_code_equal(755224, 755224));
	check(!totp_code_equal(755224, 755225));
}

static void
test_parse(void)
{
	int64_t c = -1;

	check(totp_code_parse("012345", 6, &c) == 0 && c == 12345);
	check(totp_code_parse("12345", 6, &c) != 0);
	check(totp_code_parse("1234567", 6, &c) != 0);
	check(totp_code_parse("12a456", 6, &c) != 0);
	check(totp_code_parse(" 12345", 6, &c) != 0);
	check(totp_code_parse("", 6, &c) != 0);
}

static void
test_base32(void)
{
	char out[64];

	/* RFC 4648 section 10, without padding */
	check(totp_base32(out, sizeof(out), (const uint8_t *)"f", 1) == 0 &&
	    strcmp(out, "MY") == 0);
	check(totp_base32(out, sizeof(out), (const uint8_t *)"foob", 4) == 0 &&
	    strcmp(out, "MZXW6YQ") == 0);
	check(totp_base32(out, sizeof(out), (const uint8_t *)"foobar", 6) == 0 &&
	    strcmp(out, "MZXW6YTBOI") == 0);
	check(totp_base32(out, sizeof(out), seed, 20) == 0 &&
	    strcmp(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") == 0 &&
	    strlen(out) == TOTP_SECRET_B32_CHARS);
	check(totp_base32(out, 32, seed, 20) != 0);	/* no room for NUL */
}

static void
test_recovery(void)
{
	char a[RECOVERY_CODE_SHOWN_BYTES], b[RECOVERY_CODE_SHOWN_BYTES];
	char n[RECOVERY_CODE_CHARS + 1], m[RECOVERY_CODE_CHARS + 1];
	uint8_t key[RECOVERY_KEY_BYTES], k2[RECOVERY_KEY_BYTES];
	uint8_t h1[RECOVERY_HASH_BYTES], h2[RECOVERY_HASH_BYTES];

	totp_recovery_new(a);
	totp_recovery_new(b);
	check(strlen(a) == 19 && a[4] == '-' && a[9] == '-' && a[14] == '-');
	check(strcmp(a, b) != 0);
	check(totp_recovery_normalise(n, a) == 0 && strlen(n) == 16);
	/* typed in upper case, with spaces instead of dashes */
	check(totp_recovery_normalise(m, "ABCD EFGH-ijkl 2345") == 0 &&
	    strcmp(m, "abcdefghijkl2345") == 0);
	check(totp_recovery_normalise(m, "abcdefghijkl234") != 0);
	check(totp_recovery_normalise(m, "abcdefghijkl23456") != 0);
	check(totp_recovery_normalise(m, "abcdefghijkl2341") != 0); /* '1' */
	check(totp_recovery_normalise(m, "abcdefghijkl234!") != 0);
	check(totp_recovery_normalise(m, "") != 0);

	secmem_random(key, sizeof(key));
	secmem_random(k2, sizeof(k2));
	totp_recovery_hash(h1, key, "userA", n);
	totp_recovery_hash(h2, key, "userA", n);
	check(memcmp(h1, h2, sizeof(h1)) == 0);
	totp_recovery_hash(h2, key, "userB", n);	/* bound to the user */
	check(memcmp(h1, h2, sizeof(h1)) != 0);
	totp_recovery_hash(h2, k2, "userA", n);		/* and to the key */
	check(memcmp(h1, h2, sizeof(h1)) != 0);
}

int
main(void)
{
	if (secmem_init() != 0)
		return 1;
	test_rfc6238();
	test_rfc4226();
	test_parse();
	test_base32();
	test_recovery();
	return test_done("test_totp");
}
