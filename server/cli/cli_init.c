/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli_init: `corridor init DIR`. Creates the three wrap files (a random K_db
 * under the operator passphrase in keys, the audit signing key in
 * audit-key and the case lookup's blind-index key in index-key, both
 * under the signing passphrase, which is the operator's unless
 * --signing-passphrase-file gives another), the SQLCipher database
 * with its schema, the org key pair, the first admin and the first,
 * confirmed, coordinator. Refuses a DIR that already holds a database.
 * It also names the audit log (a random origin), records the two users'
 * creation as its first entries, signs the first checkpoint and prints
 * the verifier key that auditors pin (docs/audit.md, section 9).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/blind.h"
#include "crypto/keys.h"
#include "crypto/seal.h"
#include "crypto/secmem.h"
#include "crypto/userkey.h"
#include "schema/store.h"
#include "schema/store_user.h"
#include "server/audit/audit.h"
#include "server/cli/cli.h"
#include "server/limits.h"
#include "server/cli/secret.h"
#include "server/core/password.h"
#include "server/core/users.h"

struct init_opts {
	const char	*dir;
	const char	*passphrase_file;
	const char	*signing_passphrase_file;
	const char	*admin;
	const char	*admin_pw_file;
	const char	*coord;
	const char	*coord_pw_file;
};

static int
parse(int argc, char **argv, struct init_opts *o)
{
	const struct cli_opt opts[] = {
		CLI_OPT_TEXT("passphrase-file", &o->passphrase_file),
		CLI_OPT_TEXT("signing-passphrase-file",
		    &o->signing_passphrase_file),
		CLI_OPT_TEXT("admin", &o->admin),
		CLI_OPT_TEXT("admin-password-file", &o->admin_pw_file),
		CLI_OPT_TEXT("coordinator", &o->coord),
		CLI_OPT_TEXT("coordinator-password-file", &o->coord_pw_file),
	};

	memset(o, 0, sizeof(*o));
	if (cli_parse(argc, argv, opts, CLI_NOPTS(opts), &o->dir, 1) != 0)
		return -1;
	if (o->admin == NULL)
		o->admin = "admin";
	if (o->coord == NULL)
		o->coord = "coordinator";
	if (!users_name_ok(o->admin) || !users_name_ok(o->coord) ||
	    strcmp(o->admin, o->coord) == 0)
		return -1;
	return 0;
}

/* Insert a user (with its creation audited) inside s's write tx. */
static int
add_user(struct store *s, struct user_row *u, const char *name,
    const char *pwfile, int role, const char *prompt)
{
	struct audit_event ev;
	char *pw = NULL, err[128];
	enum password_verdict v;
	size_t pw_len = 0;
	int rc = -1;

	if (secret_read(&pw, &pw_len, pwfile, prompt, 1, MAX_PASSWORD_BYTES,
	    err, sizeof(err)) != 0) {
		cli_error("%s", err);
		return -1;
	}
	if (pw_len < MIN_PASSWORD_BYTES) {
		cli_error("passwords must be at least %u bytes",
		    MIN_PASSWORD_BYTES);
		goto done;
	}
	if (password_init() != 0) {
		cli_error("cannot set up the password strength check");
		goto done;
	}
	if ((v = password_check(pw, name, NULL)) != PASSWORD_OK) {
		cli_error("%s's password: %s", name, password_verdict_text(v));
		goto done;
	}
	if (users_new(u, name, pw, pw_len, role) != 0) {
		cli_error("cannot derive the user key");
		goto done;
	}
	/* the first users type their own passwords at init (operations.md):
	 * nobody else chose them, so they are enrolled from the start */
	u->enrolled = 1;
	if (store_user_insert(s, u) != STORE_OK) {
		cli_error("cannot store the user");
		goto done;
	}
	memset(&ev, 0, sizeof(ev));
	ev.actor_id = "";
	ev.role = ROLE_NONE;
	ev.action = AUDIT_USER_CREATE;
	ev.object_type = AUDIT_OBJ_USER;
	ev.object_id = u->id;
	ev.outcome = AUDIT_ALLOWED;
	ev.request_id = "init";
	if (audit_append(s, &ev) != 0) {
		cli_error("cannot write the audit log");
		goto done;
	}
	rc = 0;
done:
	secret_free(pw, pw_len);
	return rc;
}

int
cli_init(int argc, char **argv)
{
	struct init_opts o;
	struct keys_secret *ks = NULL;
	struct store *s = NULL;
	struct user_row admin, coord;
	char db_path[4096], keys_path[4096], cp_path[4096], err[256];
	char sign_path[4096], idx_path[4096], *spass = NULL;
	char *pass = NULL, vkey[NOTE_VKEY_MAX_BYTES];
	struct note_vkey vk;
	uint8_t org_pk[32], org_sk[32], blob[SEAL_BLOB_MAX];
	size_t pass_len = 0, spass_len = 0, blob_len;
	int rc = 1, kr;

	if (parse(argc, argv, &o) != 0) {
		cli_error("usage: corridor init DIR [--passphrase-file F] "
		    "[--signing-passphrase-file F] "
		    "[--admin NAME --admin-password-file F] "
		    "[--coordinator NAME --coordinator-password-file F]");
		return EXIT_USAGE;
	}
	if (cli_path(db_path, sizeof(db_path), o.dir, DATADIR_DB) != 0 ||
	    cli_path(keys_path, sizeof(keys_path), o.dir, DATADIR_KEYS) != 0 ||
	    cli_path(sign_path, sizeof(sign_path), o.dir, DATADIR_SIGN) != 0 ||
	    cli_path(idx_path, sizeof(idx_path), o.dir, DATADIR_INDEX_KEY)
	    != 0 ||
	    cli_path(cp_path, sizeof(cp_path), o.dir, DATADIR_AUDIT_CP) != 0) {
		cli_error("data directory path too long");
		return EXIT_USAGE;
	}
	if (mkdir(o.dir, 0700) != 0 && errno != EEXIST) {
		cli_error("cannot create the data directory");
		return 1;
	}
	if (access(db_path, F_OK) == 0 || access(keys_path, F_OK) == 0 ||
	    access(sign_path, F_OK) == 0 || access(idx_path, F_OK) == 0 ||
	    access(cp_path, F_OK) == 0) {
		cli_error("refusing: the data directory already holds a database");
		return 1;
	}
	if (secret_read(&pass, &pass_len, o.passphrase_file,
	    "New operator passphrase: ", 1, MAX_PASSPHRASE_BYTES, err,
	    sizeof(err)) != 0) {
		cli_error("%s", err);
		return 1;
	}
	if (o.signing_passphrase_file != NULL && secret_read(&spass,
	    &spass_len, o.signing_passphrase_file, "New audit signing "
	    "passphrase: ", 1, MAX_PASSPHRASE_BYTES, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		goto done;
	}
	if ((ks = secmem_alloc(sizeof(*ks))) == NULL) {
		cli_error("cannot allocate locked memory");
		goto done;
	}
	keys_new_secret(ks);
	if ((kr = keys_wrap_create(keys_path, pass, pass_len, ks)) != KEYS_OK) {
		cli_error("%s", keys_strerror(kr));
		goto done;
	}
	/* the signing key in a file of its own, which backups leave out */
	if ((kr = keys_sign_create(sign_path, spass != NULL ? spass : pass,
	    spass != NULL ? spass_len : pass_len, ks->audit_sk)) != KEYS_OK) {
		cli_error("%s: %s", DATADIR_SIGN, keys_strerror(kr));
		unlink(keys_path);
		goto done;
	}
	/* K_idx likewise: never under K_db, never in a backup */
	blind_new_key(ks->index_key);
	kr = keys_index_create(idx_path, spass != NULL ? spass : pass,
	    spass != NULL ? spass_len : pass_len, ks->index_key);
	secmem_wipe(ks->index_key, sizeof(ks->index_key));
	if (kr != KEYS_OK) {
		cli_error("%s: %s", DATADIR_INDEX_KEY, keys_strerror(kr));
		unlink(keys_path);
		unlink(sign_path);
		goto done;
	}
	if ((kr = store_open(&s, db_path, ks->db_key, 1)) != STORE_OK ||
	    (kr = store_migrate(s)) != STORE_OK) {
		cli_error("%s", store_strerror(kr));
		goto fail_files;
	}
	if (chmod(db_path, 0600) != 0) {
		cli_error("cannot restrict the database file mode");
		goto fail_files;
	}
	if (audit_create(s) != 0 ||
	    audit_open(s, ks->audit_sk, cp_path, err, sizeof(err)) != 0) {
		cli_error("cannot create the audit log");
		goto fail_files;
	}
	if (store_write_begin(s) != STORE_OK) {
		cli_error("cannot write the database");
		goto fail_files;
	}
	userkey_generate(org_pk, org_sk);
	if (store_org_pk_set(s, org_pk) != STORE_OK)
		goto fail_tx;
	if (add_user(s, &admin, o.admin, o.admin_pw_file, ROLE_ADMIN,
	    "Password for the first admin: ") != 0)
		goto fail_tx;
	if (add_user(s, &coord, o.coord, o.coord_pw_file, ROLE_COORDINATOR,
	    "Password for the first coordinator: ") != 0)
		goto fail_tx;
	/* the first coordinator is confirmed: the org key is sealed to them */
	if (seal_key(blob, sizeof(blob), &blob_len, SEAL_KIND_ORG, "org",
	    coord.id, org_sk, coord.pk) != 0 ||
	    store_org_grant_put(s, coord.id, blob, blob_len, NULL) != STORE_OK ||
	    store_user_set_status(s, coord.id, USER_ACTIVE) != STORE_OK)
		goto fail_tx;
	if (audit_commit(s) != STORE_OK) {
		cli_error("cannot commit the new database");
		goto fail_files;
	}
	audit_vkey(&vk);
	if (audit_checkpoint(s, 1) != 0 ||
	    note_vkey_format(vkey, sizeof(vkey), &vk) != NOTE_OK) {
		cli_error("cannot sign the first audit checkpoint");
		goto fail_files;
	}
	printf("corridor: initialised %s\n", o.dir);
	printf("admin id %s, coordinator id %s\n", admin.id, coord.id);
	/* public: auditors pin this line, out of band (docs/audit.md 9) */
	printf("audit key %s\n", vkey);
	rc = 0;
	goto done;
fail_tx:
	(void)store_write_end(s, 0);
	cli_error("cannot create the first users");
fail_files:
	audit_close();
	store_close(s);
	s = NULL;
	unlink(db_path);
	unlink(cp_path);
	{
		char wal[4200];

		snprintf(wal, sizeof(wal), "%s-wal", db_path);
		unlink(wal);
		snprintf(wal, sizeof(wal), "%s-shm", db_path);
		unlink(wal);
	}
	unlink(keys_path);
	unlink(sign_path);
	unlink(idx_path);
done:
	audit_close();
	secmem_wipe(org_sk, sizeof(org_sk));
	store_close(s);
	secmem_free(ks);
	secret_free(spass, spass_len);
	secret_free(pass, pass_len);
	return rc;
}
