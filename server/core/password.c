/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * password: the strength rule, over libpwquality (see password.h), judged
 * in a child process. cracklib copies the candidate into static buffers
 * and onto the stack (lowercased, reversed) and never wipes them; in the
 * server those copies would outlive the request, and a memory dump taken
 * weeks later would hold a coordinator's password, which opens the org
 * key. So password_check spawns `corridor pwcheck` (this binary again,
 * through /proc/self/exe: never a fork of the threaded server), hands it
 * the strings over a socket pair, and takes the verdict from its exit
 * status. Every copy cracklib makes dies with the child.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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
password_judge_init(void)
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

static void
judge_shutdown(void)
{
	pthread_mutex_lock(&P.mu);
	pwquality_free_settings(P.pwq);
	pwquality_free_settings(P.core);
	P.pwq = NULL;
	P.core = NULL;
	pthread_mutex_unlock(&P.mu);
}

enum password_verdict
password_judge(const char *pw, const char *username, const char *old)
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

/* --- the child's side: corridor pwcheck ------------------------------------ */

/* The request: username, old ("" for none) and the new password, each
 * NUL-terminated, one after the other. */
#define REQUEST_MAX_BYTES	(3u * (MAX_PASSWORD_BYTES + 1u))

int
password_child_main(int fd)
{
	char *buf;
	const char *f[3], *name, *old, *pw;
	size_t n = 0, k = 0;
	ssize_t got;
	int v = PASSWORD_EINTERNAL;

	if ((buf = secmem_alloc(REQUEST_MAX_BYTES + 1)) == NULL)
		return PASSWORD_EINTERNAL;
	while (n < REQUEST_MAX_BYTES &&
	    (got = read(fd, buf + n, REQUEST_MAX_BYTES - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			goto out;
		n += (size_t)got;
	}
	/* three strings exactly, each ended by its NUL */
	for (size_t i = 0, start = 0; i < n; i++) {
		if (buf[i] != '\0')
			continue;
		if (k == 3)
			goto out;
		f[k++] = buf + start;
		start = i + 1;
	}
	if (k != 3 || buf[n - 1] != '\0')
		goto out;
	name = f[0];
	old = f[1];
	pw = f[2];
	if (password_judge_init() != 0)
		goto out;
	v = password_judge(pw, name, *old != '\0' ? old : NULL);
	judge_shutdown();
out:
	secmem_wipe(buf, REQUEST_MAX_BYTES + 1);
	secmem_free(buf);
	return v;
}

/* --- the server's side ---------------------------------------------------- */

extern char **environ;

/* Send all of p (len bytes) on a socket, never raising SIGPIPE. */
static int
send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

enum password_verdict
password_check(const char *pw, const char *username, const char *old)
{
	/* posix_spawn's argv is char *const[]: writable copies of the words */
	static char w0[] = "corridor", w1[] = "pwcheck";
	char *const argv[] = { w0, w1, NULL };
	posix_spawn_file_actions_t fa;
	int sv[2] = { -1, -1 }, status, ok;
	pid_t pid;

	if (pw == NULL || username == NULL ||
	    strlen(pw) > MAX_PASSWORD_BYTES ||
	    strlen(username) > MAX_PASSWORD_BYTES ||
	    (old != NULL && strlen(old) > MAX_PASSWORD_BYTES))
		return PASSWORD_EINTERNAL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return PASSWORD_EINTERNAL;
	if (posix_spawn_file_actions_init(&fa) != 0) {
		close(sv[0]);
		close(sv[1]);
		return PASSWORD_EINTERNAL;
	}
	/* the child's stdin is its end of the pair; nothing else is open */
	ok = posix_spawn_file_actions_adddup2(&fa, sv[1], STDIN_FILENO) == 0 &&
	    posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ) == 0;
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (!ok) {
		close(sv[0]);
		return PASSWORD_EINTERNAL;
	}
	ok = send_all(sv[0], username, strlen(username) + 1) == 0 &&
	    send_all(sv[0], old != NULL ? old : "", old != NULL ?
	    strlen(old) + 1 : 1) == 0 &&
	    send_all(sv[0], pw, strlen(pw) + 1) == 0;
	shutdown(sv[0], SHUT_WR);
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return PASSWORD_EINTERNAL;
	if (!ok || !WIFEXITED(status) ||
	    WEXITSTATUS(status) > PASSWORD_EINTERNAL)
		return PASSWORD_EINTERNAL;
	return (enum password_verdict)WEXITSTATUS(status);
}

int
password_init(void)
{
	/* fail at start, not at the first password change: the checker
	 * must run and its dictionary must be there ("password" is in
	 * every cracklib dictionary; without it every verdict would be
	 * "too simple", a misleading refusal of every password) */
	return password_check("password1234", "corridor-self-test", NULL) ==
	    PASSWORD_EDICT ? 0 : -1;
}

void
password_shutdown(void)
{
	/* the server holds nothing: each check is its own process */
}
