/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli_pwcheck: `corridor pwcheck`, internal. The server runs it as a
 * child to judge one password (server/core/password.c says why: the
 * checker leaves copies of what it judged in memory it never wipes, and
 * they must die with a short-lived process, not stay in the server). It
 * reads the request on standard input and answers with its exit status,
 * the verdict; it prints nothing. Not for people: it takes no arguments.
 */
#include <unistd.h>

#include "server/cli/cli.h"
#include "server/core/password.h"

int
cli_pwcheck(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return PASSWORD_EINTERNAL;
	return password_child_main(STDIN_FILENO);
}
