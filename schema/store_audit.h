/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_audit: the audit tables of schema/0002_audit.sql, through prepared
 * statements only. Entries (the canonical blob, its leaf hash and index
 * columns), signed checkpoints, break-glass reasons and the log's origin
 * in meta. No policy lives here: server/audit.c decides what to append and
 * when, and checks what it reads. Functions return a store_err unless
 * said otherwise.
 */
#ifndef CORRIDOR_STORE_AUDIT_H
#define CORRIDOR_STORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"

#define STORE_AUDIT_LEAF_BYTES	32u
#define STORE_AUDIT_SALT_BYTES	16u

/* One row of audit_entries: the index columns, copied by the caller from
 * the decoded entry, beside the canonical blob and its leaf hash. The
 * strings are the caller's, NUL-terminated; "" binds as NULL. */
struct store_audit_row {
	uint64_t	 seq;
	uint64_t	 time_ms;
	const char	*actor_id;
	int		 role;
	int		 action;
	int		 object_type;
	const char	*object_id;
	int		 outcome;
	const char	*request_id;
	const uint8_t	*entry;		/* the canonical encoding */
	size_t		 entry_len;
	const uint8_t	*leaf;		/* STORE_AUDIT_LEAF_BYTES */
};

/* Insert one entry row. Inside a write transaction. STORE_ECONFLICT if
 * the seq is taken or out of range. */
int store_audit_insert(struct store *s, const struct store_audit_row *r);

/* Insert the reason (reason_len bytes, 1..512) and its salt for entry seq,
 * in plain text. The server no longer does this (reasons are sealed, see
 * below); it is kept for the tests that build a pre-0006 database. */
int store_audit_reason_insert(struct store *s, uint64_t seq,
    const uint8_t salt[STORE_AUDIT_SALT_BYTES], const void *reason,
    size_t reason_len);

/* Erase the reason of entry seq (salt and text to NULL, erased_at to
 * now_ms, every sealed copy deleted). STORE_ENOTFOUND if seq has no reason; STORE_OK if it was erased
 * now or before (*was_erased tells which: 1 already erased). */
int store_audit_reason_erase(struct store *s, uint64_t seq, int64_t now_ms,
    int *was_erased);

/*
 * Sealed reasons (schema/0006_sealed_reasons.sql). The reason row of entry
 * seq holds no text; each auditor's copy of salt || reason, sealed to
 * their public key, is a row of audit_reason_seals. blob_len is 85..800.
 */
#define STORE_AUDIT_SEAL_MAX	800u

/* The reason row of entry seq in the sealed state. */
int store_audit_reason_insert_sealed(struct store *s, uint64_t seq);
/* Auditor auditor_id's sealed copy of the reason of entry seq. */
int store_audit_reason_seal_put(struct store *s, uint64_t seq,
    const char *auditor_id, const uint8_t *blob, size_t blob_len);
/* Read that copy into out (out_max bytes). STORE_ENOTFOUND if there is
 * none (erased, or sealed before the auditor was enrolled). */
/* The seqs of every reason auditor_id holds a sealed copy of, in *seqs
 * (malloc'd, *n of them; the caller frees it). */
int store_audit_reason_seal_seqs(struct store *s, const char *auditor_id,
    uint64_t **seqs, size_t *n);
/* Replace auditor_id's sealed copy of the reason of entry seq (a re-seal
 * to their new key pair). STORE_ENOTFOUND if they held none. */
int store_audit_reason_seal_replace(struct store *s, uint64_t seq,
    const char *auditor_id, const uint8_t *blob, size_t blob_len);
int store_audit_reason_seal_get(struct store *s, uint64_t seq,
    const char *auditor_id, uint8_t *out, size_t out_max, size_t *out_len);

/* The lowest-seq reason still in plain text (written before 0006): its
 * seq, salt and text (reason_max >= 512). STORE_ENOTFOUND if none. The
 * caller wipes salt and reason. */
int store_audit_reason_plain_first(struct store *s, uint64_t *seq,
    uint8_t salt[STORE_AUDIT_SALT_BYTES], uint8_t *reason, size_t reason_max,
    size_t *reason_len);
/* How many reasons are still in plain text. */
int store_audit_reason_plain_count(struct store *s, int64_t *n);
/* Turn the plain reason of entry seq into a sealed one (salt and text to
 * NULL), once its seals are written. */
int store_audit_reason_mark_sealed(struct store *s, uint64_t seq);

/* Append a signed checkpoint note of tree size size. */
int store_audit_checkpoint_insert(struct store *s, uint64_t size,
    const char *note, size_t note_len, int64_t now_ms);

/* The latest checkpoint: largest size, then latest signed. note receives
 * at most note_max bytes. STORE_ENOTFOUND if there is none; STORE_ECORRUPT
 * if the stored note is longer than note_max. */
int store_audit_checkpoint_latest(struct store *s, char *note,
    size_t note_max, size_t *note_len, uint64_t *size);

/* The log's origin from meta ("audit_origin"), NUL-terminated in out
 * (out_len bytes). STORE_ENOTFOUND, or STORE_ECORRUPT if it does not fit. */
int store_audit_origin_get(struct store *s, char *out, size_t out_len);
int store_audit_origin_set(struct store *s, const char *origin);

/* Time of entry seq, in Unix ms. STORE_ENOTFOUND if there is none. */
int store_audit_time(struct store *s, uint64_t seq, uint64_t *time_ms);

/*
 * Calls cb for every audit.key_rotate entry in seq order, with its stored
 * canonical bytes. cb returns 0 to go on, anything else to stop (returned
 * as STORE_EIO).
 */
int store_audit_each_rotation(struct store *s,
    int (*cb)(void *arg, uint64_t seq, const uint8_t *entry, size_t len),
    void *arg);

/*
 * A cursor over stored leaf hashes, for writing tiles, for the right edge
 * of the tree at start-up, and for the reference proofs. Reads sequentially while the indexes asked for are
 * consecutive and seeks otherwise, so a whole-log scan is one pass over
 * the table. Not thread-safe; one per connection at a time.
 */
struct store_audit_leaves {
	struct store	*s;
	void		*st;		/* sqlite3_stmt, owned by s's cache */
	uint64_t	 next;		/* index the statement returns next */
	int		 active;
	int		 with_entry;	/* also read and hash the entry */
};

void store_audit_leaves_init(struct store_audit_leaves *c, struct store *s,
    int with_entry);
/*
 * Leaf hash of entry index into out. STORE_OK; STORE_ENOTFOUND if there is
 * no entry at index or after it; STORE_ECORRUPT if the next stored entry
 * has another seq (a gap: *found is set to the seq found), if its leaf hash
 * is not 32 bytes, or (with_entry) if it is not SHA-256(0x00 || entry).
 */
int store_audit_leaf_at(struct store_audit_leaves *c, uint64_t index,
    uint8_t out[STORE_AUDIT_LEAF_BYTES], uint64_t *found);
void store_audit_leaves_done(struct store_audit_leaves *c);

/* One row of a listing or an export: pointers valid during the callback. */
struct store_audit_item {
	uint64_t	 seq;
	const uint8_t	*entry;
	size_t		 entry_len;
	const uint8_t	*reason;	/* NULL: none, or erased */
	size_t		 reason_len;
	int		 reason_erased;	/* a reason row exists and was erased */
};

/* GET /audit: entries with seq > after (after < 0: from 0) matching every
 * given filter (NULL / 0: any), in seq order, at most limit. since_ms and
 * until_ms bound the entry's time, since inclusive, until exclusive, each
 * only when its has_ flag is set. */
struct store_audit_filter {
	int64_t		 after;
	const char	*actor_id;
	const char	*case_id;
	int		 action;
	unsigned	 limit;
	int		 has_since;
	int		 has_until;
	int64_t		 since_ms;
	int64_t		 until_ms;
};

/* cb returns 0 to go on. */
int store_audit_list(struct store *s, const struct store_audit_filter *f,
    int (*cb)(void *arg, const struct store_audit_item *it), void *arg);

/* Export: entries with from <= seq < to, at most max rows, in seq order
 * (no reasons). cb returns 0 to go on. */
int store_audit_entries(struct store *s, uint64_t from, uint64_t to,
    unsigned max, int (*cb)(void *arg, const struct store_audit_item *it),
    void *arg);

/* Export: checkpoints with size <= max_size ordered by (size, id), after
 * the key (after_size, after_id) (after_id < 0: from the start), at most
 * max rows. cb gets the id, size and note. cb returns 0 to go on. */
int store_audit_checkpoints(struct store *s, uint64_t max_size,
    uint64_t after_size, int64_t after_id, unsigned max,
    int (*cb)(void *arg, int64_t id, uint64_t size, const char *note,
    size_t note_len), void *arg);

/* Read snapshots for an export on a connection of its own: every
 * statement between begin and end sees one state of the database. */
int store_audit_snapshot_begin(struct store *s);
void store_audit_snapshot_end(struct store *s);

#endif
