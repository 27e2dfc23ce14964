/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_attach: attachments of a case and their encrypted chunks
 * (schema/0007_attachments.sql). Blobs are ciphertext; nothing here sees
 * a key. Functions return a store_err unless said otherwise.
 */
#ifndef CORRIDOR_STORE_ATTACH_H
#define CORRIDOR_STORE_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"

#define STORE_ATTACH_HEADER_BYTES	24u

struct attach_row {
	char		 id[ID_CHARS + 1];
	char		 case_id[ID_CHARS + 1];
	char		 author_id[ID_CHARS + 1];
	int64_t		 created_at;
	int64_t		 size;
	int64_t		 chunks;
	uint32_t	 key_version;
	uint8_t		 header[STORE_ATTACH_HEADER_BYTES];
	/* ciphertexts: borrowed from the statement during a callback, or
	 * the caller's during an insert */
	const uint8_t	*key_wrap;
	size_t		 key_wrap_len;
	const uint8_t	*filename;
	size_t		 filename_len;
	const uint8_t	*media_type;
	size_t		 media_type_len;
};

/* Insert a's row (size and chunks as given; store_attach_finish sets the
 * final ones). */
int store_attach_insert(struct store *s, const struct attach_row *a);
/* Record the final size and chunk count of attachment id. */
int store_attach_finish(struct store *s, const char *id, int64_t size,
    int64_t chunks);
/* Store chunk seq of attachment id. */
int store_attach_chunk_put(struct store *s, const char *id, int64_t seq,
    const uint8_t *data, size_t data_len);
/* Copy chunk seq of attachment id into buf (buf_max bytes): STORE_OK with
 * *data_len, STORE_ENOTFOUND, or STORE_ECORRUPT if it does not fit. */
int store_attach_chunk_get(struct store *s, const char *id, int64_t seq,
    uint8_t *buf, size_t buf_max, size_t *data_len);
/* *n = attachments of case_id. */
int store_attach_count(struct store *s, const char *case_id, int64_t *n);
/* Each attachment of case_id, oldest first; the row's blobs are valid
 * only during the call. cb returns 0 to go on (else STORE_ENOMEM). */
int store_attach_each(struct store *s, const char *case_id,
    int (*cb)(void *arg, const struct attach_row *a), void *arg);
/* Attachment id of case_id, through cb as above; STORE_ENOTFOUND. */
int store_attach_get(struct store *s, const char *case_id, const char *id,
    int (*cb)(void *arg, const struct attach_row *a), void *arg);
/* Replace the key wrap of attachment id (a rotation of K_case). */
int store_attach_set_wrap(struct store *s, const char *id,
    uint32_t key_version, const uint8_t *wrap, size_t wrap_len);
/* Delete attachment id of case_id and its chunks; STORE_ENOTFOUND. */
int store_attach_delete(struct store *s, const char *case_id,
    const char *id);
/* Delete every attachment of case_id and their chunks (a shred). */
int store_attach_delete_case(struct store *s, const char *case_id);

#endif
