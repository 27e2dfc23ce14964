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
/* Internal: one password judged in a child of the server (cli_pwcheck.c). */
int cli_pwcheck(int argc, char **argv);

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
