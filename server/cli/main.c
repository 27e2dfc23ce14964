/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * main: the corridor command line. Dispatches to init, serve, check,
 * backup, restore, passphrase, rekey, retention run, audit verify, audit
 * rotate-key, witness init/serve and partner; everything that can fail
 * before serving reports one line on stderr and exits 1 (operational) or
 * 2 (usage).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/secmem.h"
#include "server/cli/cli.h"

/* The commands: "name" or "name sub". run gets argv from the last word
 * of the command on: argv[0] is "serve" for serve, "verify" for audit
 * verify. */
static const struct command {
	const char	*name;
	const char	*sub;
	int		(*run)(int, char **);
} commands[] = {
	{ "init",	NULL,		cli_init },
	{ "serve",	NULL,		cli_serve },
	{ "check",	NULL,		cli_check },
	{ "backup",	NULL,		cli_backup },
	{ "restore",	NULL,		cli_restore },
	{ "passphrase",	NULL,		cli_passphrase },
	{ "rekey",	NULL,		cli_rekey },
	{ "retention",	NULL,		cli_retention },
	{ "audit",	"verify",	cli_audit_verify },
	{ "audit",	"rotate-key",	cli_audit_rotate_key },
	{ "witness",	NULL,		cli_witness },
	{ "partner",	NULL,		cli_partner },
	{ "pwcheck",	NULL,		cli_pwcheck },	/* internal */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: corridor init  DIR [--passphrase-file F]\n"
	    "                      [--signing-passphrase-file F]\n"
	    "                      [--admin NAME --admin-password-file F]\n"
	    "                      [--coordinator NAME --coordinator-password-file F]\n"
	    "       corridor serve DIR [--passphrase-file F] [--listen HOST:PORT]\n"
	    "                      [--signing-passphrase-file F]\n"
	    "                      [--tls-cert F --tls-key F] [--insecure-http]\n"
	    "                      [--session-idle SECONDS] [--quiet]\n"
	    "                      [--retention-days N] [--disk-reserve-mib N]\n"
	    "                      [--checkpoint-every N] [--checkpoint-interval SECONDS]\n"
	    "                      [--witness URL,KEYFILE]...\n"
	    "       corridor check DIR [--passphrase-file F]\n"
	    "       corridor backup DIR OUT [--passphrase-file F]\n"
	    "                      [--prune-days N]\n"
	    "       corridor restore BACKUP DIR [--passphrase-file F]\n"
	    "                      [--signing-key F [--signing-passphrase-file F]]\n"
	    "                      [--new-signing-passphrase-file F]\n"
	    "       corridor passphrase DIR [--passphrase-file F]\n"
	    "                      [--new-passphrase-file F]\n"
	    "       corridor rekey DIR [--passphrase-file F]\n"
	    "       corridor retention run DIR [--passphrase-file F] [--days N]\n"
	    "                      [--signing-passphrase-file F] [--now RFC3339]\n"
	    "       corridor audit verify EXPORT --public-key F [--checkpoint F]...\n"
	    "       corridor audit verify --tiles DIR --checkpoint F --public-key F\n"
	    "       corridor audit verify ... [--witness-key F]... [--witness-quorum K]\n"
	    "       corridor witness init DIR --name NAME\n"
	    "       corridor witness serve DIR --log-key F... [--listen HOST:PORT]\n"
	    "       corridor audit rotate-key DIR [--passphrase-file F]\n"
	    "                      [--signing-passphrase-file F]\n"
	    "                      [--new-signing-passphrase-file F]\n"
	    "       corridor partner add DIR --name N --public-key F\n"
	    "                      [--passphrase-file F]\n"
	    "       corridor partner list DIR [--passphrase-file F]\n"
	    "       corridor partner remove DIR PARTNER [--passphrase-file F]\n"
	    "       corridor partner fingerprint F\n"
	    "       corridor --help | --version\n");
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
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];
		int words = c->sub != NULL ? 2 : 1;

		if (strcmp(argv[1], c->name) == 0 && (c->sub == NULL ||
		    (argc >= 3 && strcmp(argv[2], c->sub) == 0)))
			return c->run(argc - words, argv + words);
	}
	usage(stderr);
	return EXIT_USAGE;
}
