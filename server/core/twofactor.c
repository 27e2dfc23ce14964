/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * twofactor: TOTP and recovery codes for logins, and the policy that can
 * require them (twofactor.h). The code check tries the steps now-1, now
 * and now+1 (TOTP_SKEW_STEPS) and accepts only one newer than the stored
 * last_step, which the same UPDATE raises, so a code works once.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "crypto/field.h"
#include "crypto/secmem.h"
#include "schema/store_totp.h"
#include "server/core/twofactor.h"

_Static_assert(STORE_TOTP_SECRET_BYTES == TOTP_SECRET_BYTES + FIELD_OVERHEAD,
    "the totp.secret column holds one field of the secret");
_Static_assert(STORE_RECOVERY_HASH_BYTES == RECOVERY_HASH_BYTES,
    "recovery hash sizes");
_Static_assert(STORE_TWOFACTOR_KEY_BYTES == FIELD_KEY_BYTES &&
    STORE_TWOFACTOR_KEY_BYTES == RECOVERY_KEY_BYTES, "two-factor key sizes");

/* the two server keys, in one locked allocation */
struct twofactor_keys {
	uint8_t	secret_key[FIELD_KEY_BYTES];
	uint8_t	recovery_key[RECOVERY_KEY_BYTES];
};

static struct twofactor_keys *K;
static atomic_int policy_required;

static const char KEY_SECRET[] = "twofactor_key";
static const char KEY_RECOVERY[] = "twofactor_recovery_key";

/* Load the key called name into key, or make and store it. */
static int
load_or_make(struct store *s, const char *name, uint8_t *key)
{
	int rc = store_twofactor_key_get(s, name, key);

	if (rc != STORE_ENOTFOUND)
		return rc == STORE_OK ? 0 : -1;
	secmem_random(key, STORE_TWOFACTOR_KEY_BYTES);
	return store_twofactor_key_put(s, name, key) == STORE_OK ? 0 : -1;
}

int
twofactor_init(struct store *s)
{
	int required = 0;

	if (K != NULL)
		return 0;
	if ((K = secmem_alloc(sizeof(*K))) == NULL)
		return -1;
	if (store_write_begin(s) != STORE_OK)
		goto fail;
	if (load_or_make(s, KEY_SECRET, K->secret_key) != 0 ||
	    load_or_make(s, KEY_RECOVERY, K->recovery_key) != 0 ||
	    store_twofactor_policy_get(s, &required) != STORE_OK) {
		(void)store_write_end(s, 0);
		goto fail;
	}
	if (store_write_end(s, 1) != STORE_OK)
		goto fail;
	atomic_store(&policy_required, required);
	return 0;
fail:
	twofactor_shutdown();
	return -1;
}

void
twofactor_shutdown(void)
{
	secmem_free(K);		/* wipes */
	K = NULL;
}

int
twofactor_policy_required(void)
{
	return atomic_load(&policy_required);
}

/* the commit order of policy writes (taken under the write lock) and the
 * newest one the cache holds */
static atomic_uint_fast64_t policy_seq_taken;
static uint64_t policy_seq_cached;
static pthread_mutex_t policy_mu = PTHREAD_MUTEX_INITIALIZER;

int
twofactor_policy_store(struct store *s, int required, uint64_t *seq)
{
	if (store_twofactor_policy_set(s, required) != STORE_OK)
		return -1;
	*seq = (uint64_t)atomic_fetch_add(&policy_seq_taken, 1) + 1;
	return 0;
}

void
twofactor_policy_cache(int required, uint64_t seq)
{
	pthread_mutex_lock(&policy_mu);
	if (seq > policy_seq_cached) {
		policy_seq_cached = seq;
		atomic_store(&policy_required, required ? 1 : 0);
	}
	pthread_mutex_unlock(&policy_mu);
}

int
twofactor_state(struct store *s, const char *user_id, int64_t *recovery_left)
{
	struct totp_row t;
	int rc = store_totp_get(s, user_id, &t), on;

	secmem_wipe(t.secret, sizeof(t.secret));
	if (rc != STORE_OK && rc != STORE_ENOTFOUND)
		return TWOFACTOR_EIO;
	on = rc == STORE_OK && t.confirmed;
	if (recovery_left != NULL) {
		*recovery_left = 0;
		if (on && store_recovery_count(s, user_id, recovery_left) !=
		    STORE_OK)
			return TWOFACTOR_EIO;
	}
	return on ? TWOFACTOR_ON : TWOFACTOR_NONE;
}

int
twofactor_code_wellformed(const char *code)
{
	char norm[RECOVERY_CODE_CHARS + 1];
	int64_t c;
	int ok;

	if (code == NULL)
		return 0;
	if (totp_code_parse(code, TOTP_DIGITS, &c) == 0) {
		secmem_wipe(&c, sizeof(c));
		return 1;
	}
	ok = totp_recovery_normalise(norm, code) == 0;
	secmem_wipe(norm, sizeof(norm));
	return ok;
}

/* The secret of t, opened with the server key, into secret. 0 or -1. */
static int
secret_open(const char *user_id, const struct totp_row *t,
    uint8_t secret[TOTP_SECRET_BYTES])
{
	size_t n = 0;

	if (field_decrypt(secret, TOTP_SECRET_BYTES, &n, K->secret_key, "totp",
	    user_id, "secret", 1, t->secret, sizeof(t->secret)) != 0 ||
	    n != TOTP_SECRET_BYTES)
		return -1;
	return 0;
}

/*
 * The step in [now/30 - skew, now/30 + skew] whose code is `code` and
 * which is newer than last_step, or -1. Every candidate is computed and
 * compared in constant time, whichever matches.
 */
static int64_t
match_step(const uint8_t secret[TOTP_SECRET_BYTES], int64_t code,
    int64_t now, int64_t last_step)
{
	int64_t cur = now / (int64_t)TOTP_STEP_S, found = -1;

	for (int64_t d = -TOTP_SKEW_STEPS; d <= TOTP_SKEW_STEPS; d++) {
		int64_t step = cur + d, c;

		if (step < 0)
			continue;
		c = totp_code(secret, TOTP_SECRET_BYTES, (uint64_t)step,
		    TOTP_DIGITS);
		if (totp_code_equal(c, code) && step > last_step && found < 0)
			found = step;
		/* a computed code is as good as the secret for 90 s */
		secmem_wipe(&c, sizeof(c));
	}
	return found;
}

/* The step of a TOTP code of t, into m (reads nothing more, writes
 * nothing). */
static int
totp_match(const char *user_id, const struct totp_row *t, int64_t code,
    int64_t now, struct twofactor_match *m)
{
	uint8_t secret[TOTP_SECRET_BYTES];

	if (secret_open(user_id, t, secret) != 0)
		return TWOFACTOR_FAIL;
	m->step = match_step(secret, code, now, t->last_step);
	secmem_wipe(secret, sizeof(secret));
	return m->step < 0 ? TWOFACTOR_BAD : TWOFACTOR_OK;
}

/* An unused recovery code of user_id, into m (a read). */
static int
recovery_match(struct store *s, const char *user_id, const char *typed,
    struct twofactor_match *m)
{
	char norm[RECOVERY_CODE_CHARS + 1];
	int rc, yes = 0;

	if (totp_recovery_normalise(norm, typed) != 0)
		return TWOFACTOR_BAD;
	totp_recovery_hash(m->hash, K->recovery_key, user_id, norm);
	secmem_wipe(norm, sizeof(norm));
	rc = store_recovery_has(s, user_id, m->hash, &yes);
	if (rc != STORE_OK)
		return TWOFACTOR_FAIL;
	m->recovery = 1;
	return yes ? TWOFACTOR_OK : TWOFACTOR_BAD;
}

int
twofactor_code_check(struct store *s, const char *user_id, const char *code,
    int64_t now, int allow_recovery, struct twofactor_match *m)
{
	struct totp_row t;
	int64_t c;
	int rc;

	memset(m, 0, sizeof(*m));
	m->step = -1;
	if (K == NULL)
		return TWOFACTOR_FAIL;
	rc = store_totp_get(s, user_id, &t);
	if (rc != STORE_OK) {
		rc = rc == STORE_ENOTFOUND ? TWOFACTOR_BAD : TWOFACTOR_FAIL;
		goto done;
	}
	if (!t.confirmed || code == NULL) {
		rc = TWOFACTOR_BAD;
		goto done;
	}
	if (totp_code_parse(code, TOTP_DIGITS, &c) == 0) {
		rc = totp_match(user_id, &t, c, now, m);
		secmem_wipe(&c, sizeof(c));
	} else if (allow_recovery)
		rc = recovery_match(s, user_id, code, m);
	else
		rc = TWOFACTOR_BAD;
done:
	secmem_wipe(&t, sizeof(t));
	if (rc != TWOFACTOR_OK)
		twofactor_match_wipe(m);
	return rc;
}

int
twofactor_code_use(struct store *s, const char *user_id,
    const struct twofactor_match *m)
{
	int rc;

	if (m->recovery)
		rc = store_recovery_use(s, user_id, m->hash);
	else if (m->step >= 0)
		rc = store_totp_use_step(s, user_id, m->step, 1);
	else
		return TWOFACTOR_BAD;
	if (rc == STORE_ENOTFOUND)
		return TWOFACTOR_BAD;	/* another request took it first */
	return rc == STORE_OK ? TWOFACTOR_OK : TWOFACTOR_FAIL;
}

void
twofactor_match_wipe(struct twofactor_match *m)
{
	secmem_wipe(m, sizeof(*m));
	m->step = -1;
}

/* A fresh secret, its base32 text and its otpauth:// URI. 0 or -1 (the
 * caller wipes all three). */
static int
secret_make(const char *username, uint8_t secret[TOTP_SECRET_BYTES],
    char secret_b32[TOTP_SECRET_B32_CHARS + 1],
    char uri[MAX_OTPAUTH_URI_BYTES])
{
	int n;

	totp_secret_new(secret);
	if (totp_base32(secret_b32, TOTP_SECRET_B32_CHARS + 1, secret,
	    TOTP_SECRET_BYTES) != 0)
		return -1;
	/*
	 * No issuer: an authenticator app shows the issuer beside the entry,
	 * and a phone searched at a checkpoint should not name corridor.
	 * The label is the username alone (users_name_ok: URI-safe).
	 */
	n = snprintf(uri, MAX_OTPAUTH_URI_BYTES, "otpauth://totp/%s?secret=%s"
	    "&algorithm=SHA1&digits=%u&period=%u", username, secret_b32,
	    TOTP_DIGITS, TOTP_STEP_S);
	return n < 0 || (size_t)n >= MAX_OTPAUTH_URI_BYTES ? -1 : 0;
}

int
twofactor_begin(struct store *s, const char *user_id, const char *username,
    char secret_b32[TOTP_SECRET_B32_CHARS + 1],
    char uri[MAX_OTPAUTH_URI_BYTES], uint8_t *unstored)
{
	uint8_t secret[TOTP_SECRET_BYTES], ct[STORE_TOTP_SECRET_BYTES];
	size_t ct_len = 0;
	int rc = TWOFACTOR_FAIL;

	if (K == NULL)
		return TWOFACTOR_FAIL;
	switch (twofactor_state(s, user_id, NULL)) {
	case TWOFACTOR_ON:
		return TWOFACTOR_BAD;
	case TWOFACTOR_NONE:
		break;
	default:
		return TWOFACTOR_FAIL;
	}
	if (secret_make(username, secret, secret_b32, uri) != 0)
		goto done;
	if (unstored != NULL) {
		/* a decoy's enrolment: the caller keeps it, the store not */
		memcpy(unstored, secret, sizeof(secret));
		rc = TWOFACTOR_OK;
		goto done;
	}
	if (field_encrypt(ct, sizeof(ct), &ct_len, K->secret_key, "totp",
	    user_id, "secret", 1, secret, sizeof(secret)) != 0 ||
	    ct_len != sizeof(ct))
		goto done;
	if (store_totp_begin(s, user_id, ct) != STORE_OK)
		goto done;
	rc = TWOFACTOR_OK;
done:
	secmem_wipe(secret, sizeof(secret));
	if (rc != TWOFACTOR_OK) {
		secmem_wipe(secret_b32, TOTP_SECRET_B32_CHARS + 1);
		secmem_wipe(uri, MAX_OTPAUTH_URI_BYTES);
	}
	return rc;
}

int
twofactor_recovery_new(struct store *s, const char *user_id,
    char codes[RECOVERY_CODES][RECOVERY_CODE_SHOWN_BYTES])
{
	uint8_t hashes[RECOVERY_CODES][RECOVERY_HASH_BYTES];
	char norm[RECOVERY_CODE_CHARS + 1];
	int rc = TWOFACTOR_OK;

	if (K == NULL)
		return TWOFACTOR_FAIL;
	for (unsigned i = 0; i < RECOVERY_CODES && rc == TWOFACTOR_OK; i++) {
		totp_recovery_new(codes[i]);
		if (totp_recovery_normalise(norm, codes[i]) != 0)
			rc = TWOFACTOR_FAIL;	/* invariant */
		else
			totp_recovery_hash(hashes[i], K->recovery_key,
			    user_id, norm);
	}
	if (rc == TWOFACTOR_OK && s != NULL && store_recovery_replace(s,
	    user_id, (const uint8_t (*)[STORE_RECOVERY_HASH_BYTES])hashes,
	    RECOVERY_CODES) != STORE_OK)
		rc = TWOFACTOR_FAIL;
	secmem_wipe(norm, sizeof(norm));
	secmem_wipe(hashes, sizeof(hashes));
	if (rc != TWOFACTOR_OK)
		secmem_wipe(codes, sizeof(char) * RECOVERY_CODES *
		    RECOVERY_CODE_SHOWN_BYTES);
	return rc;
}

int
twofactor_decoy_confirm(const uint8_t secret[TOTP_SECRET_BYTES],
    const char *code, int64_t now)
{
	int64_t c = 0;
	int rc;

	if (totp_code_parse(code, TOTP_DIGITS, &c) != 0)
		rc = TWOFACTOR_BAD;
	else
		rc = match_step(secret, c, now, -1) >= 0 ? TWOFACTOR_OK :
		    TWOFACTOR_BAD;
	secmem_wipe(&c, sizeof(c));
	return rc;
}

int
twofactor_confirm(struct store *s, const char *user_id, const char *code,
    int64_t now, char codes[RECOVERY_CODES][RECOVERY_CODE_SHOWN_BYTES])
{
	struct twofactor_match m;
	struct totp_row t;
	int64_t c = 0;
	int rc;

	memset(&m, 0, sizeof(m));
	if (K == NULL)
		return TWOFACTOR_FAIL;
	if (totp_code_parse(code, TOTP_DIGITS, &c) != 0) {
		secmem_wipe(&c, sizeof(c));
		return TWOFACTOR_BAD;
	}
	rc = store_totp_get(s, user_id, &t);
	if (rc != STORE_OK) {
		rc = rc == STORE_ENOTFOUND ? TWOFACTOR_BAD : TWOFACTOR_FAIL;
		goto done;
	}
	if (t.confirmed) {
		rc = TWOFACTOR_BAD;
		goto done;
	}
	if ((rc = totp_match(user_id, &t, c, now, &m)) != TWOFACTOR_OK)
		goto done;
	/* the step is used and the row confirmed by one UPDATE */
	rc = store_totp_use_step(s, user_id, m.step, 0);
	if (rc != STORE_OK) {
		rc = rc == STORE_ENOTFOUND ? TWOFACTOR_BAD : TWOFACTOR_FAIL;
		goto done;
	}
	rc = twofactor_recovery_new(s, user_id, codes);
done:
	secmem_wipe(&c, sizeof(c));
	twofactor_match_wipe(&m);
	secmem_wipe(&t, sizeof(t));
	if (rc != TWOFACTOR_OK)
		secmem_wipe(codes, sizeof(char) * RECOVERY_CODES *
		    RECOVERY_CODE_SHOWN_BYTES);
	return rc;
}
