/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* password: the strength rule, over libpwquality. See password.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <pwquality.h>

#include "crypto/secmem.h"
#include "server/core/password.h"
#include "server/limits.h"

/*
 * Two checkers. pwq judges the whole password. core judges its stem: the
 * password lowercased, without the digits and symbols at either end, and
 * with an exact doubling undone. cracklib accepts "password1234",
 * "iloveyou1234", "2024sunshine!" and "passwordpassword" whole, but
 * rejects "password", "iloveyou" and "sunshine" as dictionary words, so a
 * dictionary word dressed with a few digits or symbols (at most
 * AFFIX_MAX_BYTES in all: a year, a PIN, "123!") is refused here. A
 * longer affix is strength of its own ("first-b522906051685876"). Only the
 * stem's "dictionary word" verdict counts.
 */
#define AFFIX_MAX_BYTES	8u

static struct {
	pthread_mutex_t		 mu;
	pwquality_settings_t	*pwq;
	pwquality_settings_t	*core;
} P = { .mu = PTHREAD_MUTEX_INITIALIZER, .pwq = NULL, .core = NULL };

/* cracklib's reasons (lib/fascist.c): a dictionary hit ("it is based on
 * a dictionary word", "... a (reversed) dictionary word") */
static int
is_dictionary_reason(const void *aux)
{
	return aux != NULL && strstr(aux, "dictionary word") != NULL;
}

/*
 * cracklib's "too simplistic/systematic" fires on random strings too: 13%
 * of "first-" + 16 random hex digits, for runs of close characters such
 * as "3456" or "9889". A password of SYSTEMATIC_OK_BYTES or more that
 * passes every other rule is long enough not to hinge on such a run
 * (16 random hex digits alone are 64 bits), so the verdict counts only
 * below that length; MAX_SEQUENCE still refuses "abcdefghijkl".
 */
#define SYSTEMATIC_OK_BYTES	16u

static int
is_systematic_reason(const void *aux)
{
	return aux != NULL && strstr(aux, "systematic") != NULL;
}

static int
is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* 1 if pw's stem (above) is a dictionary word. Called with P.mu held. */
static int
core_is_word(const char *pw)
{
	char core[MAX_PASSWORD_BYTES + 1];
	size_t b = 0, e = strlen(pw), n = 0;
	void *aux = NULL;
	int rc;

	while (b < e && !is_letter(pw[b]))
		b++;
	while (e > b && !is_letter(pw[e - 1]))
		e--;
	if (strlen(pw) - (e - b) > AFFIX_MAX_BYTES)
		return 0;
	for (size_t i = b; i < e && n < MAX_PASSWORD_BYTES; i++)
		core[n++] = is_letter(pw[i]) ? (char)(pw[i] | 0x20) : pw[i];
	core[n] = '\0';
	if (n > 0 && n % 2 == 0 && memcmp(core, core + n / 2, n / 2) == 0)
		core[n / 2] = '\0';
	rc = pwquality_check(P.core, core, NULL, NULL, &aux);
	secmem_wipe(core, sizeof(core));
	return rc == PWQ_ERROR_CRACKLIB_CHECK && is_dictionary_reason(aux);
}

int
password_init(void)
{
	pwquality_settings_t *pwq, *core;

	if (P.pwq != NULL)
		return 0;
	if ((core = pwquality_default_settings()) == NULL)
		return -1;
	/* cracklib's own floor; shorter cores are not judged */
	if (pwquality_set_int_value(core, PWQ_SETTING_MIN_LENGTH, 6) != 0 ||
	    pwquality_set_int_value(core, PWQ_SETTING_DICT_CHECK, 1) != 0) {
		pwquality_free_settings(core);
		return -1;
	}
	if ((pwq = pwquality_default_settings()) == NULL) {
		pwquality_free_settings(core);
		return -1;
	}
	/* the length rule is ours (MIN_PASSWORD_BYTES): no credit games */
	if (pwquality_set_int_value(pwq, PWQ_SETTING_MIN_LENGTH,
	    (int)MIN_PASSWORD_BYTES) != 0 ||
	    pwquality_set_int_value(pwq, PWQ_SETTING_DICT_CHECK, 1) != 0 ||
	    pwquality_set_int_value(pwq, PWQ_SETTING_USER_CHECK, 1) != 0 ||
	    /* any 4 bytes of the username inside the password */
	    pwquality_set_int_value(pwq, PWQ_SETTING_USER_SUBSTR, 4) != 0 ||
	    /* "abcdefghijkl", "123456789012" */
	    pwquality_set_int_value(pwq, PWQ_SETTING_MAX_SEQUENCE, 5) != 0 ||
	    pwquality_set_int_value(pwq, PWQ_SETTING_ENFORCING, 1) != 0) {
		pwquality_free_settings(pwq);
		pwquality_free_settings(core);
		return -1;
	}
	P.pwq = pwq;
	P.core = core;
	return 0;
}

void
password_shutdown(void)
{
	pthread_mutex_lock(&P.mu);
	pwquality_free_settings(P.pwq);
	pwquality_free_settings(P.core);
	P.pwq = NULL;
	P.core = NULL;
	pthread_mutex_unlock(&P.mu);
}

enum password_verdict
password_check(const char *pw, const char *username, const char *old)
{
	void *aux = NULL;
	int rc;

	pthread_mutex_lock(&P.mu);
	if (P.pwq == NULL) {
		pthread_mutex_unlock(&P.mu);
		return PASSWORD_EINTERNAL;
	}
	rc = pwquality_check(P.pwq, pw, old, username, &aux);
	/* aux is cracklib's static reason, or NULL: nothing to free */
	if (rc == PWQ_ERROR_CRACKLIB_CHECK && is_systematic_reason(aux) &&
	    strlen(pw) >= SYSTEMATIC_OK_BYTES)
		rc = 0;
	if (rc == PWQ_ERROR_CRACKLIB_CHECK && !is_dictionary_reason(aux))
		rc = PWQ_ERROR_MAX_SEQUENCE;	/* too simple, not a word */
	if (rc >= 0 && core_is_word(pw))
		rc = PWQ_ERROR_CRACKLIB_CHECK;
	pthread_mutex_unlock(&P.mu);
	if (rc >= 0)
		return PASSWORD_OK;
	switch (rc) {
	case PWQ_ERROR_USER_CHECK:
	case PWQ_ERROR_GECOS_CHECK:
	case PWQ_ERROR_BAD_WORDS:
		return PASSWORD_ENAME;
	case PWQ_ERROR_CRACKLIB_CHECK:
		return PASSWORD_EDICT;
	case PWQ_ERROR_SAME_PASSWORD:
	case PWQ_ERROR_TOO_SIMILAR:
	case PWQ_ERROR_CASE_CHANGES_ONLY:
	case PWQ_ERROR_ROTATED:
		return PASSWORD_EOLD;
	case PWQ_ERROR_MIN_LENGTH:
	case PWQ_ERROR_PALINDROME:
	case PWQ_ERROR_MAX_CONSECUTIVE:
	case PWQ_ERROR_MAX_CLASS_REPEAT:
	case PWQ_ERROR_MAX_SEQUENCE:
	case PWQ_ERROR_MIN_CLASSES:
	case PWQ_ERROR_MIN_DIGITS:
	case PWQ_ERROR_MIN_UPPERS:
	case PWQ_ERROR_MIN_LOWERS:
	case PWQ_ERROR_MIN_OTHERS:
	case PWQ_ERROR_EMPTY_PASSWORD:
		return PASSWORD_ESIMPLE;
	}
	return PASSWORD_EINTERNAL;
}

const char *
password_verdict_text(enum password_verdict v)
{
	switch (v) {
	case PASSWORD_OK:
		return "The password is acceptable.";
	case PASSWORD_ENAME:
		return "The password contains or resembles the username.";
	case PASSWORD_EDICT:
		return "The password is a dictionary word or a common password.";
	case PASSWORD_ESIMPLE:
		return "The password is too simple: too few different "
		    "characters, a sequence or a repetition.";
	case PASSWORD_EOLD:
		return "The new password is too close to the old one.";
	case PASSWORD_EINTERNAL:
		break;
	}
	return "The password could not be checked; try again later.";
}
