/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * spool: where an upload's body waits between arriving and being stored.
 * The body streams in over seconds or minutes, while storing it holds the
 * database's write lock, so the two are decoupled: http.c writes the body
 * here as it arrives, and the route reads it back in one pass once the
 * request is complete and authorised.
 *
 * The spool is an unnamed file (O_TMPFILE) in the data directory,
 * encrypted with a key that lives only in this process's memory
 * (crypto/stream.h, blocks of ATTACHMENT_CHUNK_BYTES): the disk never
 * holds an upload's plaintext, the file has no name to find, and it
 * vanishes when closed, when the upload is abandoned, or when the process
 * dies. Memory: two blocks, whatever the body's size.
 */
#ifndef CORRIDOR_SPOOL_H
#define CORRIDOR_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct spool;

/* A new spool in dir, or NULL (the directory refuses an unnamed file, or
 * no memory). Free with spool_free. */
struct spool *spool_new(const char *dir);

/* Append len bytes. 0 or -1 (disk full, I/O error). */
int spool_write(struct spool *sp, const uint8_t *p, size_t len)
    __attribute__((warn_unused_result));

/* The body is complete: flush the last block and rewind for reading.
 * 0 or -1. */
int spool_seal(struct spool *sp) __attribute__((warn_unused_result));

/* Bytes written. */
uint64_t spool_size(const struct spool *sp);

/* After spool_seal: the next piece of the body into buf (max >=
 * ATTACHMENT_CHUNK_BYTES): > 0 bytes, 0 at the end, -1 if the file was
 * damaged or cut short. */
ssize_t spool_read(struct spool *sp, uint8_t *buf, size_t max)
    __attribute__((warn_unused_result));

/* After spool_seal: back to the first byte, for a second pass (a
 * bundle's signature is checked before it is opened). 0 or -1. */
int spool_rewind(struct spool *sp) __attribute__((warn_unused_result));

/* Where spools go (the data directory), for a route that builds a
 * response in one: NULL before the server has started. http.c. */
const char *http_spool_dir(void);

/* Close and forget (wipes the key and buffers). NULL is fine. */
void spool_free(struct spool *sp);

#endif
