/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_verify: offline verification of an audit export against a pinned
 * key and the checkpoints an auditor kept, with no database and no
 * passphrase. `corridor audit verify EXPORT --public-key F
 * [--checkpoint F]...` is cli_audit_verify (server/cli/cli_verify.c); the work is done by
 * audit_verify_export, which tests and the fuzz target call directly.
 *
 * The export is streamed once: a compact Merkle frontier (2 KiB) plus one
 * line of input is all the state, whatever the length of the log. Checks,
 * in the order docs/audit.md gives them:
 *  - every held checkpoint is signed by the pinned key, origin = key name;
 *  - the export's origin is the pinned key's name;
 *  - entries decode strictly, seq runs 0, 1, 2, ... and time never
 *    decreases;
 *  - every checkpoint in the export is signed by the pinned key, sits right
 *    after the entry its size covers, and its root equals the root
 *    recomputed over the entries before it;
 *  - at every held checkpoint's size the recomputed root equals the held
 *    root, and no held checkpoint is larger than the export (truncation);
 *  - the export ends with a checkpoint covering every entry.
 *
 * Key rotation: the pinned key is the key in force until an
 * audit.key_rotate entry (extra: previous key || next key, see
 * audit_entry.h) is sealed by a checkpoint covering it, signed by the key
 * in force; from then on only the next key signs. So the chain of keys is
 * followed from the pinned one, each link vouched for by the key before.
 * A held checkpoint that the pinned key did not sign is checked when the
 * log reaches its size, against the key in force there.
 */
#ifndef CORRIDOR_AUDIT_VERIFY_H
#define CORRIDOR_AUDIT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/merkle.h"
#include "crypto/note.h"
#include "server/audit/audit_export.h"

/* Held checkpoints per run: each costs one signature check up front and
 * ~300 bytes of state. */
#define AUDIT_VERIFY_MAX_HELD	1024u

/* Room for a reason sentence and the whole report line. */
#define AUDIT_VERIFY_REASON_BYTES	256u
#define AUDIT_VERIFY_LINE_BYTES		512u

/* Where a failure was found. */
enum audit_verify_at {
	AUDIT_AT_NONE = 0,	/* verified */
	AUDIT_AT_SEQ,		/* seq: the first bad, missing or unproven seq */
	AUDIT_AT_CHECKPOINT,	/* line: a checkpoint line of the export */
	AUDIT_AT_HELD,		/* held_index: one of the held checkpoints */
	AUDIT_AT_LINE,		/* line: a header or unrecognised line */
	AUDIT_AT_IO,		/* the export could not be read */
};

/* A checkpoint the auditor kept: the signed note exactly as fetched. */
struct audit_verify_held {
	const char *label;	/* shown in reports, e.g. the file name */
	const char *note;
	size_t note_len;
};

struct audit_verify_result {
	/* On success: the verified log. */
	uint64_t entries;
	uint8_t root[MERKLE_HASH_BYTES];	/* root over all entries */
	uint64_t checkpoints;			/* checkpoint lines verified */
	uint64_t held;				/* held checkpoints verified */
	int key_matches;	/* the export's public-key line is the pinned key */
	uint64_t rotations;			/* key rotations followed */

	/* On failure: where, and why (a sentence without the location). */
	enum audit_verify_at at;
	uint64_t seq;
	uint64_t line;
	size_t held_index;
	char reason[AUDIT_VERIFY_REASON_BYTES];
};

/*
 * Verify the export read from source against pinned and the n_held
 * checkpoints in held. Returns 0 when everything holds, -1 otherwise;
 * res is always filled. For AUDIT_AT_SEQ failures the seq is exact when
 * the entry itself is wrong (does not decode, wrong seq, time going back,
 * missing or inserted before a checkpoint). When only a root disagrees,
 * the entry at fault cannot be named from hashes: seq is then the first
 * entry not covered by an earlier matching root, and the reason gives the
 * range that holds the change.
 */
int audit_verify_export(const struct note_vkey *pinned,
    audit_export_source_fn source, void *source_arg,
    const struct audit_verify_held *held, size_t n_held,
    struct audit_verify_result *res) __attribute__((warn_unused_result));

/* The one-line report for res, "audit verify: OK, ..." or
 * "audit verify: FAILED at ...", without a newline. Control characters
 * from labels are replaced. 0 or -1 (out too small). */
int audit_verify_describe(char *out, size_t out_len,
    const struct audit_verify_result *res);

#endif
