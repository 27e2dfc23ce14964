/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_export: the export file an auditor takes off the server and checks
 * with `corridor audit verify`. Line-oriented text that any language can
 * parse; every line ends in "\n" (LF only) and no line is empty:
 *
 *   corridor-audit-export 1
 *   origin <origin>
 *   public-key <verifier key text, see note.h>
 *   then, in log order, any number of:
 *   entry <base64 std of one canonical entry (audit_entry.h)>
 *   checkpoint <base64 std of one complete signed checkpoint note>
 *
 * Placement rule: a checkpoint of tree size S comes right after entry
 * S - 1 (a size-0 checkpoint before every entry), so checkpoint sizes never
 * decrease, and the file ends with a checkpoint covering every entry. A
 * verifier can then stream the file once with O(log n) memory. The origin
 * is the signing key's name, and every checkpoint's origin. The public-key
 * line is informational: a verifier trusts only the key it pinned.
 *
 * The writer streams to a caller sink and refuses to emit anything the
 * parser would reject; the parser pulls from a caller source with bounded
 * line lengths. Format details: docs/audit.md.
 */
#ifndef CORRIDOR_AUDIT_EXPORT_H
#define CORRIDOR_AUDIT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/note.h"
#include "server/audit/audit_entry.h"

#define AUDIT_EXPORT_MAGIC	"corridor-audit-export 1"

/* Longest line without its "\n": "checkpoint " + base64 of the largest
 * note (4 chars per 3 bytes, padded) = 11 + 10924 = 10935 bytes. */
#define AUDIT_EXPORT_LINE_MAX	(11u + 4u * ((NOTE_MAX_BYTES + 2u) / 3u))

/* Bytes asked of the source per read. */
#define AUDIT_EXPORT_READ_BYTES	(64u * 1024u)

enum audit_export_err {
	AUDIT_EXPORT_OK = 0,
	AUDIT_EXPORT_EIO = -1,		/* source or sink failed */
	AUDIT_EXPORT_EFORMAT = -2,	/* a line is not what the grammar allows */
	AUDIT_EXPORT_ELONG = -3,	/* a line exceeds AUDIT_EXPORT_LINE_MAX */
	AUDIT_EXPORT_ETRUNC = -4,	/* the file ends inside a line */
	AUDIT_EXPORT_EORDER = -5,	/* writer: entry or checkpoint out of place */
	AUDIT_EXPORT_EENTRY = -6,	/* writer: entry does not decode */
};

const char *audit_export_strerror(int err);

/* --- writer -------------------------------------------------------------- */

/* Sink: consume len bytes. 0, or -1 to abort the export. */
typedef int (*audit_export_sink_fn)(void *arg, const void *buf, size_t len);

/* Writer state, about 11 KiB; the caller allocates it. */
struct audit_export_writer {
	audit_export_sink_fn sink;
	void *sink_arg;
	char origin[NOTE_NAME_MAX_BYTES + 1];
	size_t origin_len;
	uint64_t entries;	/* entries written so far */
	uint64_t last_time_ms;	/* time of the last entry */
	uint64_t cp_size;	/* size of the last checkpoint written */
	int have_cp;		/* a checkpoint has been written */
	int failed;		/* sticky: once a call fails, all do */
	char line[AUDIT_EXPORT_LINE_MAX + 1];
};

/* Write the three header lines for the key vk (its name is the origin).
 * Returns an audit_export_err. */
int audit_export_begin(struct audit_export_writer *w, audit_export_sink_fn sink,
    void *sink_arg, const struct note_vkey *vk)
    __attribute__((warn_unused_result));

/* Append one canonical entry. It must decode, carry seq == the number of
 * entries written so far, and a time not before the previous entry's.
 * Returns an audit_export_err. */
int audit_export_put_entry(struct audit_export_writer *w, const uint8_t *entry,
    size_t entry_len) __attribute__((warn_unused_result));

/* Append one signed checkpoint note. Its size must equal the number of
 * entries written so far and its origin the header's. The signature is not
 * checked here (the server signed it). Returns an audit_export_err. */
int audit_export_put_checkpoint(struct audit_export_writer *w,
    const char *note, size_t note_len) __attribute__((warn_unused_result));

/* AUDIT_EXPORT_OK if the export is complete: nothing failed and the last
 * line is a checkpoint covering every entry. Otherwise the caller must
 * sign a checkpoint at the current size and put it first. Writes nothing. */
int audit_export_finish(const struct audit_export_writer *w)
    __attribute__((warn_unused_result));

/* --- parser -------------------------------------------------------------- */

/* Source: fill buf with up to buf_len bytes and set *got; *got == 0 means
 * the end. 0, or -1 on a read error. */
typedef int (*audit_export_source_fn)(void *arg, uint8_t *buf, size_t buf_len,
    size_t *got);

enum audit_export_kind {
	AUDIT_EXPORT_NONE = 0,		/* unknown line (errors only) */
	AUDIT_EXPORT_MAGIC_LINE,	/* never returned; errors only */
	AUDIT_EXPORT_ORIGIN,
	AUDIT_EXPORT_PUBLIC_KEY,
	AUDIT_EXPORT_ENTRY,
	AUDIT_EXPORT_CHECKPOINT,
};

struct audit_export_item {
	enum audit_export_kind kind;
	uint64_t line;			/* 1-based line number */
	/* ORIGIN: the name; ENTRY: the canonical entry bytes; CHECKPOINT:
	 * the signed note text; PUBLIC_KEY: the key text. Points into the
	 * parser, valid until the next call. */
	const uint8_t *data;
	size_t data_len;
	struct note_vkey vkey;		/* PUBLIC_KEY only */
};

struct audit_export_parser;

/* A parser reading from source. Free with audit_export_parser_free.
 * NULL if out of memory. */
struct audit_export_parser *audit_export_parser_new(audit_export_source_fn
    source, void *source_arg);
void audit_export_parser_free(struct audit_export_parser *p);	/* NULL ok */

/*
 * Next item. Returns 1 with *it filled, 0 at a clean end of file, or an
 * audit_export_err (< 0); then it->line is the line at fault and it->kind
 * the kind of that line when its keyword was recognised, so a caller can
 * tell "entry number N is garbage" from a broken header. The grammar is
 * enforced here: header lines first and once, names and keys valid, the
 * public key named after the origin, entry payloads 1..AUDIT_ENTRY_MAX
 * bytes, checkpoint payloads 1..NOTE_MAX_BYTES bytes, exact base64.
 * After an error every further call returns the same error.
 */
int audit_export_next(struct audit_export_parser *p,
    struct audit_export_item *it) __attribute__((warn_unused_result));

/* Sources over memory and over a stdio stream. */
struct audit_export_mem {
	const uint8_t *buf;
	size_t len;
	size_t off;
};
int audit_export_source_mem(void *arg /* struct audit_export_mem */,
    uint8_t *buf, size_t buf_len, size_t *got);
int audit_export_source_file(void *arg /* FILE */, uint8_t *buf,
    size_t buf_len, size_t *got);

#endif
