/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli: what every command shares: the one-line error report, joining a
 * data directory and a file name, and the process hardening main() does
 * first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "server/cli/cli.h"
#include "server/limits.h"

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("corridor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_path(char *out, size_t out_len, const char *dir, const char *name)
{
	int n = snprintf(out, out_len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= out_len ? -1 : 0;
}

int
cli_harden(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -1;
	return 0;
}

int
cli_lock_memory(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0 ||
	    (rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)MLOCKALL_MIN_BYTES))
		return -1;
	/* MCL_ONFAULT: lock pages as they are touched, never populate the
	 * whole address space (thread stacks, the sanitizers' shadow) */
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0)
		return -1;
	return 0;
}
