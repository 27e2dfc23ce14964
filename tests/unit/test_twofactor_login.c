/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_twofactor_login: server/core/twofactor.h's login check and lockout.c,
 * against a real (temporary) store (issue 14, the two-factor review).
 * L1: checking a code, right or wrong, writes nothing and needs no write
 * transaction (sqlite3_total_changes does not move); only
 * twofactor_code_use writes, once. M1: runs of wrong codes count per
 * account, end on a right code, and survive a full table for the
 * accounts still in use; the lock opens one alert and a reset lifts it.
 * L2: new recovery codes void the old ones; a decoy's are stored nowhere.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto/secmem.h"
#include "crypto/token.h"
#include "crypto/userkey.h"
#include "schema/store.h"
#include "schema/store_account.h"
#include "schema/store_totp.h"
#include "schema/store_user.h"
#include "server/core/lockout.h"
#include "server/core/twofactor.h"
#include "server/limits.h"
#include "testutil.h"

#include <sqlite3.h>

static struct store *S;

static void
b32_decode(uint8_t out[TOTP_SECRET_BYTES], const char *s)
{
	static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned bits = 0, value = 0;
	size_t n = 0;

	for (; *s != '\0' && n < TOTP_SECRET_BYTES; s++) {
		value = (value << 5) | (unsigned)(strchr(A, *s) - A);
		bits += 5;
		if (bits >= 8) {
			out[n++] = (uint8_t)(value >> (bits - 8));
			bits -= 8;
		}
	}
}

static void
code_of(char out[8], const uint8_t secret[TOTP_SECRET_BYTES], int64_t step)
{
	snprintf(out, 8, "%06lld", (long long)totp_code(secret,
	    TOTP_SECRET_BYTES, (uint64_t)step, TOTP_DIGITS));
}

static int64_t
changes(void)
{
	return sqlite3_total_changes(store_db(S));
}

static void
test_check_reads_only(const char *uid)
{
	char b32[TOTP_SECRET_B32_CHARS + 1], uri[MAX_OTPAUTH_URI_BYTES];
	char codes[RECOVERY_CODES][RECOVERY_CODE_SHOWN_BYTES];
	char renewed[RECOVERY_CODES][RECOVERY_CODE_SHOWN_BYTES];
	char c[8], wrong[8];
	uint8_t secret[TOTP_SECRET_BYTES];
	struct twofactor_match m;
	int64_t now = store_now(), step = now / TOTP_STEP_S, before, left = 0;

	check(store_write_begin(S) == STORE_OK);
	check(twofactor_begin(S, uid, "tf-unit", b32, uri, NULL) ==
	    TWOFACTOR_OK);
	b32_decode(secret, b32);
	code_of(c, secret, step);
	check(twofactor_confirm(S, uid, c, now, codes) == TWOFACTOR_OK);
	check(store_write_end(S, 1) == STORE_OK);

	/* outside any write transaction: a wrong code, a wrong recovery
	 * code, a right code and a right recovery code write nothing */
	check(!store_in_write(S));
	before = changes();
	code_of(c, secret, step + 1);
	snprintf(wrong, sizeof(wrong), "%06d", (atoi(c) + 1) % 1000000);
	check(twofactor_code_check(S, uid, wrong, now, 1, &m) ==
	    TWOFACTOR_BAD);
	check(twofactor_code_check(S, uid, "zzzz-zzzz-zzzz-zzzz", now, 1, &m)
	    == TWOFACTOR_BAD);
	check(twofactor_code_check(S, uid, NULL, now, 1, &m) == TWOFACTOR_BAD);
	check(twofactor_code_check(S, uid, c, now, 1, &m) == TWOFACTOR_OK);
	check(!m.recovery && m.step == step + 1);
	check(changes() == before);
	/* only the use writes; then the same code is a replay */
	check(store_write_begin(S) == STORE_OK);
	check(twofactor_code_use(S, uid, &m) == TWOFACTOR_OK);
	check(twofactor_code_use(S, uid, &m) == TWOFACTOR_BAD);
	check(store_write_end(S, 1) == STORE_OK);
	check(twofactor_code_check(S, uid, c, now, 1, &m) == TWOFACTOR_BAD);
	/* a recovery code: matched by a read, used up by the write */
	before = changes();
	check(twofactor_code_check(S, uid, codes[0], now, 0, &m) ==
	    TWOFACTOR_BAD);		/* not where only TOTP is allowed */
	check(twofactor_code_check(S, uid, codes[0], now, 1, &m) ==
	    TWOFACTOR_OK && m.recovery);
	check(changes() == before);
	check(store_write_begin(S) == STORE_OK);
	check(twofactor_code_use(S, uid, &m) == TWOFACTOR_OK);
	check(store_write_end(S, 1) == STORE_OK);
	check(twofactor_code_check(S, uid, codes[0], now, 1, &m) ==
	    TWOFACTOR_BAD);
	twofactor_match_wipe(&m);

	/* new codes: the old ones go; a decoy's (no store) change nothing */
	check(store_write_begin(S) == STORE_OK);
	check(twofactor_recovery_new(S, uid, renewed) == TWOFACTOR_OK);
	check(store_write_end(S, 1) == STORE_OK);
	check(twofactor_code_check(S, uid, codes[1], now, 1, &m) ==
	    TWOFACTOR_BAD);
	check(twofactor_code_check(S, uid, renewed[0], now, 1, &m) ==
	    TWOFACTOR_OK);
	before = changes();
	check(twofactor_recovery_new(NULL, uid, codes) == TWOFACTOR_OK);
	check(changes() == before);
	check(twofactor_code_check(S, uid, codes[0], now, 1, &m) ==
	    TWOFACTOR_BAD);
	check(store_recovery_count(S, uid, &left) == STORE_OK && left == 10);

	/* a decoy's enrolment: its own secret, nothing stored */
	check(twofactor_begin(S, uid, "tf-unit", b32, uri, secret) ==
	    TWOFACTOR_BAD);		/* the account is enrolled already */
	check(twofactor_decoy_confirm(secret, c, now) == TWOFACTOR_OK);
	check(twofactor_decoy_confirm(secret, wrong, now) == TWOFACTOR_BAD);
	twofactor_match_wipe(&m);
	secmem_wipe(codes, sizeof(codes));
	secmem_wipe(renewed, sizeof(renewed));
}

static void
test_lockout_runs(void)
{
	char id[ID_CHARS + 1], first[ID_CHARS + 1], kept[ID_CHARS + 1];

	token_new_id(first);
	for (unsigned i = 1; i <= TWOFACTOR_LOCKOUT_FAILURES; i++)
		check(lockout_fail(first) == i);
	lockout_clear(first);
	check(lockout_fail(first) == 1);
	check(lockout_fail(NULL) == 0);
	/* a full table reuses the least recently used place: first, not
	 * kept, which is touched while the others arrive */
	token_new_id(kept);
	check(lockout_fail(kept) == 1);
	for (unsigned i = 0; i < MAX_LOCKOUT_TRACKED; i++) {
		token_new_id(id);
		(void)lockout_fail(id);
		if (i % 512 == 0)
			(void)lockout_fail(kept);
	}
	check(lockout_fail(kept) > 2);
	check(lockout_fail(first) == 1);
}

static void
test_lock_and_reset(const char *uid)
{
	int yes = 0;
	int64_t alerts = 0;

	check(store_write_begin(S) == STORE_OK);
	check(store_account_lock(S, uid) == STORE_OK);
	check(store_account_lock(S, uid) == STORE_OK);	/* once is enough */
	check(store_write_end(S, 1) == STORE_OK);
	check(store_account_locked(S, uid, &yes) == STORE_OK && yes == 1);
	check(store_account_alert_count(S, "nobody", &alerts) == STORE_OK &&
	    alerts == 1);
	check(store_write_begin(S) == STORE_OK);
	check(store_account_reset(S, uid) == STORE_OK);
	check(store_write_end(S, 1) == STORE_OK);
	check(store_account_locked(S, uid, &yes) == STORE_OK && yes == 0);
	check(store_account_alert_count(S, "nobody", &alerts) == STORE_OK &&
	    alerts == 0);
}

int
main(void)
{
	char dir[] = "/tmp/corridor-twofactor-XXXXXX", db[256];
	uint8_t key[32], sk[32];
	struct user_row u;

	if (secmem_init() != 0 || mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/t.db", dir);
	secmem_random(key, sizeof(key));
	if (store_open(&S, db, key, 1) != STORE_OK ||
	    store_migrate(S) != STORE_OK || twofactor_init(S) != 0)
		return 1;
	memset(&u, 0, sizeof(u));
	token_new_id(u.id);
	snprintf(u.username, sizeof(u.username), "tf-unit");
	u.role = ROLE_CASEWORKER;
	u.status = USER_ACTIVE;
	userkey_generate(u.pk, sk);
	secmem_random(u.sk_sealed, sizeof(u.sk_sealed));
	u.created_at = store_now();
	check(store_user_insert(S, &u) == STORE_OK);

	test_check_reads_only(u.id);
	test_lockout_runs();
	test_lock_and_reset(u.id);

	twofactor_shutdown();
	store_close(S);
	unlink(db);
	snprintf(db, sizeof(db), "%s/t.db-wal", dir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/t.db-shm", dir);
	unlink(db);
	rmdir(dir);
	secmem_wipe(sk, sizeof(sk));
	return test_done("test_twofactor_login");
}
