/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_note: signed notes and checkpoints. Interoperability first: the
 * PeterNeumann / EnochRoot vectors of Go's golang.org/x/mod/sumdb/note are
 * reproduced byte for byte (Ed25519 is deterministic). Then every way a
 * checkpoint can be forged or malformed: another key, another origin, an
 * altered size or root, a forged signature, and the parser's bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crypto/encode.h"
#include "crypto/note.h"
#include "crypto/secmem.h"
#include "testutil.h"

#define ORIGIN	"corridor.example/audit/test"

/* --- Go sumdb/note vectors ----------------------------------------------- */

static const char go_vkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char go_skey_b64[] =	/* 0x01 || seed, from the skey */
    "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char go_text[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
static const char go_sig_peter[] =
    "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInN"
    "IuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_vkey[] =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char go_sig_enoch[] =
    "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2ti"
    "OHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

static void
test_go_vectors(void)
{
	uint8_t skey[33], pk[NOTE_PK_BYTES], sk[NOTE_SK_BYTES];
	struct note_vkey vk, parsed, enoch;
	char out[NOTE_MAX_BYTES], vtext[NOTE_VKEY_MAX_BYTES], want[1024];
	size_t len = 0, text_len = 0;
	int n;

	check(decode_b64(skey, sizeof(skey), &len, go_skey_b64,
	    strlen(go_skey_b64)) == 0 && len == 33 && skey[0] == 1);
	note_keypair_from_seed(pk, sk, skey + 1);
	check(note_vkey_init(&vk, "PeterNeumann", 12, pk) == NOTE_OK);
	check(vk.key_id == 0xc74f20a3u);
	check(note_key_id("PeterNeumann", 12, pk) == 0xc74f20a3u);
	check(note_vkey_format(vtext, sizeof(vtext), &vk) == NOTE_OK);
	check(strcmp(vtext, go_vkey) == 0);
	check(note_vkey_parse(&parsed, go_vkey, strlen(go_vkey)) == NOTE_OK);
	check(note_vkey_equal(&parsed, &vk));

	/* signing reproduces Go's note exactly */
	n = snprintf(want, sizeof(want), "%s\n%s", go_text, go_sig_peter);
	check(n > 0 && (size_t)n < sizeof(want));
	check(note_sign(out, sizeof(out), &len, go_text, strlen(go_text),
	    "PeterNeumann", 12, sk) == NOTE_OK);
	check(len == strlen(want) && memcmp(out, want, len) == 0);
	check(note_open(&text_len, want, strlen(want), &vk) == NOTE_OK);
	check(text_len == strlen(go_text));

	/* the doubly-signed note opens under either key */
	n = snprintf(want, sizeof(want), "%s\n%s%s", go_text, go_sig_peter,
	    go_sig_enoch);
	check(n > 0 && (size_t)n < sizeof(want));
	check(note_vkey_parse(&enoch, enoch_vkey, strlen(enoch_vkey)) ==
	    NOTE_OK);
	check(note_open(&text_len, want, strlen(want), &vk) == NOTE_OK);
	check(note_open(&text_len, want, strlen(want), &enoch) == NOTE_OK);
	check(text_len == strlen(go_text));

	/* one altered letter of the text */
	want[24] ^= 0x20;	/* "cryptography" -> "cryptographY" */
	check(note_open(&text_len, want, strlen(want), &vk) == NOTE_EBADSIG);
	check(note_open(&text_len, want, strlen(want), &enoch) ==
	    NOTE_EBADSIG);
	secmem_wipe(sk, sizeof(sk));
}

/* Every proper substring and every byte + 1 of a key must be refused
 * (the manglings of Go's TestNewVerifier). */
static void
test_vkey_manglings(void)
{
	struct note_vkey vk;
	char b[sizeof(go_vkey)];
	size_t len = strlen(go_vkey);
	int bad = 0;

	for (size_t i = 0; i <= len; i++)
		for (size_t j = i + 1; j <= len; j++)
			if (!(i == 0 && j == len) &&
			    note_vkey_parse(&vk, go_vkey + i, j - i) == NOTE_OK) {
				fail("substring [%zu, %zu) accepted", i, j);
				bad++;
			}
	for (size_t i = 0; i < len; i++) {
		memcpy(b, go_vkey, sizeof(b));
		b[i]++;
		if (note_vkey_parse(&vk, b, len) == NOTE_OK) {
			fail("byte %zu + 1 accepted", i);
			bad++;
		}
	}
	check(bad == 0);
	/* upper-case hex is Go-compatible; the name rules hold */
	check(note_vkey_parse(&vk,
	    "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    len) == NOTE_OK);
	check(note_vkey_parse(&vk, "", 0) != NOTE_OK);
	/* a key of another algorithm (0x02 byte) */
	{
		uint8_t key[33];
		char b64[64], txt[NOTE_VKEY_MAX_BYTES];
		size_t kl = 0;

		check(decode_b64(key, sizeof(key), &kl, go_vkey + 22,
		    len - 22) == 0 && kl == 33);
		key[0] = 2;
		check(encode_b64(b64, sizeof(b64), key, sizeof(key)) == 0);
		check(snprintf(txt, sizeof(txt), "PeterNeumann+c74f20a3+%s",
		    b64) > 0);
		check(note_vkey_parse(&vk, txt, strlen(txt)) != NOTE_OK);
	}
}

static void
test_names(void)
{
	char name[NOTE_NAME_MAX_BYTES + 2];

	check(note_name_valid("example.com/log", 15));
	check(note_name_valid("caf\xc3\xa9.example/log", 17));	/* UTF-8 */
	check(!note_name_valid("", 0));
	check(!note_name_valid("a b", 3));
	check(!note_name_valid("a+b", 3));
	check(!note_name_valid("a\tb", 3));
	check(!note_name_valid("a\nb", 3));
	check(!note_name_valid("a\xc2\xa0" "b", 4));		/* U+00A0 */
	check(!note_name_valid("a\xe2\x80\x83" "b", 5));	/* U+2003 */
	check(!note_name_valid("a\xe3\x80\x80" "b", 5));	/* U+3000 */
	check(!note_name_valid("a\xff" "b", 3));		/* not UTF-8 */
	check(!note_name_valid("a\xc0\xaf", 3));		/* overlong */
	check(!note_name_valid("a\xed\xa0\x80", 4));		/* surrogate */
	check(!note_name_valid("a\xe2\x80", 3));		/* truncated */
	memset(name, 'a', sizeof(name));
	check(note_name_valid(name, NOTE_NAME_MAX_BYTES));
	check(!note_name_valid(name, NOTE_NAME_MAX_BYTES + 1));
}

/* --- checkpoints --------------------------------------------------------- */

static uint8_t pk[NOTE_PK_BYTES], sk[NOTE_SK_BYTES];
static uint8_t pk2[NOTE_PK_BYTES], sk2[NOTE_SK_BYTES];
static struct note_vkey vk, vk2;

static void
make_cp(struct note_checkpoint *cp, const char *origin, uint64_t size,
    uint8_t fill)
{
	memset(cp, 0, sizeof(*cp));
	snprintf(cp->origin, sizeof(cp->origin), "%s", origin);
	cp->origin_len = strlen(cp->origin);
	cp->size = size;
	memset(cp->root, fill, sizeof(cp->root));
}

/* Sign arbitrary text as ORIGIN with sk; returns the note length. */
static size_t
sign_text(char *out, size_t out_max, const char *text)
{
	size_t len = 0;

	if (note_sign(out, out_max, &len, text, strlen(text), ORIGIN,
	    strlen(ORIGIN), sk) != NOTE_OK) {
		fail("could not sign test text");
		return 0;
	}
	return len;
}

static void
test_checkpoint_roundtrip(void)
{
	struct note_checkpoint cp, got;
	char note[NOTE_MAX_BYTES], text[NOTE_MAX_BYTES], want[512];
	char root_b64[45];
	size_t len = 0, tlen = 0;

	make_cp(&cp, ORIGIN, 1234567, 0xab);
	check(note_checkpoint_format(text, sizeof(text), &tlen, &cp) ==
	    NOTE_OK);
	check(encode_b64(root_b64, sizeof(root_b64), cp.root, 32) == 0);
	check(snprintf(want, sizeof(want), "%s\n1234567\n%s\n", ORIGIN,
	    root_b64) > 0);
	check(tlen == strlen(want) && memcmp(text, want, tlen) == 0);

	check(note_checkpoint_sign(note, sizeof(note), &len, &cp, sk) ==
	    NOTE_OK);
	/* text, blank line, one signature line under the origin */
	check(len > tlen + 1 && memcmp(note, text, tlen) == 0);
	check(note[tlen] == '\n');
	check(memcmp(note + tlen + 1, "\xe2\x80\x94 " ORIGIN " ",
	    4 + strlen(ORIGIN) + 1) == 0);
	check(note[len - 1] == '\n');
	check(len == tlen + 1 + 4 + strlen(ORIGIN) + 1 + 92 + 1);

	check(note_checkpoint_parse(&got, note, len) == NOTE_OK);
	check(got.size == 1234567 && memcmp(got.root, cp.root, 32) == 0);
	check(strcmp(got.origin, ORIGIN) == 0);
	memset(&got, 0x55, sizeof(got));
	check(note_checkpoint_verify(&got, note, len, &vk) == NOTE_OK);
	check(got.size == 1234567 && memcmp(got.root, cp.root, 32) == 0);
	check(got.origin_len == strlen(ORIGIN));

	/* size 0 and the largest size */
	make_cp(&cp, ORIGIN, 0, 0);
	check(note_checkpoint_sign(note, sizeof(note), &len, &cp, sk) ==
	    NOTE_OK);
	check(note_checkpoint_verify(&got, note, len, &vk) == NOTE_OK &&
	    got.size == 0);
	make_cp(&cp, ORIGIN, (uint64_t)INT64_MAX, 1);
	check(note_checkpoint_sign(note, sizeof(note), &len, &cp, sk) ==
	    NOTE_OK);
	check(note_checkpoint_verify(&got, note, len, &vk) == NOTE_OK &&
	    got.size == (uint64_t)INT64_MAX);
	make_cp(&cp, ORIGIN, (uint64_t)INT64_MAX + 1, 1);
	check(note_checkpoint_sign(note, sizeof(note), &len, &cp, sk) ==
	    NOTE_EFORMAT);

	/* output buffer too small, by one byte */
	make_cp(&cp, ORIGIN, 7, 2);
	check(note_checkpoint_sign(note, sizeof(note), &len, &cp, sk) ==
	    NOTE_OK);
	check(note_checkpoint_sign(note, len - 1, &tlen, &cp, sk) ==
	    NOTE_ESPACE);
	check(note_checkpoint_sign(note, len, &tlen, &cp, sk) == NOTE_OK);
}

static void
test_checkpoint_forgeries(void)
{
	struct note_checkpoint cp, got;
	struct note_vkey other_pk;
	char note[NOTE_MAX_BYTES], forged[NOTE_MAX_BYTES];
	size_t len = 0, flen = 0, sig_at;

	make_cp(&cp, ORIGIN, 42, 0x42);
	check(note_checkpoint_sign(note, sizeof(note), &len, &cp, sk) ==
	    NOTE_OK);

	/* signed by another key under the same name: unknown key id */
	check(note_checkpoint_sign(forged, sizeof(forged), &flen, &cp, sk2) ==
	    NOTE_OK);
	check(note_checkpoint_verify(&got, forged, flen, &vk) ==
	    NOTE_EUNSIGNED);
	check(got.size == 0);
	check(note_checkpoint_verify(&got, forged, flen, &vk2) == NOTE_OK);

	/* a pinned key with the right name and id but another public key
	 * (as if the id collided): the signature must not verify */
	other_pk = vk;
	memcpy(other_pk.pk, pk2, sizeof(pk2));
	check(note_checkpoint_verify(&got, note, len, &other_pk) ==
	    NOTE_EBADSIG);

	/* another origin, signed under that origin's name */
	make_cp(&cp, "evil.example/audit", 42, 0x42);
	check(note_checkpoint_sign(forged, sizeof(forged), &flen, &cp, sk) ==
	    NOTE_OK);
	check(note_checkpoint_verify(&got, forged, flen, &vk) ==
	    NOTE_EUNSIGNED);
	/* another origin in the text, signed under the pinned name */
	flen = sign_text(forged, sizeof(forged), "evil.example/audit\n42\n"
	    "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n");
	check(note_checkpoint_verify(&got, forged, flen, &vk) ==
	    NOTE_EORIGIN);

	/* altered size and altered root, signature kept */
	memcpy(forged, note, len);
	forged[strlen(ORIGIN) + 1] = '5';	/* "42" -> "52" */
	check(note_checkpoint_verify(&got, forged, len, &vk) == NOTE_EBADSIG);
	memcpy(forged, note, len);
	forged[strlen(ORIGIN) + 4] ^= 0x01;	/* first root char */
	check(note_checkpoint_verify(&got, forged, len, &vk) != NOTE_OK);
	/* every byte of the signature text, changed to another base64
	 * character: never accepted */
	sig_at = len - 93;
	for (size_t i = sig_at; i < len - 2; i++) {
		memcpy(forged, note, len);
		forged[i] = forged[i] == 'A' ? 'B' : 'A';
		if (note_checkpoint_verify(&got, forged, len, &vk) == NOTE_OK)
			fail("signature byte %zu altered, still verifies", i);
		else
			test_passes++;
	}

	/* unknown signature lines are ignored, before or after ours */
	{
		/* base64 of 68 zero bytes: a well-formed Ed25519-sized
		 * signature line from a key we do not know */
		static const char unknown[] = "\xe2\x80\x94 witness.example "
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
		size_t tl = len - 93 - strlen(ORIGIN) - 4 - 1 - 1;

		memcpy(forged, note, len);
		memcpy(forged + len, unknown, strlen(unknown));
		check(note_checkpoint_verify(&got, forged, len +
		    strlen(unknown), &vk) == NOTE_OK);
		/* insert it right after the blank line */
		memcpy(forged, note, tl + 1);
		memcpy(forged + tl + 1, unknown, strlen(unknown));
		memcpy(forged + tl + 1 + strlen(unknown), note + tl + 1,
		    len - tl - 1);
		check(note_checkpoint_verify(&got, forged, len +
		    strlen(unknown), &vk) == NOTE_OK);
	}
	/* a second, bad, line from the pinned key rejects the note */
	{
		size_t sl = len - (len - 93 - strlen(ORIGIN) - 4 - 1);

		memcpy(forged, note, len);
		memcpy(forged + len, note + len - sl, sl);
		forged[len + sl - 10] = forged[len + sl - 10] == 'A' ? 'B' : 'A';
		check(note_checkpoint_verify(&got, forged, len + sl, &vk) ==
		    NOTE_EBADSIG);
		/* and an identical duplicate is fine */
		memcpy(forged + len, note + len - sl, sl);
		check(note_checkpoint_verify(&got, forged, len + sl, &vk) ==
		    NOTE_OK);
	}
}

/* Texts that must not parse as checkpoints even when validly signed. */
static void
test_checkpoint_malformed(void)
{
	static const char *const bad_texts[] = {
		ORIGIN "\n05\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n",
		ORIGIN "\n-1\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n",
		ORIGIN "\n+5\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n",
		ORIGIN "\n 5\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n",
		ORIGIN "\n5 \nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n",
		ORIGIN "\n0x5\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n",
		ORIGIN "\n\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n",
		ORIGIN "\n9223372036854775808\n"
		    "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n",
		ORIGIN "\n18446744073709551616\n"
		    "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n",
		ORIGIN "\n5\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJ=\n",
		ORIGIN "\n5\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQg==\n",
		ORIGIN "\n5\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC\n",
		ORIGIN "\n5\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI\n",
		ORIGIN "\n5\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\next\n",
		ORIGIN "\n5\n",
		ORIGIN "\n5\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI= \n",
		"\n5\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n",
		ORIGIN " x\n5\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n",
	};
	static const char good[] =
	    ORIGIN "\n5\nQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n";
	struct note_checkpoint got;
	char note[NOTE_MAX_BYTES], bad[NOTE_MAX_BYTES + 64];
	size_t len, sl;

	len = sign_text(note, sizeof(note), good);
	check(note_checkpoint_verify(&got, note, len, &vk) == NOTE_OK);
	check(got.size == 5);

	for (size_t i = 0; i < sizeof(bad_texts) / sizeof(bad_texts[0]); i++) {
		size_t bl = 0;

		/* Some are not even valid note text ("\n\n" inside). */
		if (note_sign(bad, sizeof(bad), &bl, bad_texts[i],
		    strlen(bad_texts[i]), ORIGIN, strlen(ORIGIN), sk) !=
		    NOTE_OK) {
			test_passes++;
			continue;
		}
		if (note_checkpoint_verify(&got, bad, bl, &vk) == NOTE_OK ||
		    note_checkpoint_parse(&got, bad, bl) == NOTE_OK)
			fail("malformed checkpoint text %zu accepted", i);
		else
			test_passes++;
	}

	/* framing: no blank line, no final newline, CRLF, control bytes,
	 * broken UTF-8, no signature, a bad prefix, empty signature */
	sl = len - strlen(good) - 1;	/* the signature line */
	memcpy(bad, note, len);
	check(note_checkpoint_verify(&got, bad, len - 1, &vk) == NOTE_EFORMAT);
	memcpy(bad, good, strlen(good));
	memcpy(bad + strlen(good), note + strlen(good) + 1, sl);
	check(note_checkpoint_verify(&got, bad, strlen(good) + sl, &vk) ==
	    NOTE_EFORMAT);
	check(note_checkpoint_verify(&got, good, strlen(good), &vk) ==
	    NOTE_EFORMAT);
	memcpy(bad, note, len);
	bad[len - 1] = '\r';
	bad[len] = '\n';
	check(note_checkpoint_verify(&got, bad, len + 1, &vk) == NOTE_EFORMAT);
	memcpy(bad, note, len);
	bad[3] = '\x01';
	check(note_checkpoint_verify(&got, bad, len, &vk) == NOTE_EFORMAT);
	bad[3] = '\xff';
	check(note_checkpoint_verify(&got, bad, len, &vk) == NOTE_EFORMAT);
	memcpy(bad, note, len);
	memcpy(bad + strlen(good) + 1, "-- ", 3);	/* not an em dash */
	check(note_checkpoint_verify(&got, bad, len, &vk) == NOTE_EFORMAT);
	{
		static const char empty_sig[] = "\xe2\x80\x94 " ORIGIN " \n";
		static const char no_space[] = "\xe2\x80\x94 " ORIGIN "\n";
		static const char short_sig[] = "\xe2\x80\x94 " ORIGIN " AAAA\n";
		const char *lines[3] = { empty_sig, no_space, short_sig };

		for (int i = 0; i < 3; i++) {
			memcpy(bad, note, len);
			memcpy(bad + len, lines[i], strlen(lines[i]));
			check(note_checkpoint_verify(&got, bad, len +
			    strlen(lines[i]), &vk) == NOTE_EFORMAT);
		}
	}
	check(note_checkpoint_parse(&got, "", 0) == NOTE_EFORMAT);
	check(note_checkpoint_parse(&got, "\n\n", 2) == NOTE_EFORMAT);

	/* 16 signature lines are accepted, 17 are not; nor is a note
	 * above NOTE_MAX_BYTES */
	{
		char many[NOTE_MAX_BYTES + 200];
		size_t ml = len;

		memcpy(many, note, len);
		for (int i = 1; i < 16; i++) {
			memcpy(many + ml, note + len - sl, sl);
			ml += sl;
		}
		check(note_checkpoint_verify(&got, many, ml, &vk) == NOTE_OK);
		memcpy(many + ml, note + len - sl, sl);
		check(note_checkpoint_verify(&got, many, ml + sl, &vk) ==
		    NOTE_EFORMAT);
		memset(many, 'x', sizeof(many));
		check(note_checkpoint_parse(&got, many, NOTE_MAX_BYTES + 1) ==
		    NOTE_EFORMAT);
	}
}

static void
test_sign_errors(void)
{
	char out[NOTE_MAX_BYTES], big[NOTE_MAX_BYTES];
	size_t len;

	check(note_sign(out, sizeof(out), &len, "no newline", 10, ORIGIN,
	    strlen(ORIGIN), sk) == NOTE_EFORMAT);
	check(note_sign(out, sizeof(out), &len, "", 0, ORIGIN,
	    strlen(ORIGIN), sk) == NOTE_EFORMAT);
	check(note_sign(out, sizeof(out), &len, "a\x01\n", 3, ORIGIN,
	    strlen(ORIGIN), sk) == NOTE_EFORMAT);
	check(note_sign(out, sizeof(out), &len, "text\n", 5, "bad name", 8,
	    sk) == NOTE_EFORMAT);
	/* a text so long that the note would exceed NOTE_MAX_BYTES */
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 93] = '\n';	/* 8100 bytes + 126 of signature */
	check(note_sign(out, sizeof(out), &len, big, sizeof(big) - 92,
	    ORIGIN, strlen(ORIGIN), sk) == NOTE_EFORMAT);
	check(note_sign(out, 10, &len, "text\n", 5, ORIGIN, strlen(ORIGIN),
	    sk) == NOTE_ESPACE);
	check(strcmp(note_strerror(NOTE_EBADSIG), "signature does not verify")
	    == 0);
}

int
main(void)
{
	if (secmem_init() != 0) {
		fail("secmem_init");
		return test_done("test_note");
	}
	note_keypair(pk, sk);
	note_keypair(pk2, sk2);
	check(note_vkey_init(&vk, ORIGIN, strlen(ORIGIN), pk) == NOTE_OK);
	check(note_vkey_init(&vk2, ORIGIN, strlen(ORIGIN), pk2) == NOTE_OK);
	check(vk.key_id != vk2.key_id);

	test_go_vectors();
	test_vkey_manglings();
	test_names();
	test_checkpoint_roundtrip();
	test_checkpoint_forgeries();
	test_checkpoint_malformed();
	test_sign_errors();
	secmem_wipe(sk, sizeof(sk));
	secmem_wipe(sk2, sizeof(sk2));
	return test_done("test_note");
}
