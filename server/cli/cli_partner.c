/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli_partner: `corridor partner add|list|remove|fingerprint`, the
 * operator's register of partner organisations a case can be handed to
 * (docs/operations.md, "Partners"). A partner is another corridor
 * instance, known by its instance key: the verifier key line its
 * operator got from `corridor init` ("audit key ...") or GET
 * /audit/public-key. `add` prints the key's fingerprint in six groups of
 * five digits (crypto/xfer.h), which the two operators read to each other
 * over a channel they trust (a call, in person) before any case moves;
 * `fingerprint F` prints the same for a key file, so each side can read
 * its own.
 *
 * The commands take no lock: they work beside a running server, which
 * reads the partners table at every transfer, so a partner added or
 * removed counts from the next request on.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/note.h"
#include "crypto/secmem.h"
#include "crypto/token.h"
#include "crypto/xfer.h"
#include "schema/store_partner.h"
#include "server/cli/cli.h"
#include "server/cli/datadir.h"
#include "server/http/jsonin.h"
#include "server/limits.h"

#define USAGE	"usage: corridor partner add DIR --name N --public-key F " \
		"[--passphrase-file F]\n" \
		"       corridor partner list DIR [--passphrase-file F]\n" \
		"       corridor partner remove DIR PARTNER [--passphrase-file F]\n" \
		"       corridor partner fingerprint F"

struct partner_opts {
	const char	*verb;
	const char	*operands[2];	/* DIR [PARTNER], or F */
	const char	*name;
	const char	*key_file;
	const char	*passphrase_file;
};

/* The verb, then each verb's options and operands (cli_parse). */
static int
parse(int argc, char **argv, struct partner_opts *o)
{
	const struct cli_opt add_opts[] = {
		CLI_OPT_TEXT("name", &o->name),
		CLI_OPT_TEXT("public-key", &o->key_file),
		CLI_OPT_TEXT("passphrase-file", &o->passphrase_file),
	};
	const struct cli_opt dir_opts[] = {
		CLI_OPT_TEXT("passphrase-file", &o->passphrase_file),
	};

	memset(o, 0, sizeof(*o));
	/* argv[0] is "partner": the verb comes first */
	if (argc < 2)
		return -1;
	o->verb = argv[1];
	argc--;
	argv++;
	if (strcmp(o->verb, "fingerprint") == 0)
		return cli_parse(argc, argv, NULL, 0, o->operands, 1);
	if (strcmp(o->verb, "add") == 0)
		return cli_parse(argc, argv, add_opts, CLI_NOPTS(add_opts),
		    o->operands, 1) == 0 && o->name && o->key_file ? 0 : -1;
	if (strcmp(o->verb, "list") == 0)
		return cli_parse(argc, argv, dir_opts, CLI_NOPTS(dir_opts),
		    o->operands, 1);
	if (strcmp(o->verb, "remove") == 0)
		return cli_parse(argc, argv, dir_opts, CLI_NOPTS(dir_opts),
		    o->operands, 2);
	return -1;
}

static void
print_partner(const struct partner_row *p)
{
	char fp[XFER_FP_CHARS];

	xfer_fingerprint(fp, p->pk);
	printf("%s  %s\n  origin      %s\n  fingerprint %s\n", p->id, p->name,
	    p->origin, fp);
}

static int
list_one(void *arg, const struct partner_row *p)
{
	(*(unsigned *)arg)++;
	print_partner(p);
	return 0;
}

static int
add(struct store *s, const struct partner_opts *o)
{
	struct partner_row p;
	struct note_vkey vk;
	uint8_t x[XFER_X_PK_BYTES];
	int64_t n = 0;
	size_t len = strlen(o->name);
	int rc;

	if (len == 0 || len > MAX_PARTNER_NAME_BYTES ||
	    !jsonin_text(o->name, len, 1, MAX_PARTNER_NAME_BYTES)) {
		cli_error("partner add: the name must be 1 to %u bytes of "
		    "UTF-8 text", MAX_PARTNER_NAME_BYTES);
		return EXIT_USAGE;
	}
	if (cli_load_vkey(&vk, o->key_file, "partner add") != 0)
		return 1;
	if (xfer_x25519_pk(x, vk.pk) != 0) {
		cli_error("partner add: %s holds no usable Ed25519 key",
		    o->key_file);
		return 1;
	}
	if (store_partner_count(s, &n) != STORE_OK) {
		cli_error("partner add: cannot read the partners");
		return 1;
	}
	if (n >= (int64_t)MAX_PARTNERS) {
		cli_error("partner add: %u partners are registered already",
		    MAX_PARTNERS);
		return 1;
	}
	memset(&p, 0, sizeof(p));
	token_new_id(p.id);
	memcpy(p.name, o->name, len + 1);
	memcpy(p.origin, vk.name, vk.name_len + 1);
	memcpy(p.pk, vk.pk, sizeof(p.pk));
	p.created_at = store_now();
	rc = store_partner_insert(s, &p);
	if (rc == STORE_ECONFLICT) {
		cli_error("partner add: a partner with that name, origin or key "
		    "is registered already");
		return 1;
	}
	if (rc != STORE_OK) {
		cli_error("partner add: cannot store the partner");
		return 1;
	}
	printf("corridor: partner added\n");
	print_partner(&p);
	printf("Read the fingerprint aloud with the partner's operator over a "
	    "channel you trust;\nif one digit differs, run `corridor partner "
	    "remove` and find out why.\n");
	return 0;
}

int
cli_partner(int argc, char **argv)
{
	struct partner_opts o;
	struct partner_row p;
	struct note_vkey vk;
	struct datadir d;
	char fp[XFER_FP_CHARS];
	unsigned count = 0;
	int rc;

	if (parse(argc, argv, &o) != 0) {
		cli_error(USAGE);
		return EXIT_USAGE;
	}
	if (strcmp(o.verb, "fingerprint") == 0) {
		if (cli_load_vkey(&vk, o.operands[0], "partner fingerprint")
		    != 0)
			return 1;
		xfer_fingerprint(fp, vk.pk);
		printf("%s\n  fingerprint %s\n", vk.name, fp);
		return 0;
	}
	/* no lock: a running server reads the table at each transfer; the
	 * schema is the server's (migrated at its start) or brought up here */
	if ((rc = datadir_open(&d, o.operands[0], o.passphrase_file,
	    DATADIR_STORE | DATADIR_MIGRATE, NULL)) != 0)
		return rc;
	secmem_wipe(d.ks->db_key, sizeof(d.ks->db_key));
	rc = 1;
	if (strcmp(o.verb, "add") == 0) {
		rc = add(d.s, &o);
	} else if (strcmp(o.verb, "list") == 0) {
		if (store_partner_each(d.s, list_one, &count) != STORE_OK)
			cli_error("partner list: cannot read the partners");
		else {
			if (count == 0)
				printf("corridor: no partners\n");
			rc = 0;
		}
	} else {
		rc = store_partner_find(d.s, o.operands[1], &p);
		if (rc == STORE_ENOTFOUND) {
			cli_error("partner remove: no partner %s", o.operands[1]);
			rc = 1;
		} else if (rc != STORE_OK ||
		    store_partner_delete(d.s, p.id) != STORE_OK) {
			cli_error("partner remove: cannot remove the partner");
			rc = 1;
		} else {
			printf("corridor: partner %s (%s) removed; its bundles "
			    "are refused from now on\n", p.id, p.name);
			rc = 0;
		}
	}
	datadir_close(&d);
	return rc;
}
