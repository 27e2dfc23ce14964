/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_audit_entry: the canonical entry encoding. The worked example of
 * docs/audit.md is checked byte for byte (its hex was produced by an
 * independent Python transcription of the layout), then the strict
 * decoder is fed every truncation and every out-of-range field, and the
 * code tables are checked against the names API.md promises.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crypto/hash.h"
#include "crypto/merkle.h"
#include "crypto/secmem.h"
#include "server/audit/audit_entry.h"
#include "testutil.h"

/* docs/audit.md, "Worked example". */
static const char example_hex[] =
    "0100000000000000290000019000c79c7b16486b335a37733179325170576d3978"
    "5630614263446502000a0216713852745532764c78354e6243306d5a37794b7741"
    "610108722d376633613963012e5c2e610b38421c4a00003849e3c48120f04e2242"
    "f3a7dba95c1db4d1c2f3d40000";
static const char example_leaf_hex[] =
    "00f1bc657721d0807223a21fc13dcfd4d0cd55b6577f624d81198466d10c7c69";
static const char reason_hash_hex[] =
    "2e5c2e610b38421c4a00003849e3c48120f04e2242f3a7dba95c1db4d1c2f3d4";

static size_t
unhex(uint8_t *out, size_t out_max, const char *hex)
{
	size_t n = strlen(hex) / 2;

	if (n > out_max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 0;
		out[i] = (uint8_t)v;
	}
	return n;
}

static void
set_id(char dst[AUDIT_ID_MAX_BYTES + 1], const char *src)
{
	int n = snprintf(dst, AUDIT_ID_MAX_BYTES + 1, "%s", src);

	if (n < 0 || n > (int)AUDIT_ID_MAX_BYTES)
		fail("test id too long: %s", src);
}

static void
example_entry(struct audit_entry *e)
{
	uint8_t salt[AUDIT_REASON_SALT_BYTES];
	static const char reason[] = "coordinator on leave, urgent relocation";

	for (unsigned i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)i;
	memset(e, 0, sizeof(*e));
	e->seq = 41;
	e->time_ms = 1718000000123ull;
	set_id(e->actor_id, "Hk3Z7s1y2QpWm9xV0aBcDe");
	e->role = AUDIT_ROLE_COORDINATOR;
	e->action = AUDIT_CASE_READ;
	e->object_type = AUDIT_OBJ_CASE;
	set_id(e->object_id, "q8RtU2vLx5NbC0mZ7yKwAa");
	e->outcome = AUDIT_ALLOWED;
	set_id(e->request_id, "r-7f3a9c");
	e->has_reason = 1;
	audit_reason_hash(e->reason_hash, salt, reason, strlen(reason));
}

static void
test_example(void)
{
	struct audit_entry e, d;
	uint8_t want[AUDIT_ENTRY_MAX], got[AUDIT_ENTRY_MAX], h[32], leaf[32];
	size_t want_len, len = 0;

	example_entry(&e);
	check(unhex(h, sizeof(h), reason_hash_hex) == 32);
	check(memcmp(e.reason_hash, h, 32) == 0);
	want_len = unhex(want, sizeof(want), example_hex);
	check(want_len == 112);
	check(audit_entry_encode(got, sizeof(got), &len, &e) == 0);
	check(len == want_len && memcmp(got, want, len) == 0);
	check(audit_entry_decode(&d, want, want_len) == 0);
	check(memcmp(&d, &e, sizeof(d)) == 0);
	merkle_leaf_hash(leaf, got, len);
	check(unhex(h, sizeof(h), example_leaf_hex) == 32);
	check(memcmp(leaf, h, 32) == 0);
	/* an encoder never writes past what it reports, nor needs more */
	check(audit_entry_encode(got, len - 1, &len, &e) != 0);
}

static void
test_sizes(void)
{
	struct audit_entry e, d;
	uint8_t buf[AUDIT_ENTRY_MAX + 1];
	size_t len = 0;

	/* smallest: anonymous, no object, no request id, no reason */
	memset(&e, 0, sizeof(e));
	e.action = AUDIT_SESSION_FAIL;
	e.outcome = AUDIT_DENIED;
	check(audit_entry_encode(buf, sizeof(buf), &len, &e) == 0);
	check(len == AUDIT_ENTRY_MIN);
	check(audit_entry_decode(&d, buf, len) == 0);
	check(memcmp(&d, &e, sizeof(d)) == 0);

	/* largest: every field at its cap */
	memset(&e, 0, sizeof(e));
	e.seq = UINT64_MAX;
	e.time_ms = UINT64_MAX;
	memset(e.actor_id, 'a', AUDIT_ID_MAX_BYTES);
	memset(e.object_id, '~', AUDIT_ID_MAX_BYTES);
	memset(e.request_id, '!', AUDIT_ID_MAX_BYTES);
	e.role = AUDIT_ROLE_AUDITOR;
	e.action = AUDIT_AUDIT_KEY_ROTATE;
	e.object_type = AUDIT_OBJ_SESSION;
	e.outcome = AUDIT_ERROR;
	e.has_reason = 1;
	memset(e.reason_hash, 0xee, sizeof(e.reason_hash));
	e.extra_len = AUDIT_EXTRA_MAX_BYTES;
	memset(e.extra, 0x5a, sizeof(e.extra));
	check(audit_entry_encode(buf, sizeof(buf), &len, &e) == 0);
	check(len == AUDIT_ENTRY_MAX);
	check(audit_entry_decode(&d, buf, len) == 0);
	check(memcmp(&d, &e, sizeof(d)) == 0);
	check(audit_entry_encode(buf, AUDIT_ENTRY_MAX - 1, &len, &e) != 0);
}

/* Patch one byte of the example and expect the decoder to refuse. */
static void
reject_patched(size_t off, uint8_t v, const char *what)
{
	struct audit_entry d;
	uint8_t buf[AUDIT_ENTRY_MAX];
	size_t len = unhex(buf, sizeof(buf), example_hex);

	buf[off] = v;
	if (audit_entry_decode(&d, buf, len) == 0)
		fail("decoder accepted %s", what);
	else
		test_passes++;
}

static void
test_decode_rejects(void)
{
	struct audit_entry d;
	uint8_t buf[AUDIT_ENTRY_MAX + 2], zero[sizeof(d)];
	size_t len = unhex(buf, sizeof(buf), example_hex);
	/* offsets in the example: actor length at 17, role at 40, action at
	 * 41, object type 43, object length 44, outcome 67, request length
	 * 68, reason flag 77, extra length 110 */
	const size_t ACTOR = 17, ROLE = 40, ACTION = 41, OTYPE = 43,
	    OBJ = 44, OUTCOME = 67, REQ = 68, REASON = 77, EXTRA = 110;

	memset(zero, 0, sizeof(zero));
	/* every truncation, and a trailing byte */
	for (size_t n = 0; n < len; n++) {
		memset(&d, 0x77, sizeof(d));
		if (audit_entry_decode(&d, buf, n) == 0)
			fail("decoded a %zu-byte prefix", n);
		else
			check(memcmp(&d, zero, sizeof(d)) == 0);
	}
	buf[len] = 0;
	check(audit_entry_decode(&d, buf, len + 1) != 0);

	reject_patched(0, 0, "version 0");
	reject_patched(0, 2, "version 2");
	reject_patched(ROLE, 5, "role 5");
	reject_patched(ACTION, 1, "action 266");
	reject_patched(ACTION + 1, 0, "action 0");
	reject_patched(ACTION + 1, AUDIT_ACTION_MAX + 1, "action past the last");
	reject_patched(OTYPE, 7, "object type 7");
	reject_patched(OUTCOME, 0, "outcome 0");
	reject_patched(OUTCOME, 4, "outcome 4");
	reject_patched(REASON, 2, "reason flag 2");
	reject_patched(REASON, 0, "reason flag 0 with a hash after it");
	reject_patched(EXTRA + 1, 1, "extra longer than the buffer");
	reject_patched(ACTOR, 65, "actor id of 65 bytes");
	reject_patched(ACTOR, 23, "actor id one byte longer");
	reject_patched(ACTOR, 21, "actor id one byte shorter");
	reject_patched(ACTOR + 1, ' ', "space in actor id");
	reject_patched(ACTOR + 1, 0x7f, "DEL in actor id");
	reject_patched(ACTOR + 1, 0, "NUL in actor id");
	reject_patched(OBJ + 5, 0x80, "high byte in object id");
	reject_patched(REQ, 0xff, "request id of 255 bytes");
	/* extra length above the cap, with the bytes present */
	{
		struct audit_entry e;
		uint8_t big[AUDIT_ENTRY_MAX + 8];
		size_t n = 0;

		memset(&e, 0, sizeof(e));
		e.action = AUDIT_AUDIT_KEY_ROTATE;
		e.outcome = AUDIT_ALLOWED;
		e.extra_len = AUDIT_EXTRA_MAX_BYTES;
		check(audit_entry_encode(big, sizeof(big), &n, &e) == 0);
		big[n - AUDIT_EXTRA_MAX_BYTES - 1] = 1;	/* 256 -> 257 */
		big[n] = 0;
		check(audit_entry_decode(&d, big, n + 1) != 0);
	}
}

static void
test_encode_rejects(void)
{
	struct audit_entry e;
	uint8_t buf[AUDIT_ENTRY_MAX];
	size_t len;

	example_entry(&e);
	e.role = 5;
	check(audit_entry_encode(buf, sizeof(buf), &len, &e) != 0);
	example_entry(&e);
	e.action = 0;
	check(audit_entry_encode(buf, sizeof(buf), &len, &e) != 0);
	e.action = AUDIT_ACTION_MAX + 1;
	check(audit_entry_encode(buf, sizeof(buf), &len, &e) != 0);
	example_entry(&e);
	e.object_type = AUDIT_OBJECT_MAX + 1;
	check(audit_entry_encode(buf, sizeof(buf), &len, &e) != 0);
	example_entry(&e);
	e.outcome = 0;
	check(audit_entry_encode(buf, sizeof(buf), &len, &e) != 0);
	example_entry(&e);
	e.has_reason = 2;
	check(audit_entry_encode(buf, sizeof(buf), &len, &e) != 0);
	example_entry(&e);
	e.extra_len = AUDIT_EXTRA_MAX_BYTES + 1;
	check(audit_entry_encode(buf, sizeof(buf), &len, &e) != 0);
	example_entry(&e);
	set_id(e.object_id, "has space");
	check(audit_entry_encode(buf, sizeof(buf), &len, &e) != 0);
	example_entry(&e);
	memset(e.request_id, 'x', sizeof(e.request_id));	/* no NUL */
	check(audit_entry_encode(buf, sizeof(buf), &len, &e) != 0);
}

static void
test_names(void)
{
	/* API.md's action list, plus the three this module adds */
	static const char *const api[] = {
		"session.create", "session.fail", "session.end", "user.create",
		"user.confirm", "user.revoke", "user.password", "case.create",
		"case.list", "case.read", "case.update", "case.assign",
		"case.unassign", "case.shred", "contact.create", "contact.list",
		"evacuation.create", "evacuation.list", "evacuation.read",
		"evacuation.update", "evacuation.add_case", "audit.read",
		"audit.export", "user.list", "audit.reason_erase",
		"audit.key_rotate", "anonymous.summary", "session.confirm",
	};
	const char *n;

	for (unsigned i = 0; i < sizeof(api) / sizeof(api[0]); i++) {
		/* codes follow the order above, from 1 */
		check(audit_action_code(api[i], strlen(api[i])) == (int)i + 1);
		n = audit_action_name(i + 1);
		check(n != NULL && strcmp(n, api[i]) == 0);
	}
	/* the attachments (issue 15) */
	check(audit_action_code("case.attachment.create", 22) == 29);
	check(audit_action_code("case.attachment.list", 20) == 30);
	check(audit_action_code("case.attachment.read", 20) == 31);
	check(audit_action_code("case.attachment.delete", 22) == 32);
	check(audit_action_code("account.duress", 14) == 39);
	check(audit_action_code("alert.list", 10) == 46);
	check(audit_action_name(0) == NULL);
	check(audit_action_name(AUDIT_ACTION_MAX + 1) == NULL);
	check(audit_action_name(65535) == NULL);
	check(audit_action_code("case.reads", 10) == -1);
	check(audit_action_code("case.rea", 8) == -1);
	check(audit_action_code("", 0) == -1);
	check(audit_action_code("case.read", 9) == AUDIT_CASE_READ);

	check(audit_outcome_code("allowed", 7) == AUDIT_ALLOWED);
	check(audit_outcome_code("denied", 6) == AUDIT_DENIED);
	check(audit_outcome_code("error", 5) == AUDIT_ERROR);
	check(audit_outcome_name(0) == NULL && audit_outcome_name(4) == NULL);

	check(audit_role_code("anonymous", 9) == AUDIT_ROLE_ANONYMOUS);
	check(audit_role_code("admin", 5) == AUDIT_ROLE_ADMIN);
	check(audit_role_code("coordinator", 11) == AUDIT_ROLE_COORDINATOR);
	check(audit_role_code("caseworker", 10) == AUDIT_ROLE_CASEWORKER);
	check(audit_role_code("auditor", 7) == AUDIT_ROLE_AUDITOR);
	check(audit_role_name(5) == NULL);

	for (unsigned i = 0; i <= AUDIT_OBJECT_MAX; i++) {
		n = audit_object_name(i);
		check(n != NULL && audit_object_code(n, strlen(n)) == (int)i);
	}
	check(audit_object_name(AUDIT_OBJECT_MAX + 1) == NULL);
	check(strcmp(audit_object_name(AUDIT_OBJ_EVACUATION), "evacuation")
	    == 0);
}

/* docs/audit.md 2.7, "Anonymous summaries": the worked example, made by
 * the same independent transcription (tests/interop/audit_verify.py
 * checks the same bytes from tests/fuzz/corpus/entry/summary-example.bin). */
static const char summary_hex[] =
    "01000000000000002a0000019000c886db0000001b0000020000002d030000019000"
    "c79c000000019000c88660030002020191000000390002030190000000030018020191"
    "000004b4";

static void
test_summary(void)
{
	struct audit_summary s, got;
	struct audit_entry e, d;
	uint8_t want[AUDIT_ENTRY_MAX], enc[AUDIT_ENTRY_MAX];
	size_t want_len, enc_len, x_len;

	memset(&s, 0, sizeof(s));
	s.from_ms = 1718000000000ull;
	s.to_ms = 1718000060000ull;
	s.n = 3;
	s.k[0] = (struct audit_summary_kind){ AUDIT_SESSION_FAIL, AUDIT_DENIED,
	    401, 57 };
	s.k[1] = (struct audit_summary_kind){ AUDIT_SESSION_FAIL, AUDIT_ERROR,
	    400, 3 };
	s.k[2] = (struct audit_summary_kind){ AUDIT_USER_LIST, AUDIT_DENIED,
	    401, 1204 };
	memset(&e, 0, sizeof(e));
	e.seq = 42;
	e.time_ms = 1718000060123ull;
	e.action = AUDIT_ANON_SUMMARY;
	e.outcome = AUDIT_DENIED;
	check(audit_entry_summary_extra(e.extra, &x_len, &s) == 0);
	e.extra_len = (uint16_t)x_len;
	want_len = unhex(want, sizeof(want), summary_hex);
	check(audit_entry_encode(enc, sizeof(enc), &enc_len, &e) == 0);
	check(enc_len == want_len && memcmp(enc, want, want_len) == 0);
	check(audit_entry_decode(&d, want, want_len) == 0);
	check(audit_entry_summary_parse(d.extra, d.extra_len, &got) == 0);
	check(got.n == 3 && got.k[2].count == 1204 && got.k[1].status == 400);

	/* the encoder refuses what the decoder would */
	s.k[1].action = AUDIT_USER_LIST;	/* out of order */
	check(audit_entry_summary_extra(e.extra, &x_len, &s) != 0);
	s.k[1].action = AUDIT_SESSION_FAIL;
	s.k[1].count = 0;
	check(audit_entry_summary_extra(e.extra, &x_len, &s) != 0);
	s.k[1].count = 3;
	s.k[1].outcome = AUDIT_ALLOWED;
	check(audit_entry_summary_extra(e.extra, &x_len, &s) != 0);
	s.k[1].outcome = AUDIT_ERROR;
	s.k[1].status = 200;
	check(audit_entry_summary_extra(e.extra, &x_len, &s) != 0);
	s.k[1].status = 400;
	s.k[1].action = AUDIT_ANON_SUMMARY;
	check(audit_entry_summary_extra(e.extra, &x_len, &s) != 0);
	s.k[1].action = AUDIT_SESSION_FAIL;
	/* the entry around it: anonymous, no object, denied, in time */
	e.time_ms = s.to_ms - 1;
	check(audit_entry_encode(enc, sizeof(enc), &enc_len, &e) != 0);
	e.time_ms = 1718000060123ull;
	e.outcome = AUDIT_ERROR;
	check(audit_entry_encode(enc, sizeof(enc), &enc_len, &e) != 0);
	e.outcome = AUDIT_DENIED;
	set_id(e.request_id, "r");
	check(audit_entry_encode(enc, sizeof(enc), &enc_len, &e) != 0);
	e.request_id[0] = '\0';
	e.extra_len = 0;	/* a summary without counts */
	check(audit_entry_encode(enc, sizeof(enc), &enc_len, &e) != 0);
	/* every truncation of the extra is refused */
	for (size_t n = 0; n < x_len; n++)
		check(audit_entry_summary_parse(want + want_len - x_len, n,
		    &got) != 0);
}

/* docs/audit.md 2.5: the grant subject extra, both ways and its refusals */
static void
test_subject_extra(void)
{
	static const uint8_t want[] = { 0x02, 0x01, 0x03, 'a', 'b', 'c' };
	uint8_t out[AUDIT_SUBJECT_EXTRA_MAX], bad[8];
	char id[AUDIT_ID_MAX_BYTES + 1], longid[AUDIT_ID_MAX_BYTES + 2];
	size_t n = 0;
	unsigned type = 0;

	check(audit_entry_subject_extra(out, &n, AUDIT_OBJ_USER, "abc") == 0);
	check(n == sizeof(want) && memcmp(out, want, n) == 0);
	check(audit_entry_subject_parse(out, n, &type, id) == 0);
	check(type == AUDIT_OBJ_USER && strcmp(id, "abc") == 0);
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	check(audit_entry_subject_extra(out, &n, AUDIT_OBJ_USER, longid) != 0);
	longid[AUDIT_ID_MAX_BYTES] = '\0';
	check(audit_entry_subject_extra(out, &n, AUDIT_OBJ_CASE, longid) == 0);
	check(n == AUDIT_SUBJECT_EXTRA_MAX);
	check(audit_entry_subject_extra(out, &n, AUDIT_OBJ_USER, "") != 0);
	check(audit_entry_subject_extra(out, &n, AUDIT_OBJ_USER, "a b") != 0);
	check(audit_entry_subject_extra(out, &n, AUDIT_OBJ_NONE, "a") != 0);
	check(audit_entry_subject_extra(out, &n, AUDIT_OBJECT_MAX + 1, "a")
	    != 0);
	check(audit_entry_subject_extra(out, &n, AUDIT_OBJ_USER, NULL) != 0);
	/* wrong tag, length off by one either way, bad byte, unknown type */
	memcpy(bad, want, sizeof(want));
	bad[0] = 0x01;
	check(audit_entry_subject_parse(bad, sizeof(want), &type, id) != 0);
	check(audit_entry_subject_parse(want, sizeof(want) - 1, &type, id)
	    != 0);
	memcpy(bad, want, sizeof(want));
	bad[sizeof(want)] = 'd';
	check(audit_entry_subject_parse(bad, sizeof(want) + 1, &type, id)
	    != 0);
	bad[3] = ' ';
	check(audit_entry_subject_parse(bad, sizeof(want), &type, id) != 0);
	memcpy(bad, want, sizeof(want));
	bad[1] = AUDIT_OBJECT_MAX + 1;
	check(audit_entry_subject_parse(bad, sizeof(want), &type, id) != 0);
	check(audit_entry_subject_parse(want, 0, &type, id) != 0);
}

int
main(void)
{
	if (secmem_init() != 0) {
		fail("secmem_init");
		return test_done("test_audit_entry");
	}
	test_example();
	test_sizes();
	test_decode_rejects();
	test_encode_rejects();
	test_names();
	test_summary();
	test_subject_extra();
	return test_done("test_audit_entry");
}
