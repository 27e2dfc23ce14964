/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_verify: placeholder until the Merkle log lands. It refuses to
 * claim anything: it always fails with exit status 1.
 */
#include <stdio.h>

#include "server/audit_verify.h"

int
audit_verify_cli(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "corridor: audit verify: not yet implemented\n");
	return 1;
}
