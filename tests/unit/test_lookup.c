/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_lookup: the case lookup's pieces below HTTP (issue 15, part 2):
 * phone and name normal forms (server/core/lookupnorm.c), the keyed
 * blind hash and its domain separation (crypto/blind.c), the terms of a
 * person object (server/core/blindidx.c) and the per-account rate limit
 * (server/core/lookuplimit.c), including that other accounts cannot push
 * a throttled account out of the table.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/blind.h"
#include "crypto/secmem.h"
#include "server/core/blindidx.h"
#include "server/core/lookuplimit.h"
#include "server/core/lookupnorm.h"
#include "server/limits.h"
#include "testutil.h"

static int
phone_is(const char *in, const char *want)
{
	char out[LOOKUPNORM_PHONE_BYTES];

	if (lookupnorm_phone(in, strlen(in), out) != 0) {
		fprintf(stderr, "phone %s: refused\n", in);
		return 0;
	}
	if (strcmp(out, want) != 0)
		fprintf(stderr, "phone %s: got %s, want %s\n", in, out, want);
	return strcmp(out, want) == 0;
}

static int
phone_bad(const char *in)
{
	char out[LOOKUPNORM_PHONE_BYTES];

	return lookupnorm_phone(in, strlen(in), out) != 0;
}

/* Do a and b share a name variant? */
static int
names_meet(const char *a, const char *b)
{
	char va[LOOKUPNORM_VARIANTS][LOOKUP_NAME_OUT_BYTES];
	char vb[LOOKUPNORM_VARIANTS][LOOKUP_NAME_OUT_BYTES];
	size_t na = 0, nb = 0;

	if (lookupnorm_name(a, strlen(a), va, &na) != 0 ||
	    lookupnorm_name(b, strlen(b), vb, &nb) != 0)
		return 0;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			if (strcmp(va[i], vb[j]) == 0)
				return 1;
	return 0;
}

static int
name_bad(const char *in, size_t len)
{
	char v[LOOKUPNORM_VARIANTS][LOOKUP_NAME_OUT_BYTES];
	size_t n = 0;

	return lookupnorm_name(in, len, v, &n) != 0;
}

static void
test_phone(void)
{
	check(phone_is("+7 (928) 123-45-67", "+79281234567"));
	check(phone_is("8 928 123 45 67", "+79281234567"));
	check(phone_is("79281234567", "+79281234567"));
	check(phone_is("9281234567", "+79281234567"));
	check(phone_is("0049 30 1234567", "+49301234567"));
	check(phone_is("+49.30.1234567", "+49301234567"));
	check(phone_bad(""));
	check(phone_bad("+"));
	check(phone_bad("call me"));
	check(phone_bad("+7 928 123 45 67 ext 5"));
	check(phone_bad("1234567"));			/* no country */
	check(phone_bad("+1234567"));			/* 7 digits */
	check(phone_bad("+1234567890123456"));		/* 16 digits */
	check(phone_bad("+0123456789"));		/* no country 0 */
	check(phone_bad("++79281234567"));
	check(phone_bad("+7928\n1234567"));
}

static void
test_name(void)
{
	char big[MAX_LOOKUP_NAME_BYTES + 2];

	check(names_meet("Ахмед", "Akhmed"));
	check(names_meet("Ахмед", "Ahmed"));
	check(names_meet("Akhmed", "AHMED"));
	check(names_meet("ахмед  дудаев", "Dudaev Akhmed"));	/* order */
	check(names_meet("Евгений", "Evgeny"));
	check(names_meet("Евгений", "Yevgeniy"));
	check(names_meet("Юсуп", "Yusup"));
	check(names_meet("Юсуп", "Iusup"));			/* ICAO */
	check(names_meet("Мухаммад", "Muhamad"));
	check(names_meet("Хасан-Али", "Khasan Ali"));
	check(names_meet("Шамиль", "Shamil'"));
	check(!names_meet("Ахмед", "Магомед"));
	check(!names_meet("Akhmed Dudaev", "Akhmed"));
	check(name_bad("", 0));
	check(name_bad("  -- ", 5));
	check(name_bad("bad\x01" "byte", 8));
	check(name_bad("\xc3\x28", 2));			/* invalid UTF-8 */
	check(name_bad("\xc0\xaf", 2));			/* overlong "/" */
	check(name_bad("\xed\xa0\x80", 3));		/* a surrogate */
	memset(big, 'a', sizeof(big));
	check(name_bad(big, sizeof(big)));
	check(!name_bad(big, MAX_LOOKUP_NAME_BYTES));
}

static void
test_blind(void)
{
	uint8_t k1[BLIND_KEY_BYTES], k2[BLIND_KEY_BYTES];
	uint8_t a[BLIND_HASH_BYTES], b[BLIND_HASH_BYTES];

	blind_new_key(k1);
	blind_new_key(k2);
	check(blind_hash(a, k1, BLIND_PHONE, "+79281234567", 12) == 0);
	check(blind_hash(b, k1, BLIND_PHONE, "+79281234567", 12) == 0);
	check(memcmp(a, b, sizeof(a)) == 0);
	check(blind_hash(b, k2, BLIND_PHONE, "+79281234567", 12) == 0);
	check(memcmp(a, b, sizeof(a)) != 0);		/* another key */
	check(blind_hash(b, k1, BLIND_NAME, "+79281234567", 12) == 0);
	check(memcmp(a, b, sizeof(a)) != 0);		/* another kind */
	check(blind_hash(b, k1, 7, "x", 1) != 0);
}

static void
test_terms(void)
{
	static const char person[] = "{\"name\":\"Ахмед Дудаев\","
	    "\"aliases\":[\"Ахмед\", 5, \"Akhmed; Ahmed\"],"
	    "\"phone\":\"+7 928 123-45-67, not a number; 8 928 000 00 00\","
	    "\"location\":\"+79281112233\"}";
	struct blindidx_terms t, q;
	uint8_t key[BLIND_KEY_BYTES];
	int found = 0;

	blind_new_key(key);
	check(blindidx_terms_person(person, strlen(person), &t) ==
	    BLINDIDX_ENOKEY);
	check(blindidx_init(key) == 0);
	check(blindidx_terms_person(person, strlen(person), &t) == BLINDIDX_OK);
	check(t.e[0].kind == BLIND_CHECK);
	check(t.phones == 2);			/* location is not indexed */
	check(blindidx_terms_phone("89281234567", 11, &q) == BLINDIDX_OK);
	for (size_t i = 0; i < t.n; i++)
		if (memcmp(t.e[i].value, q.e[0].value, BLIND_HASH_BYTES) == 0)
			found = 1;
	check(found);
	check(blindidx_terms_phone("12", 2, &q) == BLINDIDX_EINPUT);
	check(blindidx_terms_name("-", 1, &q) == BLINDIDX_EINPUT);
	check(blindidx_terms_person("[1]", 3, &t) == BLINDIDX_EINPUT);
	blindidx_shutdown();
}

static void
test_limit(void)
{
	char id[ID_CHARS + 1];
	unsigned retry = 0, i, ok = 0;

	for (i = 0; i < LOOKUP_BURST + 5; i++)
		if (lookuplimit_take("victim-account-id-0001", &retry) == 0)
			ok++;
	check(ok == LOOKUP_BURST);
	check(retry >= 1 && retry <= LOOKUP_REFILL_S + 1);
	/* many other accounts cannot evict the throttled one */
	for (i = 0; i < 3 * LOOKUP_LIMIT_SLOTS; i++) {
		snprintf(id, sizeof(id), "other-%016u", i);
		(void)lookuplimit_take(id, &retry);
	}
	check(lookuplimit_take("victim-account-id-0001", &retry) != 0);
}

int
main(void)
{
	if (secmem_init() != 0) {
		fprintf(stderr, "secmem_init failed\n");
		return 1;
	}
	test_phone();
	test_name();
	test_blind();
	test_terms();
	test_limit();
	return test_done("test_lookup");
}
