/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * main: the corridor command line. Dispatches to init, serve, check,
 * backup, restore, passphrase, rekey, retention run, audit verify and audit
 * rotate-key; everything that can fail before serving reports one line on
 * stderr and exits 1 (operational) or 2 (usage).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "crypto/secmem.h"
#include "server/audit/audit_verify.h"
#include "server/cli/cli.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: corridor init  DIR [--passphrase-file F]\n"
	    "                      [--admin NAME --admin-password-file F]\n"
	    "                      [--coordinator NAME --coordinator-password-file F]\n"
	    "       corridor serve DIR [--passphrase-file F] [--listen HOST:PORT]\n"
	    "                      [--tls-cert F --tls-key F] [--insecure-http]\n"
	    "                      [--session-idle SECONDS] [--quiet]\n"
	    "                      [--retention-days N]\n"
	    "                      [--checkpoint-every N] [--checkpoint-interval SECONDS]\n"
	    "       corridor check DIR [--passphrase-file F]\n"
	    "       corridor backup DIR OUT [--passphrase-file F]\n"
	    "       corridor restore BACKUP DIR [--passphrase-file F]\n"
	    "       corridor passphrase DIR [--passphrase-file F]\n"
	    "                      [--new-passphrase-file F]\n"
	    "       corridor rekey DIR [--passphrase-file F]\n"
	    "       corridor retention run DIR [--passphrase-file F] [--days N]\n"
	    "                      [--now RFC3339]\n"
	    "       corridor audit verify EXPORT --public-key F [--checkpoint F]...\n"
	    "       corridor audit rotate-key DIR [--passphrase-file F]\n"
	    "       corridor --help | --version\n");
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
main(int argc, char **argv)
{
	/* every file we create (database, WAL, keys, backups) is private,
	 * also in the moment before any explicit chmod */
	umask(077);

	if (cli_harden() != 0) {
		cli_error("cannot disable core dumps");
		return 1;
	}
	/* before any thread starts */
	if (secmem_init() != 0) {
		cli_error("cannot initialise libsodium");
		return 1;
	}
	secmem_json_allocators();

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("corridor %s\n", CORRIDOR_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "init") == 0)
		return cli_init(argc - 1, argv + 1);
	if (strcmp(argv[1], "serve") == 0)
		return cli_serve(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cli_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "backup") == 0)
		return cli_backup(argc - 1, argv + 1);
	if (strcmp(argv[1], "restore") == 0)
		return cli_restore(argc - 1, argv + 1);
	if (strcmp(argv[1], "passphrase") == 0)
		return cli_passphrase(argc - 1, argv + 1);
	if (strcmp(argv[1], "rekey") == 0)
		return cli_rekey(argc - 1, argv + 1);
	if (strcmp(argv[1], "retention") == 0)
		return cli_retention(argc - 1, argv + 1);
	if (strcmp(argv[1], "audit") == 0 && argc >= 3 &&
	    strcmp(argv[2], "verify") == 0)
		return audit_verify_cli(argc - 2, argv + 2);
	if (strcmp(argv[1], "audit") == 0 && argc >= 3 &&
	    strcmp(argv[2], "rotate-key") == 0)
		return cli_audit_rotate_key(argc - 2, argv + 2);
	usage(stderr);
	return EXIT_USAGE;
}
