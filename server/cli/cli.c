/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli: what every command shares: its options parsed from a table, the
 * one-line error report, joining a data directory and a file name, and the
 * process hardening main() does first.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "server/cli/cli.h"
#include "server/limits.h"

/* optarg as decimal digits (no sign, no blank) from o->min to o->max. */
static int
parse_uint(const char *value, const struct cli_opt *o)
{
	unsigned long v;
	char *end;

	if (value[0] < '0' || value[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || v < o->min || v > o->max)
		return -1;
	*(unsigned long *)o->out = v;
	return 0;
}

int
cli_parse(int argc, char **argv, const struct cli_opt *opts, size_t n_opts,
    const char **operands, int n_operands)
{
	struct option longopts[CLI_MAX_OPTS + 1];
	const struct cli_opt *o;
	int ch;

	if (n_opts > CLI_MAX_OPTS)
		abort();	/* a command's table outgrew the cap */
	for (size_t i = 0; i < n_opts; i++) {
		longopts[i].name = opts[i].name;
		longopts[i].has_arg = opts[i].arg == CLI_FLAG ? no_argument :
		    required_argument;
		longopts[i].flag = NULL;
		longopts[i].val = (int)i + 1;
	}
	memset(&longopts[n_opts], 0, sizeof(longopts[n_opts]));
	opterr = 0;	/* its messages would echo a mistyped secret */
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch < 1 || (size_t)ch > n_opts)
			return -1;	/* unknown, or a value missing */
		o = &opts[ch - 1];
		switch (o->arg) {
		case CLI_TEXT:
			*(const char **)o->out = optarg;
			break;
		case CLI_FLAG:
			*(int *)o->out = 1;
			break;
		case CLI_UINT:
			if (parse_uint(optarg, o) != 0)
				return -1;
			break;
		case CLI_PARSE:
			if (o->parse(optarg, o->out) != 0)
				return -1;
			break;
		}
	}
	if (argc - optind != n_operands)
		return -1;
	for (int i = 0; i < n_operands; i++)
		operands[i] = argv[optind + i];
	return 0;
}

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
