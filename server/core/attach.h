/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * attach: the cryptography of attachments, apart from HTTP. Each
 * attachment has a random key K_att, stored only wrapped under K_case
 * (field "key" of table "attachments", place "<case id>/<attachment id>",
 * at the case's key version). Its filename and media type are fields
 * under K_att; its bytes a crypto_secretstream under K_att (crypto/
 * stream.h), ATTACHMENT_CHUNK_BYTES of plaintext per chunk row, every
 * chunk authenticating "corridor/v1|attachment|<case id>|<attachment id>",
 * the last one tagged FINAL. So a chunk dropped, reordered, repeated or
 * moved to another attachment or case fails to open, and so does a
 * truncated attachment. A rotation of K_case re-wraps K_att only.
 *
 * Everything runs inside the caller's transaction; nothing commits.
 * Functions return a casefile_err, or ATTACH_ENOTFOUND.
 *
 * WARNING: a reader or writer holds K_att and plaintext: call its free
 * function on every path.
 */
#ifndef CORRIDOR_ATTACH_H
#define CORRIDOR_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/stream.h"
#include "schema/store.h"
#include "schema/store_case.h"
#include "server/core/casefile.h"
#include "server/limits.h"

#define ATTACH_ENOTFOUND	(-10)

/* Longest media type on the allow-list ("application/pdf"), with room. */
#define ATTACH_MEDIA_TYPE_MAX	32u

/* What a listing shows of one attachment, decrypted. */
struct attach_info {
	char		id[ID_CHARS + 1];
	char		author_id[ID_CHARS + 1];
	int64_t		created_at;
	int64_t		size;
	char		filename[MAX_FILENAME_BYTES + 1];	/* wiped by
							 * attach_info_wipe */
	char		media_type[ATTACH_MEDIA_TYPE_MAX + 1];
};
void attach_info_wipe(struct attach_info *i);

/* Encrypts an upload chunk by chunk into a new attachment. */
struct attach_writer {
	struct store		*s;
	char			 case_id[ID_CHARS + 1];
	char			 id[ID_CHARS + 1];
	struct stream_state	 st;
	uint8_t			 key[STREAM_KEY_BYTES];
	uint8_t			*plain;		/* ATTACHMENT_CHUNK_BYTES */
	size_t			 plain_len;
	uint8_t			*ct;		/* + STREAM_ABYTES */
	int64_t			 seq;
	int64_t			 size;
	char			 ad[96];
	size_t			 ad_len;
	int			 err;		/* first casefile_err */
};

/*
 * Start attachment of case c (whose current key is case_key): draws K_att,
 * inserts the row with the encrypted filename and media type, fills
 * w->id. The bytes then go to attach_writer_put (a strip_emit), and
 * attach_writer_end writes the FINAL chunk and the size. Free w with
 * attach_writer_free on every path (after begin, also on its failure).
 */
int attach_writer_begin(struct attach_writer *w, struct store *s,
    const struct case_row *c, const uint8_t case_key[CASEFILE_KEY_BYTES],
    const char *author_id, const char *filename, const char *media_type)
    __attribute__((warn_unused_result));
/* Append len bytes (arg is the writer). 0, or -1 with w->err set. */
int attach_writer_put(void *arg, const uint8_t *p, size_t len);
int attach_writer_end(struct attach_writer *w)
    __attribute__((warn_unused_result));
void attach_writer_free(struct attach_writer *w);

/* Reads one attachment's bytes back, chunk by chunk. */
struct attach_reader {
	char			 id[ID_CHARS + 1];
	struct stream_state	 st;
	int64_t			 seq, chunks, size, total;
	int			 done;
	char			 ad[96];
	size_t			 ad_len;
	uint8_t			*ct;		/* one stored chunk */
};

/*
 * Open attachment id of case c: its info decrypted into *info and, if rd
 * is not NULL, a reader positioned at its first chunk. ATTACH_ENOTFOUND
 * if the case has no such attachment.
 */
int attach_open(struct store *s, const struct case_row *c,
    const uint8_t case_key[CASEFILE_KEY_BYTES], const char *id,
    struct attach_info *info, struct attach_reader *rd)
    __attribute__((warn_unused_result));

/* The next chunk's plaintext into out (out_max >= ATTACHMENT_CHUNK_BYTES):
 * *n > 0, or *n = 0 at the end (after the FINAL chunk, with the size
 * checked). s may be another connection than attach_open's, and each
 * call may see a later commit: chunks never change once written, so a
 * chunk deleted meanwhile fails the read (CASEFILE_EINTEGRITY), never
 * splices another file in. */
int attach_read(struct attach_reader *rd, struct store *s, uint8_t *out,
    size_t out_max, size_t *n) __attribute__((warn_unused_result));
void attach_reader_free(struct attach_reader *rd);

/* Each attachment of case c, decrypted, oldest first; cb returns 0 to go
 * on. The info is wiped after each call. */
int attach_each(struct store *s, const struct case_row *c,
    const uint8_t case_key[CASEFILE_KEY_BYTES],
    int (*cb)(void *arg, const struct attach_info *i), void *arg)
    __attribute__((warn_unused_result));

/* K_case of case_id rotated from (old_key, old_v) to (new_key, new_v):
 * re-wrap every K_att. The chunks are not touched. */
int attach_case_rewrap(struct store *s, const char *case_id,
    const uint8_t old_key[CASEFILE_KEY_BYTES], uint32_t old_v,
    const uint8_t new_key[CASEFILE_KEY_BYTES], uint32_t new_v)
    __attribute__((warn_unused_result));

/* Delete attachment id of case_id: its wrap and its chunks
 * (crypto-shred). ATTACH_ENOTFOUND. */
int attach_delete(struct store *s, const char *case_id, const char *id)
    __attribute__((warn_unused_result));

#endif
