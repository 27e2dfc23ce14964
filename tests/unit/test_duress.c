/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_duress: crypto/userkey.h's duress password (issue 14). One login
 * derivation answers both passwords: the real one opens the key, the
 * duress one is recognised only with its verifier, a wrong one is
 * neither; a verifier is bound to its user and to the blob's salt; an
 * erased blob opens with no password but still recognises the duress
 * one; every failure wipes the output key.
 */
#include <stdint.h>
#include <string.h>

#include "crypto/userkey.h"
#include "testutil.h"

static int
all_zero(const uint8_t *b, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= b[i];
	return acc == 0;
}

int
main(void)
{
	static const char pw[] = "real passphrase of umar";
	static const char duress[] = "a different duress phrase";
	uint8_t pk[32], sk[32], out[32], blob[USERKEY_BLOB_BYTES];
	uint8_t blob2[USERKEY_BLOB_BYTES], v[USERKEY_DURESS_BYTES];
	uint8_t v_other[USERKEY_DURESS_BYTES];

	userkey_generate(pk, sk);
	check(userkey_seal(blob, "userA", pw, strlen(pw), sk) == 0);
	check(userkey_duress_verifier(v, "userA", duress, strlen(duress),
	    blob, sizeof(blob)) == 0);

	/* the real password opens, with or without a verifier */
	check(userkey_login(out, "userA", pw, strlen(pw), blob, sizeof(blob),
	    v) == USERKEY_LOGIN_OPEN && memcmp(out, sk, 32) == 0);
	check(userkey_login(out, "userA", pw, strlen(pw), blob, sizeof(blob),
	    NULL) == USERKEY_LOGIN_OPEN && memcmp(out, sk, 32) == 0);
	/* the duress password is recognised only with its verifier, and
	 * never opens the key */
	memset(out, 0xAA, sizeof(out));
	check(userkey_login(out, "userA", duress, strlen(duress), blob,
	    sizeof(blob), v) == USERKEY_LOGIN_DURESS);
	check(all_zero(out, sizeof(out)));
	memset(out, 0xAA, sizeof(out));
	check(userkey_login(out, "userA", duress, strlen(duress), blob,
	    sizeof(blob), NULL) == USERKEY_LOGIN_FAIL);
	check(all_zero(out, sizeof(out)));
	/* a wrong password is neither */
	check(userkey_login(out, "userA", "wrong password!!", 16, blob,
	    sizeof(blob), v) == USERKEY_LOGIN_FAIL);
	/* bound to the user: another user's id recognises nothing */
	check(userkey_login(out, "userB", duress, strlen(duress), blob,
	    sizeof(blob), v) == USERKEY_LOGIN_FAIL);
	/* bound to the salt: the same password over a new blob (a password
	 * change) gives another verifier */
	check(userkey_seal(blob2, "userA", pw, strlen(pw), sk) == 0);
	check(userkey_duress_verifier(v_other, "userA", duress,
	    strlen(duress), blob2, sizeof(blob2)) == 0);
	check(memcmp(v, v_other, sizeof(v)) != 0);

	/* erased: no password opens it; the duress one is still known (the
	 * decoy keeps working) */
	userkey_erase(blob);
	check(userkey_login(out, "userA", pw, strlen(pw), blob, sizeof(blob),
	    v) == USERKEY_LOGIN_FAIL);
	check(all_zero(out, sizeof(out)));
	check(userkey_open(out, "userA", pw, strlen(pw), blob,
	    sizeof(blob)) != 0);
	check(userkey_login(out, "userA", duress, strlen(duress), blob,
	    sizeof(blob), v) == USERKEY_LOGIN_DURESS);
	/* a truncated blob is refused before any work */
	check(userkey_duress_verifier(v_other, "userA", duress,
	    strlen(duress), blob, sizeof(blob) - 1) != 0);
	return test_done("test_duress");
}
