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
 * Crash safety. The new key is written first, wrapped under the operator
 * passphrase, to DIR/keys.rotate (O_EXCL, 0600, fsync'd); then the
 * database commits the rotation; then keys.rotate is renamed over
 * DIR/keys. A crash before the commit leaves a stray keys.rotate that the
 * next run removes; a crash after it leaves a log that names a key the
 * wrap file does not hold yet, which serve refuses and the next run of
 * this command finishes by renaming keys.rotate into place. The new key is
 * never only in memory while the log already names it.
 */
#include <errno.h>
#include <getopt.h>
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

#define ROTATE_USAGE "usage: corridor audit rotate-key DIR [--passphrase-file F]"

/* The wrap file holding the next key while a rotation is under way. */
#define DATADIR_KEYS_ROTATE	"keys.rotate"

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
	static const struct option longopts[] = {
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct keys_secret *ks = NULL, *next = NULL;
	struct store *s = NULL;
	const char *passfile = NULL, *dir;
	char db_path[4096], keys_path[4096], rot_path[4096], cp_path[4096];
	char err[256], *pass = NULL;
	uint8_t pk[NOTE_PK_BYTES];
	size_t pass_len = 0;
	int ch, rc = 1, kr, lock = -1, pending;

	opterr = 0;	/* getopt's messages would echo a mistyped secret */
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'p') {
			cli_error(ROTATE_USAGE);
			return EXIT_USAGE;
		}
		passfile = optarg;
	}
	if (optind != argc - 1) {
		cli_error(ROTATE_USAGE);
		return EXIT_USAGE;
	}
	dir = argv[optind];
	if (cli_path(db_path, sizeof(db_path), dir, DATADIR_DB) != 0 ||
	    cli_path(keys_path, sizeof(keys_path), dir, DATADIR_KEYS) != 0 ||
	    cli_path(rot_path, sizeof(rot_path), dir, DATADIR_KEYS_ROTATE) != 0 ||
	    cli_path(cp_path, sizeof(cp_path), dir, DATADIR_AUDIT_CP) != 0) {
		cli_error("data directory path too long");
		return EXIT_USAGE;
	}
	if (datadir_check_owner(dir) != 0)
		return 1;
	/* the lock serve holds: never beside a server or a key change */
	if ((lock = datadir_lock(dir)) == -1) {
		cli_error(errno == EWOULDBLOCK ? "the data directory is in use; "
		    "stop the server first" : "cannot open the data directory");
		return 1;
	}
	if (secret_read(&pass, &pass_len, passfile, "Operator passphrase: ", 0,
	    MAX_PASSPHRASE_BYTES, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		goto done;
	}
	if ((ks = secmem_alloc(sizeof(*ks))) == NULL ||
	    (next = secmem_alloc(sizeof(*next))) == NULL) {
		cli_error("cannot allocate locked memory");
		goto done;
	}
	/* settles an interrupted rekey first, as serve does */
	if (datadir_open_keys(dir, lock, pass, pass_len, ks, err,
	    sizeof(err)) != 0) {
		cli_error("%s", err);
		goto done;
	}
	if ((kr = store_open(&s, db_path, ks->db_key, 0)) != STORE_OK ||
	    (kr = store_migrate(s)) != STORE_OK) {
		cli_error("%s", store_strerror(kr));
		goto done;
	}

	/* an interrupted rotation: finish it if the log already names the
	 * key in keys.rotate, otherwise drop it and start afresh */
	pending = access(rot_path, F_OK) == 0;
	if (pending) {
		if ((kr = keys_wrap_open(rot_path, pass, pass_len, next)) !=
		    KEYS_OK) {
			cli_error("cannot open %s: %s", rot_path,
			    keys_strerror(kr));
			goto done;
		}
		if (!secmem_equal(next->db_key, ks->db_key,
		    sizeof(ks->db_key))) {
			cli_error("%s belongs to another database; remove it",
			    rot_path);
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
			rc = 0;
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
	memcpy(next->db_key, ks->db_key, sizeof(ks->db_key));
	note_keypair(pk, next->audit_sk);
	if ((kr = keys_wrap_create(rot_path, pass, pass_len, next)) !=
	    KEYS_OK) {
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
	store_close(s);
	secmem_free(next);
	secmem_free(ks);
	secret_free(pass, pass_len);
	datadir_unlock(lock);
	return rc;
}
