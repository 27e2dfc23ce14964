/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli_audit: `corridor audit rotate-key DIR`, offline (the server
 * stopped). Replaces the audit signing key so that the log can prove the
 * handover: the log records the new public key in an audit.key_rotate
 * entry, and the old key signs a checkpoint covering that entry, in the
 * same transaction; checkpoints from then on are signed by the new key,
 * and `corridor audit verify` follows the chain from the key the auditors
 * pinned (docs/audit.md, "Key rotation").
 *
 * The signing key lives in DIR/audit-key, under the signing passphrase
 * (--signing-passphrase-file, else the operator passphrase). The new key
 * is wrapped under --new-signing-passphrase-file if given, so a rotation
 * is also how a deployment moves its signing key to a passphrase of its
 * own (docs/operations.md).
 *
 * Crash safety. The new key is written first to DIR/audit-key.rotate
 * (O_EXCL, 0600, fsync'd); then the database commits the rotation; then
 * audit-key.rotate is renamed over DIR/audit-key. A crash before the
 * commit leaves a stray audit-key.rotate that the next run removes; a
 * crash after it leaves a log that names a key the wrap file does not
 * hold yet, which serve refuses and the next run of this command finishes
 * by renaming audit-key.rotate into place. The new key is never only in
 * memory while the log already names it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto/keys.h"
#include "crypto/note.h"
#include "crypto/secmem.h"
#include "schema/store.h"
#include "server/audit/audit.h"
#include "server/cli/cli.h"
#include "server/cli/datadir.h"
#include "server/limits.h"
#include "server/cli/secret.h"

#define ROTATE_USAGE "usage: corridor audit rotate-key DIR " \
	"[--passphrase-file F] [--signing-passphrase-file F] " \
	"[--new-signing-passphrase-file F]"

/* The wrap file holding the next key while a rotation is under way. */
#define DATADIR_SIGN_ROTATE	"audit-key.rotate"

/* The new key's passphrase: its own, or the operator's (np unset). */
#define NEWPASS		(np != NULL ? np : pass)
#define NEWPASS_LEN	(np != NULL ? np_len : pass_len)

/*
 * After the new audit-key is installed: index-key follows it to the new
 * signing passphrase (it was under the old one: signfile's, or the
 * operator's). 0, or -1 after printing why.
 */
static int
follow_index(const char *dir, const char *signfile, const char *pass,
    size_t pass_len, const char *np, size_t np_len)
{
	char err[256], *op = NULL;
	size_t op_len = 0;
	int rc;

	if (signfile != NULL && secret_read(&op, &op_len, signfile,
	    "Audit signing passphrase: ", 0, MAX_PASSPHRASE_BYTES, err,
	    sizeof(err)) != 0) {
		cli_error("%s", err);
		return -1;
	}
	rc = datadir_rewrap_index(dir, op != NULL ? op : pass,
	    op != NULL ? op_len : pass_len, NEWPASS, NEWPASS_LEN, err,
	    sizeof(err));
	secret_free(op, op_len);
	if (rc != 0)
		cli_error("%s", err);
	return rc;
}

static void
print_key(const char *what)
{
	struct note_vkey vk;
	char text[NOTE_VKEY_MAX_BYTES];

	audit_vkey(&vk);
	if (note_vkey_format(text, sizeof(text), &vk) == NOTE_OK)
		printf("%s %s\n", what, text);
}

int
cli_audit_rotate_key(int argc, char **argv)
{
	struct datadir d = { .lock = -1 };
	struct keys_secret *ks, *next = NULL;
	struct store *s;
	const char *passfile = NULL, *signfile = NULL, *newfile = NULL;
	const char *dir, *pass, *cp_path;
	char rot_path[DATADIR_PATH_BYTES], keys_path[DATADIR_PATH_BYTES];
	char err[256], *np = NULL;
	uint8_t pk[NOTE_PK_BYTES];
	size_t pass_len, np_len = 0;
	int rc = 1, kr, pending;
	const struct cli_opt opts[] = {
		CLI_OPT_TEXT("passphrase-file", &passfile),
		CLI_OPT_TEXT("signing-passphrase-file", &signfile),
		CLI_OPT_TEXT("new-signing-passphrase-file", &newfile),
	};

	if (cli_parse(argc, argv, opts, CLI_NOPTS(opts), &dir, 1) != 0) {
		cli_error(ROTATE_USAGE);
		return EXIT_USAGE;
	}
	if (cli_path(rot_path, sizeof(rot_path), dir, DATADIR_SIGN_ROTATE)
	    != 0 || cli_path(keys_path, sizeof(keys_path), dir, DATADIR_SIGN)
	    != 0) {
		cli_error("data directory path too long");
		return EXIT_USAGE;
	}
	/* the lock serve holds: never beside a server or a key change; the
	 * passphrase wraps the next key */
	if ((rc = datadir_open_signed(&d, dir, passfile, signfile,
	    DATADIR_LOCK | DATADIR_MIGRATE | DATADIR_SIGNING |
	    DATADIR_KEEP_PASS, NULL)) != 0)
		return rc;
	rc = 1;
	ks = d.ks;
	s = d.s;
	pass = d.pass;
	pass_len = d.pass_len;
	cp_path = d.cp_path;
	if ((next = secmem_alloc(sizeof(*next))) == NULL) {
		cli_error("cannot allocate locked memory");
		goto done;
	}
	/* the passphrase of the new key: its own file, or the current one */
	if ((newfile != NULL || signfile != NULL) && secret_read(&np, &np_len,
	    newfile != NULL ? newfile : signfile, "Audit signing passphrase: ",
	    0, MAX_PASSPHRASE_BYTES, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		goto done;
	}

	/* an interrupted rotation: finish it if the log already names the
	 * key in keys.rotate, otherwise drop it and start afresh */
	pending = access(rot_path, F_OK) == 0;
	if (pending) {
		if ((kr = keys_sign_open(rot_path, NEWPASS, NEWPASS_LEN,
		    next->audit_sk)) != KEYS_OK) {
			cli_error("cannot open %s: %s", rot_path,
			    keys_strerror(kr));
			goto done;
		}
		{
			/* its public key, from the seed half */
			uint8_t tmp[NOTE_SK_BYTES];

			note_keypair_from_seed(pk, tmp, next->audit_sk);
			secmem_wipe(tmp, sizeof(tmp));
		}
		switch (audit_log_names_key(s, pk)) {
		case 1:
			/* the log is handed over: install the key */
			if (audit_open(s, next->audit_sk, cp_path, err,
			    sizeof(err)) != 0) {
				cli_error("refusing to finish the rotation: %s",
				    err);
				goto done;
			}
			if (rename(rot_path, keys_path) != 0 ||
			    datadir_sync(dir) != 0) {
				cli_error("cannot install the new key file");
				goto done;
			}
			printf("corridor: finished an interrupted audit key "
			    "rotation\n");
			print_key("audit key");
			rc = follow_index(dir, signfile, pass, pass_len, np,
			    np_len) != 0;
			goto done;
		case 0:
			/* never logged: the old key stays */
			if (unlink(rot_path) != 0 || datadir_sync(dir) != 0) {
				cli_error("cannot remove the stale %s",
				    rot_path);
				goto done;
			}
			break;
		default:
			cli_error("cannot read the audit log");
			goto done;
		}
	}

	/* the log as it stands must pass every start-up check */
	if (audit_open(s, ks->audit_sk, cp_path, err, sizeof(err)) != 0) {
		cli_error("refusing to rotate: %s", err);
		goto done;
	}
	/* the next key, safe on disk before the log names it */
	note_keypair(pk, next->audit_sk);
	if ((kr = keys_sign_create(rot_path, NEWPASS, NEWPASS_LEN,
	    next->audit_sk)) != KEYS_OK) {
		cli_error("cannot write %s: %s", rot_path, keys_strerror(kr));
		goto done;
	}
	if (datadir_sync(dir) != 0 || audit_rotate(s, pk, "rotate-key") != 0) {
		cli_error("cannot record the key rotation in the audit log; "
		    "run this command again");
		goto done;
	}
	if (rename(rot_path, keys_path) != 0 || datadir_sync(dir) != 0) {
		cli_error("the rotation is logged but the new key file is not "
		    "installed; run this command again to finish");
		goto done;
	}
	print_key("previous audit key");
	printf("corridor: audit key rotated\n");
	if (follow_index(dir, signfile, pass, pass_len, np, np_len) != 0)
		goto done;
	{
		struct note_vkey cur, vk;
		char text[NOTE_VKEY_MAX_BYTES];

		audit_vkey(&cur);
		if (note_vkey_init(&vk, cur.name, cur.name_len, pk) == NOTE_OK &&
		    note_vkey_format(text, sizeof(text), &vk) == NOTE_OK)
			printf("audit key %s\n", text);
	}
	rc = 0;
done:
	audit_close();
	secret_free(np, np_len);
	secmem_free(next);
	datadir_close(&d);
	return rc;
}
