/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli_verify: `corridor audit verify EXPORT --public-key F [--checkpoint
 * F]...`, the offline check an auditor runs on a machine of their own, and
 * `corridor audit verify --tiles DIR --checkpoint F --public-key F`, the
 * same for a directory of fetched tlog tiles. It reads the key and
 * checkpoint files and hands the export or the directory to the verifier
 * library (server/audit/audit_verify.c, audit_tiles_verify.c), which does
 * the work; this file only reads files and prints the one-line report.
 *
 * With --witness-key F (repeatable; a witness.pub line) and
 * --witness-quorum K, every checkpoint named by --checkpoint must also
 * carry valid tlog-cosignatures from at least K of those witnesses, or
 * the run fails naming the checkpoint: a split view (this checkpoint
 * shown to some witnesses, another history to others) cannot gather a
 * quorum of honest witnesses for both. Without an export or tiles, the
 * checkpoints alone are checked: the log's signature and the quorum.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cosig.h"
#include "crypto/secmem.h"
#include "server/audit/audit_tiles_verify.h"
#include "server/audit/audit_verify.h"
#include "server/cli/cli.h"

#define USAGE "usage: corridor audit verify EXPORT --public-key F " \
	"[--checkpoint F]...\n" \
	"       corridor audit verify --tiles DIR --checkpoint F --public-key F\n" \
	"       corridor audit verify --checkpoint F... --public-key F\n" \
	"   each with [--witness-key F]... [--witness-quorum K]"

/* Witness keys one run accepts: as many as a note may carry lines. */
#define VERIFY_MAX_WITNESS_KEYS	NOTE_MAX_SIGS

/* Longest public key file: the key text, "\n", and one byte to detect
 * anything longer. */
#define PUBKEY_FILE_MAX	(NOTE_VKEY_MAX_BYTES + 1u)

/*
 * Read the whole of path into buf (at most max bytes). 0, or -1 with a
 * reason in why: unreadable, or larger than max.
 */
static int
read_small_file(const char *path, char *buf, size_t max, size_t *len,
    const char **why)
{
	FILE *f;
	size_t n;
	int ret = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		*why = strerror(errno);
		return -1;
	}
	n = fread(buf, 1, max, f);
	if (ferror(f)) {
		*why = "read error";
		goto out;
	}
	if (n == max && fgetc(f) != EOF) {
		*why = "file too large";
		goto out;
	}
	*len = n;
	ret = 0;
out:
	fclose(f);
	return ret;
}

/* A verifier key file: a log key (alg NOTE_ALG_ED25519) or a witness
 * key (NOTE_ALG_COSIG_V1). 0, or -1 with a line on stderr. */
static int
load_vkey_as(struct note_vkey *vk, const char *path, uint8_t alg,
    const char *who)
{
	const char *what = alg == NOTE_ALG_ED25519 ? "public key" :
	    "witness key";
	char buf[PUBKEY_FILE_MAX];
	const char *why = NULL;
	size_t len = 0;

	if (read_small_file(path, buf, sizeof(buf), &len, &why) != 0) {
		fprintf(stderr, "%s: cannot read %s %s: %s\n", who, what,
		    path, why);
		return -1;
	}
	/* One trailing newline is allowed, as any editor adds it. */
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (note_vkey_parse_alg(vk, buf, len, alg) != NOTE_OK) {
		fprintf(stderr, "%s: %s is not a %s "
		    "(name+keyid+base64%s)\n", who, path, what,
		    alg == NOTE_ALG_ED25519 ? "" : " of 0x04 and the key");
		return -1;
	}
	return 0;
}

static int
load_vkey(struct note_vkey *vk, const char *path, uint8_t alg)
{
	return load_vkey_as(vk, path, alg, "audit verify");
}

int
cli_load_vkey(struct note_vkey *vk, const char *path, const char *who)
{
	return load_vkey_as(vk, path, NOTE_ALG_ED25519, who);
}

static int
load_pubkey(struct note_vkey *vk, const char *path)
{
	return load_vkey(vk, path, NOTE_ALG_ED25519);
}

/*
 * Every checkpoint file must carry at least quorum valid cosignatures
 * from distinct witnesses of wk; when pinned is not NULL, also the log's
 * own signature. 0, or 1 with the failing checkpoint named on stderr.
 */
static int
check_quorum(char *const *paths, size_t n, const struct note_vkey *wk,
    size_t nwk, unsigned quorum, const struct note_vkey *pinned)
{
	struct note_checkpoint cp;
	const char *why = NULL;
	unsigned valid, bad;
	char *note;
	size_t len = 0;
	int status = 1;

	if ((note = malloc(NOTE_MAX_BYTES)) == NULL) {
		fprintf(stderr, "audit verify: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (read_small_file(paths[i], note, NOTE_MAX_BYTES, &len,
		    &why) != 0) {
			fprintf(stderr, "audit verify: cannot read checkpoint "
			    "%s: %s\n", paths[i], why);
			goto out;
		}
		if (pinned != NULL &&
		    note_checkpoint_verify(&cp, note, len, pinned) != NOTE_OK) {
			fprintf(stderr, "audit verify: FAILED: checkpoint %s is "
			    "not signed by the pinned key\n", paths[i]);
			goto out;
		}
		if (cosig_count(&valid, &bad, NULL, note, len, wk, nwk) !=
		    NOTE_OK || note_checkpoint_parse(&cp, note, len) !=
		    NOTE_OK) {
			fprintf(stderr, "audit verify: FAILED: checkpoint %s is "
			    "not a well-formed signed note\n", paths[i]);
			goto out;
		}
		if (valid < quorum) {
			fprintf(stderr, "audit verify: FAILED: checkpoint %s "
			    "(size %llu): %u valid witness cosignature(s), "
			    "quorum %u (%u invalid)\n", paths[i],
			    (unsigned long long)cp.size, valid, quorum, bad);
			goto out;
		}
		if (pinned != NULL)
			printf("audit verify: OK: checkpoint %s (size %llu) "
			    "signed, with %u of %u witness cosignatures "
			    "(quorum %u)\n", paths[i],
			    (unsigned long long)cp.size, valid, (unsigned)nwk,
			    quorum);
	}
	status = 0;
out:
	free(note);
	return status;
}

/* --tiles DIR --checkpoint F: 0 verified, 1 not. */
static int
verify_tiles(const char *key_path, const char *dir, const char *cp_path)
{
	struct audit_tiles_result res;
	struct note_vkey pinned;
	const char *why = NULL;
	char *note;
	size_t len = 0;
	int status = 1;

	if (load_pubkey(&pinned, key_path) != 0)
		return 1;
	if ((note = malloc(NOTE_MAX_BYTES)) == NULL) {
		fprintf(stderr, "audit verify: out of memory\n");
		return 1;
	}
	if (read_small_file(cp_path, note, NOTE_MAX_BYTES, &len, &why) != 0) {
		fprintf(stderr, "audit verify: cannot read checkpoint %s: %s\n",
		    cp_path, why);
		goto out;
	}
	if (audit_verify_tiles(&pinned, dir, note, len, &res) != 0) {
		fprintf(stderr, "audit verify: FAILED: %s\n", res.reason);
		goto out;
	}
	printf("audit verify: OK: the tiles of %llu entries (%llu files) "
	    "prove checkpoint %s\n", (unsigned long long)res.size,
	    (unsigned long long)res.tiles, cp_path);
	status = fflush(stdout) == 0 ? 0 : 1;
out:
	free(note);
	return status;
}

int
cli_audit_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "public-key",	required_argument,	NULL, 'k' },
		{ "checkpoint",	required_argument,	NULL, 'c' },
		{ "tiles",	required_argument,	NULL, 't' },
		{ "witness-key", required_argument,	NULL, 'w' },
		{ "witness-quorum", required_argument,	NULL, 'q' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct audit_verify_held *held = NULL;
	struct audit_verify_result res;
	struct note_vkey pinned;
	const char *key_path = NULL, *export_path, *why = NULL;
	const char *tiles_dir = NULL;
	char **held_paths = NULL, *notes = NULL;
	char line[AUDIT_VERIFY_LINE_BYTES];
	size_t n_held = 0, nwk = 0;
	struct note_vkey wk[VERIFY_MAX_WITNESS_KEYS];
	unsigned long quorum = 0;
	char *end;
	FILE *f = NULL;
	int ch, status = 1;

	if ((held_paths = calloc(AUDIT_VERIFY_MAX_HELD,
	    sizeof(*held_paths))) == NULL ||
	    (held = calloc(AUDIT_VERIFY_MAX_HELD, sizeof(*held))) == NULL) {
		fprintf(stderr, "audit verify: out of memory\n");
		goto out;
	}
	optind = 0;	/* glibc: full re-initialisation, as callers vary */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			key_path = optarg;
			break;
		case 'c':
			if (n_held == AUDIT_VERIFY_MAX_HELD) {
				fprintf(stderr, "audit verify: at most %u "
				    "--checkpoint files\n",
				    AUDIT_VERIFY_MAX_HELD);
				status = 2;
				goto out;
			}
			held_paths[n_held++] = optarg;
			break;
		case 't':
			tiles_dir = optarg;
			break;
		case 'w':
			if (nwk == VERIFY_MAX_WITNESS_KEYS) {
				fprintf(stderr, "audit verify: at most %u "
				    "--witness-key files\n",
				    VERIFY_MAX_WITNESS_KEYS);
				status = 2;
				goto out;
			}
			if (load_vkey(&wk[nwk], optarg, NOTE_ALG_COSIG_V1) != 0)
				goto out;
			for (size_t i = 0; i < nwk; i++)
				if (note_vkey_equal(&wk[i], &wk[nwk])) {
					fprintf(stderr, "audit verify: witness "
					    "key %s given twice\n", optarg);
					status = 2;
					goto out;
				}
			nwk++;
			break;
		case 'q':
			errno = 0;
			quorum = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] < '1' ||
			    optarg[0] > '9' || quorum > VERIFY_MAX_WITNESS_KEYS) {
				fprintf(stderr, "%s\n", USAGE);
				status = 2;
				goto out;
			}
			break;
		case 'h':
			printf("%s\n", USAGE);
			status = 0;
			goto out;
		default:
			fprintf(stderr, "%s\n", USAGE);
			status = 2;
			goto out;
		}
	}
	/* a quorum needs keys to count, and no more than there are; keys
	 * without --witness-quorum ask for one cosignature */
	if (nwk > 0 && quorum == 0)
		quorum = 1;
	if (quorum > nwk) {
		fprintf(stderr, "audit verify: --witness-quorum must be between "
		    "1 and the number of --witness-key files\n");
		status = 2;
		goto out;
	}
	if (nwk > 0 && n_held == 0) {
		fprintf(stderr, "audit verify: --witness-key needs the "
		    "--checkpoint files whose cosignatures to count\n");
		status = 2;
		goto out;
	}
	if (nwk > 0 && tiles_dir == NULL && argc == optind) {
		/* the checkpoints alone: the log's signature and the quorum */
		if (key_path == NULL) {
			fprintf(stderr, "%s\n", USAGE);
			status = 2;
			goto out;
		}
		if (load_pubkey(&pinned, key_path) != 0)
			goto out;
		status = check_quorum(held_paths, n_held, wk, nwk,
		    (unsigned)quorum, &pinned);
		goto out;
	}
	if (nwk > 0 && check_quorum(held_paths, n_held, wk, nwk,
	    (unsigned)quorum, NULL) != 0)
		goto out;
	if (tiles_dir != NULL) {
		if (key_path == NULL || n_held != 1 || argc != optind) {
			fprintf(stderr, "%s\n", USAGE);
			status = 2;
			goto out;
		}
		status = verify_tiles(key_path, tiles_dir, held_paths[0]);
		goto out;
	}
	if (key_path == NULL || argc - optind != 1) {
		fprintf(stderr, "%s\n", USAGE);
		status = 2;
		goto out;
	}
	export_path = argv[optind];

	if (load_pubkey(&pinned, key_path) != 0)
		goto out;
	if (n_held > 0 && (notes = calloc(n_held, NOTE_MAX_BYTES)) == NULL) {
		fprintf(stderr, "audit verify: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < n_held; i++) {
		char *buf = notes + i * NOTE_MAX_BYTES;

		held[i].label = held_paths[i];
		held[i].note = buf;
		if (read_small_file(held_paths[i], buf, NOTE_MAX_BYTES,
		    &held[i].note_len, &why) != 0) {
			fprintf(stderr, "audit verify: cannot read checkpoint "
			    "%s: %s\n", held_paths[i], why);
			goto out;
		}
	}
	if (strcmp(export_path, "-") == 0) {
		f = stdin;
	} else if ((f = fopen(export_path, "rb")) == NULL) {
		fprintf(stderr, "audit verify: cannot open export %s: %s\n",
		    export_path, strerror(errno));
		goto out;
	}

	if (audit_verify_export(&pinned, audit_export_source_file, f, held,
	    n_held, &res) == 0)
		status = 0;
	if (audit_verify_describe(line, sizeof(line), &res) != 0) {
		/* Cannot happen with the caps above; still report. */
		fprintf(stderr, "audit verify: %s\n", status == 0 ? "OK" :
		    "FAILED");
	} else {
		fprintf(status == 0 ? stdout : stderr, "%s\n", line);
	}
	if (status == 0 && fflush(stdout) != 0)
		status = 1;
out:
	if (f != NULL && f != stdin)
		fclose(f);
	free(notes);
	free(held);
	free(held_paths);
	return status;
}
