/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_session: the session table's keys (issue 18). A token is id || K_s;
 * the secret key and cached keys open only with the K_s the token carries;
 * a known id with another K_s is no token; the password confirmation that lets a
 * request open the org key lasts REAUTH_WINDOW_S and no longer; a user's
 * sessions end all but their decoys when asked (issue 14, review L1).
 */
#include <string.h>

#include "crypto/encode.h"
#include "crypto/secmem.h"
#include "crypto/userkey.h"
#include "server/core/session.h"
#include "server/limits.h"
#include "testutil.h"

/* 1 if needle (32 bytes) occurs in [p, p + len) */
static int
holds(const uint8_t *p, size_t len, const uint8_t needle[32])
{
	for (size_t i = 0; i + 32 <= len; i++)
		if (memcmp(p + i, needle, 32) == 0)
			return 1;
	return 0;
}

/* An active, enrolled caseworker with a fresh key pair (sk: its secret). */
static void
unit_user(struct user_row *u, const char *id, const char *name, uint8_t sk[32])
{
	memset(u, 0, sizeof(*u));
	memcpy(u->id, id, strlen(id) + 1);
	memcpy(u->username, name, strlen(name) + 1);
	u->role = ROLE_CASEWORKER;
	u->status = USER_ACTIVE;
	u->enrolled = 1;
	userkey_generate(u->pk, sk);
}

static void
test_confirm_window(void)
{
	int64_t t = 1700000000;

	check(!session_confirm_fresh(0, t));		/* never confirmed */
	check(session_confirm_fresh(t, t));
	check(session_confirm_fresh(t, t + REAUTH_WINDOW_S - 1));
	check(!session_confirm_fresh(t, t + REAUTH_WINDOW_S));
	check(!session_confirm_fresh(t, t + 8 * 3600));
	check(!session_confirm_fresh(t, t - 1));	/* clock stepped back */
	check(REAUTH_WINDOW_S == 300);
}

static void
test_token_and_boxes(void)
{
	struct user_row u;
	struct session *s, *again;
	uint8_t sk[32], out[32], ks[SKEY_KEY_BYTES], ks2[SKEY_KEY_BYTES];
	uint8_t raw[TOKEN_BYTES + 1], kc[32];
	char tok[TOKEN_B64_CHARS + 1], forged[TOKEN_B64_CHARS + 1];
	size_t raw_len = 0;
	int64_t exp;

	unit_user(&u, "AAAAAAAAAAAAAAAAAAAAAA", "unit", sk);
	secmem_random(kc, sizeof(kc));

	check(session_create(&u, sk, 0, tok, sizeof(tok), &exp) == 0);
	check(strlen(tok) == TOKEN_B64_CHARS);
	check(decode_b64url(raw, sizeof(raw), &raw_len, tok, strlen(tok)) == 0);
	check(raw_len == TOKEN_BYTES);

	s = session_lookup(tok, strlen(tok), ks);
	check(s != NULL);
	if (s == NULL)
		return;
	check(memcmp(ks, raw + TOKEN_ID_BYTES, SKEY_KEY_BYTES) == 0);
	check(session_sk_open(s, ks, out) == 0 && memcmp(out, sk, 32) == 0);
	memcpy(ks2, ks, sizeof(ks2));
	ks2[0] ^= 1;
	check(session_sk_open(s, ks2, out) != 0);
	check(!holds(out, sizeof(out), sk));		/* wiped on failure */

	/* the key cache: boxed, and only under the right K_s */
	session_key_put(s, ks, "BBBBBBBBBBBBBBBBBBBBBB", 1, kc);
	check(session_key_get(s, ks, "BBBBBBBBBBBBBBBBBBBBBB", 1, out) == 0 &&
	    memcmp(out, kc, 32) == 0);
	check(session_key_get(s, ks2, "BBBBBBBBBBBBBBBBBBBBBB", 1, out) != 0);
	check(session_key_get(s, ks, "BBBBBBBBBBBBBBBBBBBBBB", 2, out) != 0);
	check(session_key_get(s, ks, "CCCCCCCCCCCCCCCCCCCCCC", 1, out) != 0);

	/* the slot table around s holds no key in the clear (the secrets
	 * slab and the whole process are searched by test_seizure.py) */
	check(!holds((const uint8_t *)s, 4096, sk));
	check(!holds((const uint8_t *)s, 4096, kc));

	/* the confirmation starts unset and can be set and cleared */
	check(!session_confirmed(s));
	session_confirm(s, 1);
	check(session_confirmed(s));
	session_confirm(s, 0);
	check(!session_confirmed(s));

	/* a new key pair goes in under the same K_s */
	userkey_generate(u.pk, sk);
	session_set_keypair(s, ks, u.pk, sk);
	check(session_sk_open(s, ks, out) == 0 && memcmp(out, sk, 32) == 0);
	session_release(s);

	/* the right id with another K_s: no session */
	raw[TOKEN_BYTES - 1] ^= 1;
	check(encode_b64url(forged, sizeof(forged), raw, TOKEN_BYTES) == 0);
	memset(ks2, 0, sizeof(ks2));
	check(session_lookup(forged, strlen(forged), ks2) == NULL);
	/* the id alone (the old 43-character form) */
	check(session_lookup(tok, 43, ks2) == NULL);
	again = session_lookup(tok, strlen(tok), ks2);
	check(again != NULL);
	session_release(again);
	secmem_wipe(sk, sizeof(sk));
	secmem_wipe(ks, sizeof(ks));
	secmem_wipe(ks2, sizeof(ks2));
}

/* L1 of the duress review: a second duress login ends the account's
 * other sessions but not the decoy the captor already holds. */
static void
test_end_except_decoys(void)
{
	struct session_opts plain = { 0, 0, NULL }, decoy = { 0, 1, NULL };
	struct user_row u;
	struct session *s;
	uint8_t sk[32], ks[SKEY_KEY_BYTES];
	char t1[TOKEN_B64_CHARS + 1], t2[TOKEN_B64_CHARS + 1];
	int64_t exp;

	unit_user(&u, "CCCCCCCCCCCCCCCCCCCCCC", "unit-decoy", sk);
	check(session_create_opts(&u, sk, &plain, t1, sizeof(t1), &exp) == 0);
	check(session_create_opts(&u, sk, &decoy, t2, sizeof(t2), &exp) == 0);
	session_end_user_except_decoys(u.id);
	check(session_lookup(t1, strlen(t1), ks) == NULL);
	s = session_lookup(t2, strlen(t2), ks);
	check(s != NULL && session_decoy(s));
	if (s != NULL)
		session_release(s);
	/* the old call ends both */
	session_end_user(u.id, NULL);
	check(session_lookup(t2, strlen(t2), ks) == NULL);
	secmem_wipe(sk, sizeof(sk));
	secmem_wipe(ks, sizeof(ks));
	secmem_wipe(t1, sizeof(t1));
	secmem_wipe(t2, sizeof(t2));
}

int
main(void)
{
	if (secmem_init() != 0 || session_init(60) != 0)
		return 2;
	test_confirm_window();
	test_token_and_boxes();
	test_end_except_decoys();
	session_shutdown();
	return test_done("test_session");
}
