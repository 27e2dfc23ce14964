/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli: the subcommands of the corridor binary. Each returns the process
 * exit status: 0 success, 1 operational error, 2 usage error.
 */
#ifndef CORRIDOR_CLI_H
#define CORRIDOR_CLI_H

#include <stddef.h>

#define EXIT_USAGE	2

/* File names inside a data directory. */
#define DATADIR_DB	"corridor.db"
#define DATADIR_KEYS	"keys"		/* K_db under the operator passphrase */
/* The audit signing key, under the signing passphrase: never in a backup
 * (docs/operations.md, "Who holds what"). */
#define DATADIR_SIGN	"audit-key"
/* The case lookup's blind-index key K_idx, under the signing passphrase
 * like audit-key and, like it, never in a backup (docs/crypto.md). */
#define DATADIR_INDEX_KEY	"index-key"
/* The latest audit checkpoint this server signed, kept outside the
 * database so that putting an older database back is noticed at start-up
 * (docs/audit.md, "Storage"). */
#define DATADIR_AUDIT_CP	"audit-checkpoint"

int cli_init(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_backup(int argc, char **argv);		/* cli_backup.c */
int cli_restore(int argc, char **argv);		/* cli_backup.c */
int cli_passphrase(int argc, char **argv);	/* cli_keys.c */
int cli_rekey(int argc, char **argv);		/* cli_keys.c */
int cli_retention(int argc, char **argv);	/* cli_retention.c */
int cli_audit_rotate_key(int argc, char **argv);	/* after "audit" */
/* After "audit": argv[0] is "verify", then EXPORT ("-" for stdin),
 * --public-key F and any number of --checkpoint F, in any order. Prints
 * the report line to stdout (OK) or stderr (anything else). 0 verified,
 * 1 verification failed or an I/O error, 2 usage error. (cli_verify.c) */
int cli_audit_verify(int argc, char **argv);
/* After nothing: argv[0] is "witness", then "init" or "serve"
 * (cli_witness.c). */
int cli_witness(int argc, char **argv);
/* Read a verifier key file ("<name>+<keyid>+<base64>", one optional
 * trailing newline) into vk. 0, or -1 after a line on stderr that starts
 * with who. (cli_verify.c) */
struct note_vkey;
int cli_load_vkey(struct note_vkey *vk, const char *path, const char *who);
/* After "partner": add, list, remove, fingerprint (cli_partner.c). */
int cli_partner(int argc, char **argv);
/* Internal: one password judged in a child of the server (cli_pwcheck.c). */
int cli_pwcheck(int argc, char **argv);

/* What a command's option takes (struct cli_opt). */
enum cli_arg {
	CLI_TEXT,	/* a value, kept as is: *(const char **)out (a path) */
	CLI_FLAG,	/* no value: *(int *)out = 1 */
	CLI_UINT,	/* decimal digits, min to max: *(unsigned long *)out */
	CLI_PARSE,	/* a value that parse(value, out) takes, 0 or -1 */
};

/* One --name option of a command. */
struct cli_opt {
	const char	*name;		/* without the leading "--" */
	enum cli_arg	 arg;
	void		*out;
	unsigned long	 min, max;	/* CLI_UINT */
	int		(*parse)(const char *value, void *out);	/* CLI_PARSE */
};

/* Table rows, by kind of value. */
#define CLI_OPT_TEXT(name, out)	{ (name), CLI_TEXT, (out), 0, 0, NULL }
#define CLI_OPT_FLAG(name, out)	{ (name), CLI_FLAG, (out), 0, 0, NULL }
#define CLI_OPT_UINT(name, out, min, max) \
	{ (name), CLI_UINT, (out), (min), (max), NULL }
#define CLI_OPT_PARSE(name, fn, out)	{ (name), CLI_PARSE, (out), 0, 0, (fn) }
#define CLI_NOPTS(opts)	(sizeof(opts) / sizeof((opts)[0]))

#define CLI_MAX_OPTS	16	/* options of one command */

/*
 * Parse argv (argv[0] is the command) against the n_opts options of opts,
 * in any order, a later one overriding an earlier one, and exactly
 * n_operands operands, which land in operands[] (pointers into argv).
 * getopt's own messages stay off: they would echo argv, which may hold a
 * mistyped secret. 0, or -1 for a usage error (the caller prints its
 * usage line).
 */
int cli_parse(int argc, char **argv, const struct cli_opt *opts,
    size_t n_opts, const char **operands, int n_operands)
    __attribute__((warn_unused_result));

/* Join dir and name into out; 0, or -1 if it does not fit. */
int cli_path(char *out, size_t out_len, const char *dir, const char *name);

/* One error line on stderr: "corridor: <what>". */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Core dumps off and the process not dumpable: SQLCipher 3.4.1 does not
 * wipe its memory, and our keys live in this process. 0 or -1. */
int cli_harden(void);

/*
 * Keep all of the process's memory out of swap: mlockall(MCL_CURRENT |
 * MCL_FUTURE | MCL_ONFAULT), if RLIMIT_MEMLOCK is unlimited or at least
 * MLOCKALL_MIN_BYTES (anything less would make later allocations, Argon2's
 * 64 MiB among them, fail). 0 locked; -1 not (the caller warns once:
 * decrypted content may then reach swap).
 */
int cli_lock_memory(void);

#endif
