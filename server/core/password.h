/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * password: the strength rule for every password that seals a user's key
 * (PUT /me/password, POST /users, corridor init). Besides the length caps
 * of server/limits.h, a password must pass libpwquality (Debian's
 * maintained checker, over the cracklib dictionary): not the user's own
 * name or a variant of it, not a dictionary or common password, not a
 * low-entropy string such as "aaaaaaaaaaaa" or "abcdefghijkl", and not a
 * small change of the old password.
 *
 * The settings are fixed here, not read from /etc/security/pwquality.conf,
 * so that the rule is the same on every machine and in the tests.
 */
#ifndef CORRIDOR_PASSWORD_H
#define CORRIDOR_PASSWORD_H

#include <stddef.h>

enum password_verdict {
	PASSWORD_OK = 0,
	PASSWORD_ENAME,		/* contains or resembles the username */
	PASSWORD_EDICT,		/* a dictionary or common password */
	PASSWORD_ESIMPLE,	/* too few different characters, a sequence,
				 * repeats, a palindrome */
	PASSWORD_EOLD,		/* too close to the old password */
	PASSWORD_EINTERNAL,	/* the checker failed: refuse, fail closed */
};

/* Check that the checker runs and has its dictionary (a self-test in a
 * child). 0, or -1. Once, before serving. */
int password_init(void) __attribute__((warn_unused_result));
void password_shutdown(void);

/*
 * Judge pw for username (and old, the password it replaces, or NULL), in
 * a child process (`corridor pwcheck`), so that no copy the checker makes
 * stays in this process. Thread-safe; blocks for one process start and
 * one dictionary lookup (a few milliseconds). PASSWORD_EINTERNAL when the
 * child cannot run: callers refuse (fail closed).
 */
enum password_verdict password_check(const char *pw, const char *username,
    const char *old);

/*
 * The child's side: read "username\0old\0password\0" (old "" for none)
 * from fd, judge it in this process, and return the verdict as the exit
 * status. Only `corridor pwcheck` calls this.
 */
int password_child_main(int fd);

/* The judgement itself, in this process (the child's). */
int password_judge_init(void) __attribute__((warn_unused_result));
enum password_verdict password_judge(const char *pw, const char *username,
    const char *old);

/* A fixed English sentence for a verdict, for problem details and the
 * command line. Never holds the password. */
const char *password_verdict_text(enum password_verdict v);

#endif
