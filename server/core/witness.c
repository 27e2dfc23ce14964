/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * witness: the tlog-witness add-checkpoint decision and the durable
 * per-origin state behind `corridor witness serve` (witness.h). The order
 * of checks is the spec's (c2sp.org/tlog-witness): body, origin (404),
 * log signature (403), old size above the new (400), old size against
 * ours (409 with our size), same size with another root (409), the
 * consistency proof (422); then persist, then cosign.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/cosig.h"
#include "crypto/encode.h"
#include "crypto/merkle.h"
#include "crypto/secmem.h"
#include "crypto/sha256.h"
#include "server/core/witness.h"
#include "server/limits.h"
#include "server/log/log.h"

#define KEY_FILE	"witness-key"
#define PUB_FILE	"witness.pub"
#define STATE_DIR	"state"

struct origin_state {
	char		 name[NOTE_NAME_MAX_BYTES + 1];
	size_t		 name_len;
	char		 file[65];	/* hex SHA-256(0x00 || origin) */
	int		 have;		/* a checkpoint was cosigned */
	uint64_t	 size;
	uint8_t		 root[MERKLE_HASH_BYTES];
};

struct witness {
	pthread_mutex_t		 mu;
	char			 dir[WITNESS_DIR_MAX_BYTES];
	uint8_t			*sk;	/* secmem, NOTE_SK_BYTES */
	struct note_vkey	 self;
	struct note_vkey	 logs[WITNESS_MAX_LOG_KEYS];
	size_t			 nlogs;
	struct origin_state	 origins[WITNESS_MAX_LOG_KEYS];
	size_t			 norigins;
};

static int
join(char *out, size_t out_len, const char *a, const char *b, const char *c)
{
	int n = snprintf(out, out_len, "%s/%s%s%s", a, b, c ? "/" : "",
	    c ? c : "");

	return n < 0 || (size_t)n >= out_len ? -1 : 0;
}

/* Write len bytes to a new file (O_EXCL, 0600) and fsync it. 0 or -1. */
static int
write_new(const char *path, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	while (len > 0) {
		if ((w = write(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(path);
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	return close(fd);
}

/* Read a whole small file (at most max bytes) into buf. Length or -1. */
static ssize_t
read_small(const char *path, void *buf, size_t max)
{
	size_t n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	for (;;) {
		r = read(fd, (char *)buf + n, max - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == max)
			break;
	}
	close(fd);
	if (r < 0 || n == max)	/* an error, or perhaps longer than max */
		return -1;
	return (ssize_t)n;
}

static int
fsync_dir(const char *path)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
witness_init_dir(const char *dir, const char *name, char *vkey,
    size_t vkey_max)
{
	uint8_t seed[NOTE_SEED_BYTES], pk[NOTE_PK_BYTES];
	uint8_t *sk = NULL;
	struct note_vkey vk;
	char path[WITNESS_DIR_MAX_BYTES + 32], line[NOTE_VKEY_MAX_BYTES + 1];
	size_t n;
	int rc = -1;

	if (strlen(dir) >= WITNESS_DIR_MAX_BYTES ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST))
		return -1;
	if ((sk = secmem_alloc(NOTE_SK_BYTES)) == NULL)
		return -1;
	secmem_random(seed, sizeof(seed));
	note_keypair_from_seed(pk, sk, seed);
	if (note_vkey_init_alg(&vk, name, strlen(name), NOTE_ALG_COSIG_V1,
	    pk) != NOTE_OK || note_vkey_format(line, sizeof(line) - 1, &vk) !=
	    NOTE_OK || strlen(line) + 1 > vkey_max)
		goto done;
	if (join(path, sizeof(path), dir, STATE_DIR, NULL) != 0 ||
	    mkdir(path, 0700) != 0)
		goto done;
	if (join(path, sizeof(path), dir, KEY_FILE, NULL) != 0 ||
	    write_new(path, seed, sizeof(seed)) != 0)
		goto done;
	snprintf(vkey, vkey_max, "%s", line);
	n = strlen(line);
	line[n++] = '\n';
	if (join(path, sizeof(path), dir, PUB_FILE, NULL) != 0 ||
	    write_new(path, line, n) != 0 || fsync_dir(dir) != 0)
		goto done;
	rc = 0;
done:
	secmem_wipe(seed, sizeof(seed));
	secmem_free(sk);
	return rc;
}

/* Load the state file of o, if any. 0 (none, or loaded) or -1. */
static int
load_state(struct witness *w, struct origin_state *o)
{
	char path[WITNESS_DIR_MAX_BYTES + 100], *buf;
	struct note_checkpoint cp;
	ssize_t n;
	int rc = -1;

	if (join(path, sizeof(path), w->dir, STATE_DIR, o->file) != 0)
		return -1;
	if (access(path, F_OK) != 0)
		return errno == ENOENT ? 0 : -1;
	if ((buf = malloc(NOTE_MAX_BYTES + 1)) == NULL)
		return -1;
	if ((n = read_small(path, buf, NOTE_MAX_BYTES + 1)) < 0 ||
	    note_checkpoint_parse(&cp, buf, (size_t)n) != NOTE_OK ||
	    cp.origin_len != o->name_len ||
	    memcmp(cp.origin, o->name, o->name_len) != 0)
		goto done;
	o->have = 1;
	o->size = cp.size;
	memcpy(o->root, cp.root, sizeof(o->root));
	rc = 0;
done:
	free(buf);
	return rc;
}

/* Replace the state of o with note: temporary file, fsync, rename,
 * fsync of the directory. 0 or -1 (the old state stays). */
static int
save_state(struct witness *w, const struct origin_state *o,
    const char *note, size_t note_len)
{
	char dir[WITNESS_DIR_MAX_BYTES + 16], path[WITNESS_DIR_MAX_BYTES + 100];
	char tmp[WITNESS_DIR_MAX_BYTES + 110];

	if (join(dir, sizeof(dir), w->dir, STATE_DIR, NULL) != 0 ||
	    join(path, sizeof(path), w->dir, STATE_DIR, o->file) != 0 ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	(void)unlink(tmp);	/* left by a crash between write and rename */
	if (write_new(tmp, note, note_len) != 0)
		return -1;
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return fsync_dir(dir);
}

struct witness *
witness_open(const char *dir, const struct note_vkey *logs, size_t nlogs)
{
	struct witness *w;
	uint8_t seed[NOTE_SEED_BYTES + 1], pk[NOTE_PK_BYTES], h[SHA256_BYTES];
	char path[WITNESS_DIR_MAX_BYTES + 32], pub[NOTE_VKEY_MAX_BYTES + 2];
	struct note_vkey vk;
	ssize_t n;

	if (nlogs == 0 || nlogs > WITNESS_MAX_LOG_KEYS ||
	    strlen(dir) >= WITNESS_DIR_MAX_BYTES)
		return NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	pthread_mutex_init(&w->mu, NULL);
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	if ((w->sk = secmem_alloc(NOTE_SK_BYTES)) == NULL)
		goto fail;
	/* the key, and its public line, which must match it */
	if (join(path, sizeof(path), dir, KEY_FILE, NULL) != 0 ||
	    (n = read_small(path, seed, sizeof(seed))) != NOTE_SEED_BYTES) {
		secmem_wipe(seed, sizeof(seed));
		goto fail;
	}
	note_keypair_from_seed(pk, w->sk, seed);
	secmem_wipe(seed, sizeof(seed));
	if (join(path, sizeof(path), dir, PUB_FILE, NULL) != 0 ||
	    (n = read_small(path, pub, sizeof(pub))) < 2 ||
	    pub[n - 1] != '\n' ||
	    note_vkey_parse_alg(&vk, pub, (size_t)n - 1, NOTE_ALG_COSIG_V1) !=
	    NOTE_OK || memcmp(vk.pk, pk, sizeof(pk)) != 0)
		goto fail;
	w->self = vk;

	memcpy(w->logs, logs, nlogs * sizeof(*logs));
	w->nlogs = nlogs;
	for (size_t i = 0; i < nlogs; i++) {
		struct origin_state *o = NULL;

		for (size_t j = 0; j < w->norigins; j++)
			if (w->origins[j].name_len == logs[i].name_len &&
			    memcmp(w->origins[j].name, logs[i].name,
			    logs[i].name_len) == 0)
				o = &w->origins[j];
		if (o != NULL)
			continue;
		o = &w->origins[w->norigins++];
		memcpy(o->name, logs[i].name, logs[i].name_len + 1);
		o->name_len = logs[i].name_len;
		sha256_prefixed(h, 0, o->name, o->name_len);
		if (encode_hex(o->file, sizeof(o->file), h, sizeof(h)) != 0 ||
		    load_state(w, o) != 0)
			goto fail;
	}
	return w;
fail:
	witness_close(w);
	return NULL;
}

void
witness_close(struct witness *w)
{
	if (w == NULL)
		return;
	secmem_free(w->sk);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

void
witness_vkey(const struct witness *w, struct note_vkey *vk)
{
	*vk = w->self;
}

static int
reply(char *out, size_t out_max, size_t *out_len, const char **ctype,
    int status, const char *text)
{
	int n = snprintf(out, out_max, "%s\n", text);

	*ctype = "text/plain; charset=utf-8";
	*out_len = n < 0 || (size_t)n >= out_max ? 0 : (size_t)n;
	return status;
}

/* The test hook of witness.h: announce, then wait, before persisting. */
static void
test_stall(void)
{
	const char *f = getenv("CORRIDOR_TEST_WITNESS_STALL");
	struct timespec ts = { WITNESS_TEST_STALL_S, 0 };
	int fd;

	if (f == NULL || *f == '\0')
		return;
	if ((fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) != -1)
		close(fd);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
decide(struct witness *w, const char *body, size_t len, char *out,
    size_t out_max, size_t *out_len, const char **ctype)
{
	struct cosig_request *rq;
	struct note_checkpoint cp;
	struct origin_state *o = NULL;
	uint8_t old_root[MERKLE_HASH_BYTES];
	uint64_t stored, now;
	size_t text_len;
	int status, signed_ok = 0;

	if ((rq = malloc(sizeof(*rq))) == NULL)
		return reply(out, out_max, out_len, ctype, 500, "out of memory");
	if (cosig_request_parse(rq, body, len) != 0 ||
	    note_checkpoint_parse(&cp, rq->note, rq->note_len) != NOTE_OK) {
		status = reply(out, out_max, out_len, ctype, 400,
		    "malformed add-checkpoint request");
		goto done;
	}
	for (size_t i = 0; i < w->norigins; i++)
		if (w->origins[i].name_len == cp.origin_len &&
		    memcmp(w->origins[i].name, cp.origin, cp.origin_len) == 0)
			o = &w->origins[i];
	if (o == NULL) {
		status = reply(out, out_max, out_len, ctype, 404,
		    "unknown log origin");
		goto done;
	}
	for (size_t i = 0; i < w->nlogs && !signed_ok; i++) {
		struct note_checkpoint v;

		signed_ok = note_checkpoint_verify(&v, rq->note, rq->note_len,
		    &w->logs[i]) == NOTE_OK;
	}
	if (!signed_ok) {
		status = reply(out, out_max, out_len, ctype, 403,
		    "no valid signature from a trusted log key");
		log_line(LOG_WARN, "witness: refused a checkpoint of size %llu:"
		    " not signed by a trusted key (403)",
		    (unsigned long long)cp.size);
		goto done;
	}
	if (rq->old_size > cp.size) {
		status = reply(out, out_max, out_len, ctype, 400,
		    "old size is above the checkpoint size");
		goto done;
	}
	stored = o->have ? o->size : 0;
	if (rq->old_size != stored) {
		int n = snprintf(out, out_max, "%llu\n",
		    (unsigned long long)stored);

		*out_len = n < 0 || (size_t)n >= out_max ? 0 : (size_t)n;
		*ctype = "text/x.tlog.size";
		status = 409;
		goto done;
	}
	if (o->have)
		memcpy(old_root, o->root, sizeof(old_root));
	else
		merkle_empty_root(old_root);
	if (rq->old_size == cp.size &&
	    memcmp(old_root, cp.root, sizeof(old_root)) != 0) {
		status = reply(out, out_max, out_len, ctype,
		    cp.size == 0 ? 422 : 409,
		    "same size as the cosigned checkpoint, another root");
		log_line(LOG_ERROR, "witness: FORK: a checkpoint of size %llu "
		    "with another root than the one cosigned",
		    (unsigned long long)cp.size);
		goto done;
	}
	if (merkle_consistency_verify(rq->old_size, cp.size, old_root,
	    cp.root, rq->proof, rq->proof_len) != 0) {
		status = reply(out, out_max, out_len, ctype, 422,
		    "the consistency proof does not verify");
		log_line(LOG_ERROR, "witness: refused a checkpoint of size %llu: "
		    "not consistent with the cosigned size %llu (422)",
		    (unsigned long long)cp.size,
		    (unsigned long long)rq->old_size);
		goto done;
	}
	if (!o->have || cp.size != o->size) {
		test_stall();
		if (save_state(w, o, rq->note, rq->note_len) != 0) {
			status = reply(out, out_max, out_len, ctype, 500,
			    "cannot persist the state");
			log_line(LOG_ERROR, "witness: cannot persist the state; "
			    "nothing cosigned");
			goto done;
		}
		o->have = 1;
		o->size = cp.size;
		memcpy(o->root, cp.root, sizeof(o->root));
	}
	now = (uint64_t)time(NULL);
	text_len = cosig_note_text_len(rq->note, rq->note_len);
	if (out_max < COSIG_LINE_MAX_BYTES ||
	    cosig_sign(out, out_max, out_len, rq->note, text_len, now,
	    &w->self, w->sk) != NOTE_OK) {
		status = reply(out, out_max, out_len, ctype, 500,
		    "cannot sign");
		goto done;
	}
	*ctype = "text/plain; charset=utf-8";
	status = 200;
	log_line(LOG_INFO, "witness: cosigned size %llu",
	    (unsigned long long)cp.size);
done:
	free(rq);
	return status;
}

int
witness_add_checkpoint(struct witness *w, const char *body, size_t len,
    char *out, size_t out_max, size_t *out_len, const char **ctype)
{
	int status;

	pthread_mutex_lock(&w->mu);
	status = decide(w, body, len, out, out_max, out_len, ctype);
	pthread_mutex_unlock(&w->mu);
	return status;
}
