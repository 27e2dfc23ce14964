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
	struct datadir d = { .lock = -1 };
	struct keys_secret *ks, *next = NULL;
	struct store *s;
	const char *passfile = NULL, *dir, *pass, *keys_path, *cp_path;
	char rot_path[DATADIR_PATH_BYTES], err[256];
	uint8_t pk[NOTE_PK_BYTES];
	size_t pass_len;
	int ch, rc = 1, kr, pending;

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
	if (cli_path(rot_path, sizeof(rot_path), dir, DATADIR_KEYS_ROTATE)
	    != 0) {
		cli_error("data directory path too long");
		return EXIT_USAGE;
	}
	/* the lock serve holds: never beside a server or a key change; the
	 * passphrase wraps the next key */
	if ((rc = datadir_open(&d, dir, passfile, DATADIR_LOCK |
	    DATADIR_MIGRATE | DATADIR_KEEP_PASS, NULL)) != 0)
		return rc;
	rc = 1;
	ks = d.ks;
	s = d.s;
	pass = d.pass;
	pass_len = d.pass_len;
	keys_path = d.keys_path;
	cp_path = d.cp_path;
	if ((next = secmem_alloc(sizeof(*next))) == NULL) {
		cli_error("cannot allocate locked memory");
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
	secmem_free(next);
	datadir_close(&d);
	return rc;
}
