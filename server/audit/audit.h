/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit: the one path by which anything is recorded in the audit log, and
 * the server's side of the log's Merkle tree. The request dispatcher
 * (server/router.c) calls audit_append for every routed request, inside
 * the request's write transaction, so a handler cannot forget it. Entries
 * hold ids and codes only, never names or content.
 *
 * The process keeps the compact frontier of the tree (crypto/merkle.h) in
 * memory. An append stages the entry's leaf; store_write_end calls this
 * module back with the write lock still held, and only a committed
 * transaction moves its staged leaves into the frontier (a rollback drops
 * them). The write lock serializes appends, so seq numbers are dense and
 * the frontier follows commit order exactly.
 *
 * Checkpoints are C2SP signed notes over (size, root) with the audit
 * Ed25519 key, which this module keeps in locked memory (no-access between
 * signatures). A checkpoint is signed inside a write transaction and
 * stored in audit_checkpoints by that same transaction, after every entry
 * it covers; so it can only survive a crash if those entries did, and it
 * is never served before its commit is durable (see audit_commit).
 *
 * Every append also writes, in its transaction, the tlog tiles it
 * completes (schema/store_tiles.h). Start-up (audit_open) rebuilds the
 * frontier from the tiles at the log's right edge, O(log n) reads, and
 * refuses to go on if the tiles do not line up with the log, if the edge
 * is not contiguous, if the log is shorter than, or its tiles disagree
 * with, the latest stored checkpoint or the
 * checkpoint file kept next to the database, or if the signing key is not
 * the one the log's key rotations lead to. docs/audit.md, "Storage".
 */
#ifndef CORRIDOR_AUDIT_H
#define CORRIDOR_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/merkle.h"
#include "crypto/note.h"
#include "schema/store.h"

/* The action, object and outcome codes are those of the canonical entry
 * (server/audit_entry.h), part of the on-disk format. */
#include "server/audit/audit_entry.h"

/* Only /health and /me: not audited. Never stored. */
#define AUDIT_NONE	0

/* Entries one transaction may append: a request appends one, init two,
 * and a batch of waiting requests (one per worker thread) a few more. */
#define AUDIT_PENDING_MAX	64u

/* Key rotations the log may hold (each is an operator action). */
#define AUDIT_MAX_ROTATIONS	1024u

/* Default checkpoint policy of `corridor serve`. */
#define AUDIT_CHECKPOINT_EVERY		1000u	/* entries */
#define AUDIT_CHECKPOINT_INTERVAL_S	60u

struct audit_event {
	const char	*actor_id;	/* "" or NULL: anonymous */
	int		 role;		/* enum role */
	int		 action;	/* enum audit_action */
	int		 object_type;	/* enum audit_object */
	const char	*object_id;	/* NULL: none */
	int		 outcome;	/* enum audit_outcome */
	const char	*request_id;
	const char	*reason;	/* break-glass reason, or NULL */
	size_t		 reason_len;
	const uint8_t	*extra;		/* entry extra bytes, or NULL */
	size_t		 extra_len;
};

/*
 * Open the log on s (no transaction open, no other thread running): read
 * the origin, rebuild the frontier, run the start-up checks, and keep a
 * copy of sk (seed || public key, NOTE_SK_BYTES) in locked memory; the
 * caller wipes its own. state_path is the checkpoint file next to the
 * database, or NULL for none. Installs the commit hook on the store.
 * On failure returns -1 with one line in err (no secrets, no SQL).
 */
int audit_open(struct store *s, const uint8_t sk[NOTE_SK_BYTES],
    const char *state_path, char *err, size_t err_len)
    __attribute__((warn_unused_result));

/* Stop the checkpointer if running, drop the hook, wipe the key. */
void audit_close(void);

/*
 * Create the log of a new database inside s's open write transaction: a
 * fresh origin "corridor/<random id>" in meta. Then audit_open as usual.
 * 0 or -1.
 */
int audit_create(struct store *s) __attribute__((warn_unused_result));

/*
 * Append ev to the log inside s's open write transaction (see
 * store_write_begin). The entry becomes part of the tree when the
 * transaction commits; if it rolls back the entry is discarded with it.
 * Returns 0 or -1; on -1 the caller must roll back and answer 503 with no
 * data (fail closed). *seq_out (if not NULL) gets the entry's seq.
 */
int audit_append(struct store *s, const struct audit_event *ev)
    __attribute__((warn_unused_result));
int audit_append_seq(struct store *s, const struct audit_event *ev,
    uint64_t *seq_out) __attribute__((warn_unused_result));

/*
 * Commit s's write transaction (store_write_end(s, 1)) and, once that has
 * returned STORE_OK, which means durable, record that everything it
 * committed is durable. Every commit that may carry audit entries or
 * checkpoints goes through here. Returns a store_err.
 */
int audit_commit(struct store *s);

/*
 * audit_commit in two halves, for a caller that commits for others (the
 * audit batch, audit_batch.c): audit_commit_deferred commits (or, with
 * commit == 0, rolls back) and drops the write lock without waiting, and
 * fills *m; audit_durable_wait(m) waits until that commit is durable and
 * only then lets the audit routes serve what it committed. Nothing derived
 * from the commit may leave the process before audit_durable_wait has
 * returned STORE_OK. Both return a store_err.
 */
struct audit_mark {
	uint64_t	ticket;		/* store group-commit ticket, 0: none */
	uint64_t	commit;		/* the audit log's commit count, 0: none */
	uint64_t	size;		/* tree size after that commit */
};
int audit_commit_deferred(struct store *s, int commit, struct audit_mark *m)
    __attribute__((warn_unused_result));
int audit_durable_wait(const struct audit_mark *m)
    __attribute__((warn_unused_result));

/*
 * Sign a checkpoint of the whole committed log and store it, in a write
 * transaction of its own on s, then update the checkpoint file. With
 * force == 0 nothing is signed when the latest checkpoint already covers
 * every entry and is signed by the current key. 0 or -1.
 */
int audit_checkpoint(struct store *s, int force)
    __attribute__((warn_unused_result));

/*
 * Inside s's open write transaction (the caller holds the write lock, and
 * has appended nothing yet): if the latest checkpoint does not cover every
 * committed entry, sign one and store it in this transaction; it becomes
 * the latest checkpoint when the transaction commits. *size gets the
 * committed size; note (NOTE_MAX_BYTES) gets the new note and *note_len
 * its length, or 0 when none was needed. For exports. 0 or -1.
 */
int audit_checkpoint_in_tx(struct store *s, uint64_t *size, char *note,
    size_t *note_len) __attribute__((warn_unused_result));

/*
 * Hand the log over to the key next_pk (`corridor audit rotate-key`): in
 * one write transaction on s, append an audit.key_rotate entry whose extra
 * holds the current and the next public key, and a checkpoint covering it
 * signed with the current key; then update the checkpoint file. Later
 * checkpoints must be signed by the next key, which the caller installs.
 * 0 or -1.
 */
int audit_rotate(struct store *s, const uint8_t next_pk[NOTE_PK_BYTES],
    const char *request_id) __attribute__((warn_unused_result));

/* 1 if a key rotation in s's log hands over to pk, 0 if none does, -1 if
 * the rotations cannot be read. For finishing an interrupted rotation. */
int audit_log_names_key(struct store *s, const uint8_t pk[NOTE_PK_BYTES]);

/* Start / stop the background checkpointer: a checkpoint whenever `every`
 * entries have been committed since the last one, or every interval_s
 * seconds while there are new entries. 0 or -1. */
int audit_checkpointer_start(uint64_t every, unsigned interval_s)
    __attribute__((warn_unused_result));
void audit_checkpointer_stop(void);

/* Entries known to be durably committed (proofs are served up to here). */
uint64_t audit_durable_size(void);

/* The latest checkpoint note (out_max >= NOTE_MAX_BYTES), its size.
 * -1 if there is none yet. */
int audit_latest_checkpoint(char *out, size_t out_max, size_t *out_len,
    uint64_t *size) __attribute__((warn_unused_result));

/* The current verifier key (its name is the origin). */
void audit_vkey(struct note_vkey *vk);

/*
 * The instance key for transfer bundles (crypto/xfer.h): the current audit
 * signing key is the instance's identity. audit_instance_sign signs a
 * bundle digest with it; audit_instance_x25519 derives the X25519 key pair
 * bundles for this instance are sealed to (the caller wipes x_sk). Both
 * 0 or -1 (no key loaded).
 */
int audit_instance_sign(uint8_t sig[64], const uint8_t digest[32])
    __attribute__((warn_unused_result));
int audit_instance_x25519(uint8_t x_pk[32], uint8_t x_sk[32])
    __attribute__((warn_unused_result));

/* Unix time in milliseconds, never before the last entry's time. */
uint64_t audit_now_ms(void);

#endif
