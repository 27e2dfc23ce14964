/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli_retention: `corridor retention run DIR`, the retention sweep run
 * offline: every case closed at least --days days ago (default
 * RETENTION_DEFAULT_DAYS) is crypto-shredded, each with its audit entry,
 * exactly as the server's own sweep does (server/retention.c). It takes
 * the data directory lock like rekey, so it never runs beside a server,
 * which sweeps by itself.
 *
 * --now T applies the policy as at the RFC 3339 time T instead of the
 * clock, for drills and tests: "what would be shredded on T" becomes
 * "shred it now". The shreds are real; their times (shredded_at, the
 * audit entry) are the real clock's, and their request id reads
 * "retention-asof-<run id>", so an auditor sees that the policy was
 * applied early. The server has no such option.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keys.h"
#include "crypto/secmem.h"
#include "schema/store.h"
#include "server/audit/audit.h"
#include "server/cli/cli.h"
#include "server/cli/datadir.h"
#include "server/limits.h"
#include "server/http/req.h"
#include "server/core/retention.h"
#include "server/cli/secret.h"
#include "server/http/rfc3339.h"

#define USAGE	"usage: corridor retention run DIR [--passphrase-file F] " \
		"[--signing-passphrase-file F] [--days N] [--now RFC3339]"

struct retention_opts {
	const char	*dir;
	const char	*passphrase_file;
	const char	*signing_passphrase_file;	/* NULL: the same */
	unsigned long	 days;
	int		 have_now;
	int64_t		 now;
};

/* --now: an RFC 3339 time into o. */
static int
parse_now(const char *value, void *out)
{
	struct retention_opts *o = out;

	if (rfc3339_parse(value, &o->now) != 0)
		return -1;
	o->have_now = 1;
	return 0;
}

static int
parse(int argc, char **argv, struct retention_opts *o)
{
	const struct cli_opt opts[] = {
		CLI_OPT_TEXT("passphrase-file", &o->passphrase_file),
		CLI_OPT_TEXT("signing-passphrase-file",
		    &o->signing_passphrase_file),
		CLI_OPT_UINT("days", &o->days, 1, RETENTION_MAX_DAYS),
		CLI_OPT_PARSE("now", parse_now, o),
	};

	memset(o, 0, sizeof(*o));
	o->days = RETENTION_DEFAULT_DAYS;
	/* argv[0] is "retention": the verb comes first */
	if (argc < 2 || strcmp(argv[1], "run") != 0)
		return -1;
	return cli_parse(argc - 1, argv + 1, opts, CLI_NOPTS(opts), &o->dir, 1);
}

int
cli_retention(int argc, char **argv)
{
	struct retention_opts o;
	struct retention_run run;
	struct retention_report rep;
	struct datadir d;
	struct store *s;
	char cutoff[RFC3339_BYTES], at[RFC3339_BYTES];
	int rc, kr;

	if (parse(argc, argv, &o) != 0) {
		cli_error(USAGE);
		return EXIT_USAGE;
	}
	/* as serve does: an older database gains closed_at here, and every
	 * shred is an audit entry, so the log's start-up checks come first
	 * and a checkpoint over the shreds at the end */
	if ((rc = datadir_open_signed(&d, o.dir, o.passphrase_file,
	    o.signing_passphrase_file, DATADIR_LOCK |
	    DATADIR_AUDIT, "the data directory is in use; a running server "
	    "sweeps by itself (serve --retention-days), stop it to run "
	    "this")) != 0)
		return rc;
	rc = 1;
	s = d.s;
	secmem_wipe(d.ks->db_key, sizeof(d.ks->db_key));

	memset(&run, 0, sizeof(run));
	run.days = (uint32_t)o.days;	/* <= RETENTION_MAX_DAYS */
	run.now = o.have_now ? o.now : store_now();
	run.as_of = o.have_now;
	kr = retention_sweep(s, &run, &rep);
	rfc3339_format(cutoff, rep.cutoff < 0 ? 0 : rep.cutoff);
	rfc3339_format(at, run.now);
	printf("corridor: %s: shredded %u case(s) closed on or before %s "
	    "(%u days before %s%s)", rep.request_id, rep.shredded, cutoff,
	    (unsigned)o.days, at, o.have_now ? ", given by --now" : "");
	if (rep.evac_pending > 0)
		printf("; %u evacuation key(s) rotate at their next use",
		    rep.evac_pending);
	printf("\n");
	fflush(stdout);
	if (audit_checkpoint(s, 0) != 0) {
		cli_error("cannot sign the audit checkpoint");
		goto done;
	}
	if (kr != 0) {
		if (rep.failed > 0)
			cli_error("%u due case(s) could not be shredded; each is "
			    "in the audit log as case.shred with outcome "
			    "error; run corridor check", rep.failed);
		else
			cli_error("the database could not be read; what is "
			    "counted above was shredded, nothing else");
		goto done;
	}
	rc = 0;
done:
	audit_close();
	datadir_close(&d);
	return rc;
}
