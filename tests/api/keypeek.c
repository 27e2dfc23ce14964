/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * keypeek: a test helper that opens the key wraps an API test read out of
 * the database (with dbpeek), so the test knows the values of the keys it
 * then looks for in the server's memory (tests/api/test_seizure.py). It
 * reads commands from stdin, one a line, every field hex (a password may
 * hold spaces), and answers one line each: the key in hex, or "-".
 *
 *   usersk USER_ID SEALED PASSWORD     the user's X25519 secret key
 *   unseal KIND OBJECT RECIPIENT PK SK BLOB
 *                                      a sealed 32-byte key (K_case,
 *                                      K_evac, the org key)
 *
 * Never installed. Secrets pass through pipes, never argv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/encode.h"
#include "crypto/seal.h"
#include "crypto/secmem.h"
#include "crypto/userkey.h"

#define LINE_MAX_BYTES	8192u

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the hex field f into out (max bytes, the last kept for a NUL);
 * -1 on a bad or missing field. */
static int
unhex(const char *f, uint8_t *out, size_t max, size_t *len)
{
	size_t n;

	if (f == NULL || (n = strlen(f)) % 2 != 0 || n / 2 >= max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = nibble(f[2 * i]), lo = nibble(f[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	out[n / 2] = 0;
	*len = n / 2;
	return 0;
}

static char *
field(char **save)
{
	return strtok_r(NULL, " \n", save);
}

static void
answer(const uint8_t *k, size_t n)
{
	char hex[2 * 64 + 1];

	if (k == NULL || encode_hex(hex, sizeof(hex), k, n) != 0) {
		puts("-");
		return;
	}
	puts(hex);
	secmem_wipe(hex, sizeof(hex));
}

int
main(void)
{
	static char line[LINE_MAX_BYTES];
	uint8_t a[512], b[512], c[512], key[32];
	char id1[256], id2[256], kind[32];
	size_t al, bl, cl;

	if (secmem_init() != 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *save = NULL, *cmd = strtok_r(line, " \n", &save);
		int ok = 0;

		if (cmd == NULL)
			continue;
		if (strcmp(cmd, "usersk") == 0) {
			ok = unhex(field(&save), (uint8_t *)id1, sizeof(id1),
			    &al) == 0 &&
			    unhex(field(&save), a, sizeof(a), &al) == 0 &&
			    unhex(field(&save), b, sizeof(b), &bl) == 0 &&
			    userkey_open(key, id1, (const char *)b, bl, a,
			    al) == 0;
		} else if (strcmp(cmd, "unseal") == 0) {
			ok = unhex(field(&save), (uint8_t *)kind, sizeof(kind),
			    &al) == 0 &&
			    unhex(field(&save), (uint8_t *)id1, sizeof(id1),
			    &al) == 0 &&
			    unhex(field(&save), (uint8_t *)id2, sizeof(id2),
			    &al) == 0 &&
			    unhex(field(&save), a, sizeof(a), &al) == 0 &&
			    al == 32 &&
			    unhex(field(&save), b, sizeof(b), &bl) == 0 &&
			    bl == 32 &&
			    unhex(field(&save), c, sizeof(c), &cl) == 0 &&
			    seal_open(key, kind, id1, id2, a, b, c, cl) == 0;
		}
		answer(ok ? key : NULL, 32);
		secmem_wipe(key, sizeof(key));
		secmem_wipe(line, sizeof(line));
		secmem_wipe(b, sizeof(b));
	}
	return 0;
}
