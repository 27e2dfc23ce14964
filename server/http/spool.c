/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * spool: an upload's encrypted, unnamed holding file (spool.h). On disk:
 * a sequence of records, each a 4-byte big-endian length and one
 * crypto_secretstream chunk of at most ATTACHMENT_CHUNK_BYTES, the last
 * tagged FINAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/secmem.h"
#include "crypto/stream.h"
#include "server/http/spool.h"
#include "server/limits.h"

#define REC_MAX	(ATTACHMENT_CHUNK_BYTES + STREAM_ABYTES)

static const uint8_t spool_ad[] = "corridor/v1|spool";

struct spool {
	int			 fd;
	int			 sealed;
	int			 done;
	uint64_t		 size;
	uint8_t			 key[STREAM_KEY_BYTES];
	uint8_t			 header[STREAM_HEADER_BYTES];
	struct stream_state	 st;
	uint8_t			 plain[ATTACHMENT_CHUNK_BYTES];
	size_t			 plain_len;
	uint8_t			 rec[4 + REC_MAX];
};

struct spool *
spool_new(const char *dir)
{
	struct spool *sp;

	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return NULL;
	/* unnamed, 0600, gone on close: nothing to clean up after a crash */
	sp->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (sp->fd < 0) {
		free(sp);
		return NULL;
	}
	stream_keygen(sp->key);
	if (stream_push_init(&sp->st, sp->header, sp->key) != 0) {
		spool_free(sp);
		return NULL;
	}
	return sp;
}

/* Write (writing != 0) or read all len bytes; a short read is -1. */
static int
io_all(int fd, uint8_t *p, size_t len, int writing)
{
	ssize_t n;

	while (len > 0) {
		n = writing ? write(fd, p, len) : read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
flush(struct spool *sp, int final)
{
	size_t n = 0;

	if (stream_push(&sp->st, sp->rec + 4, REC_MAX, &n, sp->plain,
	    sp->plain_len, spool_ad, sizeof(spool_ad) - 1, final) != 0)
		return -1;
	secmem_wipe(sp->plain, sp->plain_len);
	sp->plain_len = 0;
	sp->rec[0] = (uint8_t)(n >> 24);
	sp->rec[1] = (uint8_t)(n >> 16);
	sp->rec[2] = (uint8_t)(n >> 8);
	sp->rec[3] = (uint8_t)n;
	return io_all(sp->fd, sp->rec, 4 + n, 1);
}

int
spool_write(struct spool *sp, const uint8_t *p, size_t len)
{
	size_t n;

	if (sp->sealed)
		return -1;
	while (len > 0) {
		if (sp->plain_len == sizeof(sp->plain) && flush(sp, 0) != 0)
			return -1;
		n = sizeof(sp->plain) - sp->plain_len;
		if (n > len)
			n = len;
		memcpy(sp->plain + sp->plain_len, p, n);
		sp->plain_len += n;
		sp->size += n;
		p += n;
		len -= n;
	}
	return 0;
}

int
spool_seal(struct spool *sp)
{
	if (sp->sealed)
		return -1;
	sp->sealed = 1;
	if (flush(sp, 1) != 0 || lseek(sp->fd, 0, SEEK_SET) != 0)
		return -1;
	stream_state_wipe(&sp->st);
	return stream_pull_init(&sp->st, sp->header, sp->key);
}

uint64_t
spool_size(const struct spool *sp)
{
	return sp->size;
}

ssize_t
spool_read(struct spool *sp, uint8_t *buf, size_t max)
{
	size_t len, n = 0;
	int final = 0;

	if (!sp->sealed)
		return -1;
	if (sp->done)
		return 0;
	if (io_all(sp->fd, sp->rec, 4, 0) != 0)
		return -1;
	len = ((size_t)sp->rec[0] << 24) | ((size_t)sp->rec[1] << 16) |
	    ((size_t)sp->rec[2] << 8) | sp->rec[3];
	if (len < STREAM_ABYTES || len > REC_MAX ||
	    io_all(sp->fd, sp->rec + 4, len, 0) != 0)
		return -1;
	if (stream_pull(&sp->st, buf, max, &n, sp->rec + 4, len, spool_ad,
	    sizeof(spool_ad) - 1, &final) != 0)
		return -1;
	if (final)
		sp->done = 1;
	if (n == 0 && final)
		return 0;
	return (ssize_t)n;
}

int
spool_rewind(struct spool *sp)
{
	if (!sp->sealed || lseek(sp->fd, 0, SEEK_SET) != 0)
		return -1;
	sp->done = 0;
	stream_state_wipe(&sp->st);
	return stream_pull_init(&sp->st, sp->header, sp->key);
}

void
spool_free(struct spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	secmem_wipe(sp, sizeof(*sp));
	free(sp);
}
