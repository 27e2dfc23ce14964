/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_crypto: wrap/unwrap of every key layer. Each positive case has its
 * forgeries: wrong password, tampered ciphertext, associated data bound to
 * another user or place, and checks that failures wipe their outputs.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "crypto/secmem.h"
#include "crypto/keys.h"
#include "crypto/userkey.h"
#include "crypto/seal.h"
#include "crypto/field.h"
#include "crypto/encode.h"
#include "crypto/token.h"
#include "testutil.h"

static int
all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= b[i];
	return acc == 0;
}

static void
test_userkey(void)
{
	uint8_t pk[32], sk[32], out[32], blob[USERKEY_BLOB_BYTES];
	const char *pw = "correct horse battery staple";

	userkey_generate(pk, sk);
	check(userkey_seal(blob, "userA", pw, strlen(pw), sk) == 0);
	check(userkey_open(out, "userA", pw, strlen(pw), blob, sizeof(blob)) == 0);
	check(memcmp(out, sk, 32) == 0);
	check(userkey_matches(pk, out));

	/* wrong password fails and wipes the output */
	memset(out, 0xAA, sizeof(out));
	check(userkey_open(out, "userA", "wrong password!!", 16, blob,
	    sizeof(blob)) != 0);
	check(all_zero(out, sizeof(out)));

	/* the blob is bound to its user: another user's id fails */
	check(userkey_open(out, "userB", pw, strlen(pw), blob, sizeof(blob)) != 0);

	/* every single-byte change of the ciphertext, nonce or salt fails */
	for (size_t i = 17; i < sizeof(blob); i += 7) {
		blob[i] ^= 0x01;
		check(userkey_open(out, "userA", pw, strlen(pw), blob,
		    sizeof(blob)) != 0);
		blob[i] ^= 0x01;
	}
	/* truncated blob */
	check(userkey_open(out, "userA", pw, strlen(pw), blob,
	    sizeof(blob) - 1) != 0);
	/* limits weakened below INTERACTIVE are refused */
	blob[8] = 0;	/* low byte of opslimit: 2 -> 0 */
	check(userkey_open(out, "userA", pw, strlen(pw), blob, sizeof(blob)) != 0);
}

/* seal_msg: a break-glass reason (salt || text) to one auditor */
static void
test_seal_msg(void)
{
	uint8_t pk[32], sk[32], pk2[32], sk2[32];
	uint8_t msg[SEAL_MSG_MAX], out[SEAL_MSG_MAX], blob[SEAL_MSG_BLOB_MAX];
	size_t blob_len = 0, out_len = 0;

	userkey_generate(pk, sk);
	userkey_generate(pk2, sk2);
	memset(msg, 'r', sizeof(msg));
	check(seal_msg(blob, sizeof(blob), &blob_len, SEAL_KIND_REASON, "41",
	    "auditorA", msg, sizeof(msg), pk) == 0);
	check(blob_len <= SEAL_MSG_BLOB_MAX);
	check(seal_msg_open(out, sizeof(out), &out_len, SEAL_KIND_REASON, "41",
	    "auditorA", pk, sk, blob, blob_len) == 0);
	check(out_len == sizeof(msg) && memcmp(out, msg, out_len) == 0);
	/* the seq and the auditor are bound; another key does not open it */
	check(seal_msg_open(out, sizeof(out), &out_len, SEAL_KIND_REASON, "42",
	    "auditorA", pk, sk, blob, blob_len) != 0);
	check(out_len == 0 && all_zero(out, sizeof(out)));
	check(seal_msg_open(out, sizeof(out), &out_len, SEAL_KIND_REASON, "41",
	    "auditorB", pk, sk, blob, blob_len) != 0);
	check(seal_msg_open(out, sizeof(out), &out_len, SEAL_KIND_REASON, "41",
	    "auditorA", pk2, sk2, blob, blob_len) != 0);
	/* a buffer too small, and a tampered blob */
	check(seal_msg_open(out, 10, &out_len, SEAL_KIND_REASON, "41",
	    "auditorA", pk, sk, blob, blob_len) != 0);
	blob[blob_len - 1] ^= 1;
	check(seal_msg_open(out, sizeof(out), &out_len, SEAL_KIND_REASON, "41",
	    "auditorA", pk, sk, blob, blob_len) != 0);
	/* sizes: nothing empty, nothing over SEAL_MSG_MAX, room checked */
	check(seal_msg(blob, sizeof(blob), &blob_len, SEAL_KIND_REASON, "41",
	    "auditorA", msg, 0, pk) != 0);
	check(seal_msg(blob, sizeof(blob), &blob_len, SEAL_KIND_REASON, "41",
	    "auditorA", msg, SEAL_MSG_MAX + 1, pk) != 0);
	check(seal_msg(blob, 100, &blob_len, SEAL_KIND_REASON, "41",
	    "auditorA", msg, sizeof(msg), pk) != 0);
}

static void
test_seal(void)
{
	uint8_t pk[32], sk[32], pk2[32], sk2[32], key[32], out[32];
	uint8_t blob[SEAL_BLOB_MAX];
	size_t blob_len;

	userkey_generate(pk, sk);
	userkey_generate(pk2, sk2);
	seal_new_key(key);
	check(seal_key(blob, sizeof(blob), &blob_len, SEAL_KIND_CASE, "case1",
	    "userA", key, pk) == 0);
	check(seal_open(out, SEAL_KIND_CASE, "case1", "userA", pk, sk, blob,
	    blob_len) == 0);
	check(memcmp(out, key, 32) == 0);
	/* ids are checked after opening */
	check(seal_open(out, SEAL_KIND_CASE, "case2", "userA", pk, sk, blob,
	    blob_len) != 0);
	check(all_zero(out, 32));
	check(seal_open(out, SEAL_KIND_CASE, "case1", "userB", pk, sk, blob,
	    blob_len) != 0);
	check(seal_open(out, SEAL_KIND_EVAC, "case1", "userA", pk, sk, blob,
	    blob_len) != 0);
	/* another recipient's key cannot open it */
	check(seal_open(out, SEAL_KIND_CASE, "case1", "userA", pk2, sk2, blob,
	    blob_len) != 0);
	blob[blob_len - 1] ^= 1;
	check(seal_open(out, SEAL_KIND_CASE, "case1", "userA", pk, sk, blob,
	    blob_len) != 0);
}

static void
test_field(void)
{
	uint8_t key[32], key2[32], ct[128], ct2[128];
	char pt[64];
	size_t ct_len, ct2_len, pt_len;
	const char *msg = "safe house at Lenina 5";

	seal_new_key(key);
	seal_new_key(key2);
	check(field_encrypt(ct, sizeof(ct), &ct_len, key, "cases", "c1", "notes",
	    1, msg, strlen(msg)) == 0);
	check(ct_len == strlen(msg) + FIELD_OVERHEAD);
	check(memmem(ct, ct_len, "Lenina", 6) == NULL);
	check(field_decrypt(pt, sizeof(pt), &pt_len, key, "cases", "c1", "notes",
	    1, ct, ct_len) == 0);
	check(pt_len == strlen(msg) && memcmp(pt, msg, pt_len) == 0);
	/* moved to another row, field, table or key version: fails */
	check(field_decrypt(pt, sizeof(pt), &pt_len, key, "cases", "c2", "notes",
	    1, ct, ct_len) != 0);
	check(field_decrypt(pt, sizeof(pt), &pt_len, key, "cases", "c1", "person",
	    1, ct, ct_len) != 0);
	check(field_decrypt(pt, sizeof(pt), &pt_len, key, "contacts", "c1",
	    "notes", 1, ct, ct_len) != 0);
	check(field_decrypt(pt, sizeof(pt), &pt_len, key, "cases", "c1", "notes",
	    2, ct, ct_len) != 0);
	/* wrong key */
	check(field_decrypt(pt, sizeof(pt), &pt_len, key2, "cases", "c1",
	    "notes", 1, ct, ct_len) != 0);
	/* fresh nonce each time: same plaintext, different ciphertext */
	check(field_encrypt(ct2, sizeof(ct2), &ct2_len, key, "cases", "c1",
	    "notes", 1, msg, strlen(msg)) == 0);
	check(ct2_len == ct_len && memcmp(ct, ct2, ct_len) != 0);
	/* tamper */
	ct[30] ^= 0x80;
	memset(pt, 'x', sizeof(pt));
	check(field_decrypt(pt, sizeof(pt), &pt_len, key, "cases", "c1", "notes",
	    1, ct, ct_len) != 0);
	check(all_zero(pt, strlen(msg)));
	/* too short */
	check(field_decrypt(pt, sizeof(pt), &pt_len, key, "cases", "c1", "notes",
	    1, ct, FIELD_OVERHEAD - 1) != 0);
}

/* The signing key file, and the combined version-1 file of directories
 * made before the split. path is a K_db file of ks under "new operator
 * pass". */
static void
test_signfile(const char *dir, struct keys_secret *ks,
    struct keys_secret *ks2, const char *path)
{
	char spath[160], vpath[160];
	uint8_t sk[KEYS_AUDIT_SK_BYTES];
	struct stat st;

	snprintf(spath, sizeof(spath), "%s/audit-key", dir);
	snprintf(vpath, sizeof(vpath), "%s/keys-v1", dir);
	check(keys_sign_create(spath, "signing pass", 12, ks->audit_sk)
	    == KEYS_OK);
	check(stat(spath, &st) == 0 && (st.st_mode & 0777) == 0600 &&
	    (size_t)st.st_size == KEYS_SIGN_FILE_BYTES);
	check(keys_sign_create(spath, "signing pass", 12, ks->audit_sk)
	    == KEYS_EEXIST);
	check(keys_sign_open(spath, "signing pass", 12, sk) == KEYS_OK);
	check(memcmp(sk, ks->audit_sk, sizeof(sk)) == 0);
	check(keys_sign_open(spath, "signing pasS", 12, sk) == KEYS_EPASS);
	check(all_zero(sk, sizeof(sk)));
	/* neither opens as the other */
	check(keys_sign_open(path, "new operator pass", 17, sk)
	    == KEYS_EFORMAT);
	check(keys_wrap_open(spath, "signing pass", 12, ks2) == KEYS_EFORMAT);
	check(all_zero(ks2, sizeof(*ks2)));
	check(keys_sign_replace(spath, "other pass", 10, ks->audit_sk)
	    == KEYS_OK);
	check(keys_sign_open(spath, "other pass", 10, sk) == KEYS_OK);
	check(memcmp(sk, ks->audit_sk, sizeof(sk)) == 0);
	/* a combined file: still written as one when combined is set (a
	 * passphrase change before the split), and opens with both keys */
	ks->combined = 1;
	check(keys_wrap_create(vpath, "old", 3, ks) == KEYS_OK);
	ks->combined = 0;
	check(stat(vpath, &st) == 0 &&
	    (size_t)st.st_size == KEYS_V1_FILE_BYTES);
	check(keys_wrap_open(vpath, "old", 3, ks2) == KEYS_OK);
	check(ks2->combined == 1 && memcmp(ks2->db_key, ks->db_key,
	    sizeof(ks->db_key)) == 0 && memcmp(ks2->audit_sk, ks->audit_sk,
	    sizeof(ks->audit_sk)) == 0);
	check(keys_sign_open(vpath, "old", 3, sk) == KEYS_EFORMAT);
	secmem_wipe(sk, sizeof(sk));
	unlink(spath);
	unlink(vpath);
}

static void
test_wrapfile(void)
{
	char dir[] = "/tmp/corridor-test-XXXXXX", path[128];
	struct keys_secret *ks, *ks2;
	struct stat st;
	uint8_t raw[KEYS_DB_FILE_BYTES];
	FILE *f;

	ks = secmem_alloc(sizeof(*ks));
	ks2 = secmem_alloc(sizeof(*ks2));
	check(ks != NULL && ks2 != NULL);
	check(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/keys", dir);

	keys_new_secret(ks);
	check(keys_wrap_create(path, "operator pass", 13, ks) == KEYS_OK);
	check(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* O_EXCL: never overwrite an existing key file */
	check(keys_wrap_create(path, "operator pass", 13, ks) == KEYS_EEXIST);
	check(keys_wrap_open(path, "operator pass", 13, ks2) == KEYS_OK);
	check(memcmp(ks->db_key, ks2->db_key, sizeof(ks->db_key)) == 0);
	/* wrong passphrase fails and wipes */
	check(keys_wrap_open(path, "operator pasS", 13, ks2) == KEYS_EPASS);
	check(all_zero(ks2, sizeof(*ks2)));

	/* flip a byte of the ciphertext: fails */
	f = fopen(path, "rb");
	check(f != NULL && fread(raw, 1, sizeof(raw), f) == sizeof(raw));
	fclose(f);
	{
		struct keys_wrap w;
		check(keys_wrap_parse(&w, raw, sizeof(raw)) == KEYS_OK);
		check(keys_wrap_parse(&w, raw, sizeof(raw) - 1) == KEYS_EFORMAT);
		raw[12 + 7] = 1;	/* opslimit 1 < MODERATE */
		check(keys_wrap_parse(&w, raw, sizeof(raw)) == KEYS_EFORMAT);
	}
	/* replace atomically with a new passphrase */
	check(keys_wrap_replace(path, "new operator pass", 17, ks) == KEYS_OK);
	check(keys_wrap_open(path, "operator pass", 13, ks2) == KEYS_EPASS);
	check(keys_wrap_open(path, "new operator pass", 17, ks2) == KEYS_OK);
	check(memcmp(ks->db_key, ks2->db_key, sizeof(ks->db_key)) == 0);

	/* the K_db file holds K_db only: the signing key is not in it */
	check(ks2->combined == 0 && all_zero(ks2->audit_sk,
	    sizeof(ks2->audit_sk)));
	{
		struct stat st2;
		check(stat(path, &st2) == 0 &&
		    (size_t)st2.st_size == KEYS_DB_FILE_BYTES);
	}
	test_signfile(dir, ks, ks2, path);

	unlink(path);
	rmdir(dir);
	secmem_free(ks);
	secmem_free(ks2);
}

static void
test_encode(void)
{
	uint8_t bin[16], back[16];
	char s[64];
	size_t n;
	char id[23];

	secmem_random(bin, sizeof(bin));
	check(encode_b64url(s, sizeof(s), bin, sizeof(bin)) == 0);
	check(strlen(s) == 22);
	check(decode_b64url(back, sizeof(back), &n, s, strlen(s)) == 0);
	check(n == 16 && memcmp(bin, back, 16) == 0);
	/* trailing garbage and bad alphabet are rejected */
	check(decode_b64url(back, sizeof(back), &n, "AAAA!", 5) != 0);
	check(decode_b64url(back, sizeof(back), &n, "AA+A", 4) != 0);
	/* libsodium 1.0.18 alone decodes any byte >= 0x80 as if it were in
	 * the alphabet (found by fuzz_witness): one value, many spellings.
	 * Every such byte, and every other byte outside each alphabet, is
	 * refused in every position. */
	{
		unsigned bad_std = 0, bad_url = 0;

		for (unsigned c = 1; c < 256; c++) {
			int in_std = (c >= 'A' && c <= 'Z') ||
			    (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '+' || c == '/';
			int in_url = (c >= 'A' && c <= 'Z') ||
			    (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '_';

			for (int pos = 0; pos < 3; pos++) {
				char t[5] = "AAA=", u[5] = "AAAA";

				t[pos] = (char)c;
				u[pos] = (char)c;
				/* "AA==" is the one padded spelling */
				if (!in_std && !(c == '=' && pos == 2) &&
				    decode_b64(back, sizeof(back), &n,
				    t, 4) == 0)
					bad_std++;
				if (!in_url && decode_b64url(back, sizeof(back),
				    &n, u, 4) == 0)
					bad_url++;
			}
		}
		if (bad_std != 0 || bad_url != 0)
			fail("%u / %u spellings outside the alphabet decoded",
			    bad_std, bad_url);
		else
			test_passes++;
	}
	check(encode_b64url(s, 10, bin, sizeof(bin)) != 0);
	token_new_id(id);
	check(strlen(id) == 22);
}

static void
test_wipe(void)
{
	uint8_t buf[64];

	memset(buf, 0x5A, sizeof(buf));
	secmem_wipe(buf, sizeof(buf));
	check(all_zero(buf, sizeof(buf)));
	check(secmem_equal("abc", "abc", 3));
	check(!secmem_equal("abc", "abd", 3));
}

int
main(void)
{
	if (secmem_init() != 0) {
		fail("sodium_init");
		return 1;
	}
	test_userkey();
	test_seal();
	test_seal_msg();
	test_field();
	test_wrapfile();
	test_encode();
	test_wipe();
	return test_done("test_crypto");
}
