/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit: appends entries inside the caller's write transaction, keeps the
 * log's Merkle frontier in memory (moved forward only by committed
 * transactions, through the store's write hook), signs checkpoints with
 * the audit key held in locked memory, and runs the background
 * checkpointer. The start-up checks are in audit_open.c, which installs a
 * checked log here (audit_install). See audit.h for the invariants and
 * docs/audit.md, section 11, for the rationale.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/hash.h"
#include "crypto/secmem.h"
#include "crypto/xfer.h"
#include "schema/store_audit.h"
#include "schema/store_tiles.h"
#include "schema/store_user.h"
#include "server/audit/audit.h"
#include "server/audit/audit_int.h"
#include "server/log/log.h"
#include "server/audit/audit_reason.h"
#include "server/log/worker.h"

struct staged_leaf {
	uint8_t		leaf[MERKLE_HASH_BYTES];
	uint64_t	time_ms;
};

static struct {
	pthread_mutex_t		 mu;	/* everything below */
	pthread_cond_t		 cv;	/* wakes the checkpointer */
	int			 open;

	/* the committed tree */
	struct merkle_frontier	 tree;
	uint64_t		 last_time_ms;
	uint64_t		 commits;	/* commits seen by the hook */

	/* the open write transaction's appends (the write lock serializes
	 * transactions, so there is at most one set) */
	struct staged_leaf	 pending[AUDIT_PENDING_MAX];
	unsigned		 npending;
	uint64_t		 pending_time_ms;
	int			 staged_cp;
	char			 staged_note[NOTE_MAX_BYTES];
	size_t			 staged_note_len;
	uint64_t		 staged_size;

	/* the latest committed checkpoint */
	char			 note[NOTE_MAX_BYTES];
	size_t			 note_len;
	uint64_t		 note_size;
	uint64_t		 note_commit;	/* commit that stored it */
	int			 have_note;
	int			 note_current_key;

	/* durability: commits up to durable_commit returned STORE_OK */
	uint64_t		 durable_commit;
	uint64_t		 durable_size;

	/* key and name */
	uint8_t			*sk;		/* secmem, no-access at rest */
	struct note_vkey	 vk;

	/* checkpointer */
	uint64_t		 every;
	unsigned		 interval_s;
	int			 stop;
	int			 running;
	pthread_t		 thread;
	int			 cp_failed;	/* logged once per failure run */

	/* the checkpoint file next to the database */
	char			 state_path[4096];
	uint64_t		 state_commit;	/* commit of the note it holds */
} A = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
};

/* Signing and the checkpoint file each have their own lock, so neither
 * is done under A.mu. */
static pthread_mutex_t sign_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t file_mu = PTHREAD_MUTEX_INITIALIZER;

/* Set by the hook on the committing thread: what its commit made. */
static _Thread_local uint64_t tl_commit, tl_size;

static uint64_t
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
audit_now_ms(void)
{
	uint64_t t = clock_ms();

	pthread_mutex_lock(&A.mu);
	if (t < A.pending_time_ms)
		t = A.pending_time_ms;
	pthread_mutex_unlock(&A.mu);
	return t;
}

static uint8_t
role_code(int role)
{
	switch (role) {
	case ROLE_ADMIN:	return AUDIT_ROLE_ADMIN;
	case ROLE_COORDINATOR:	return AUDIT_ROLE_COORDINATOR;
	case ROLE_CASEWORKER:	return AUDIT_ROLE_CASEWORKER;
	case ROLE_AUDITOR:	return AUDIT_ROLE_AUDITOR;
	}
	return AUDIT_ROLE_ANONYMOUS;
}

static int
copy_id(char out[AUDIT_ID_MAX_BYTES + 1], const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	if (n > AUDIT_ID_MAX_BYTES)
		return -1;
	memcpy(out, id != NULL ? id : "", n);
	out[n] = '\0';
	return 0;
}

/* --- the commit hook ------------------------------------------------------- */

/* Called by store_write_end with the write lock held, after COMMIT
 * succeeded (committed = 1) or after ROLLBACK (0). */
static void
on_write_end(int committed)
{
	pthread_mutex_lock(&A.mu);
	if (committed) {
		for (unsigned i = 0; i < A.npending; i++) {
			/* invariant: 2^63 entries are never reached */
			if (merkle_frontier_append(&A.tree,
			    A.pending[i].leaf) != 0)
				abort();
			A.last_time_ms = A.pending[i].time_ms;
		}
		A.commits++;
		if (A.staged_cp) {
			memcpy(A.note, A.staged_note, A.staged_note_len);
			A.note_len = A.staged_note_len;
			A.note_size = A.staged_size;
			A.note_commit = A.commits;
			A.have_note = 1;
			A.note_current_key = 1;
		}
		tl_commit = A.commits;
		tl_size = A.tree.size;
		if (A.running && A.every > 0 &&
		    A.tree.size - (A.have_note ? A.note_size : 0) >= A.every)
			pthread_cond_signal(&A.cv);
	}
	A.npending = 0;
	A.staged_cp = 0;
	A.pending_time_ms = A.last_time_ms;
	pthread_mutex_unlock(&A.mu);
}

int
audit_commit_deferred(struct store *s, int commit, struct audit_mark *m)
{
	int rc;

	tl_commit = 0;
	tl_size = 0;
	rc = store_write_end_deferred(s, commit, &m->ticket);
	/* set by on_write_end on this thread if the COMMIT succeeded */
	m->commit = tl_commit;
	m->size = tl_size;
	return rc;
}

int
audit_durable_wait(const struct audit_mark *m)
{
	int rc;

	if ((rc = store_durable_wait(m->ticket)) != STORE_OK)
		return rc;
	if (m->commit != 0) {
		pthread_mutex_lock(&A.mu);
		/* tickets follow commit order, so a later durable commit
		 * covers every earlier one */
		if (m->commit > A.durable_commit) {
			A.durable_commit = m->commit;
			A.durable_size = m->size;
		}
		pthread_mutex_unlock(&A.mu);
	}
	return STORE_OK;
}

int
audit_commit(struct store *s)
{
	struct audit_mark m;
	int rc;

	if ((rc = audit_commit_deferred(s, 1, &m)) != STORE_OK)
		return rc;
	return audit_durable_wait(&m);
}

/* --- append ------------------------------------------------------------------ */

int
audit_append_seq(struct store *s, const struct audit_event *ev,
    uint64_t *seq_out)
{
	struct audit_entry e;
	struct store_audit_row row;
	uint8_t enc[AUDIT_ENTRY_MAX], leaf[MERKLE_HASH_BYTES];
	uint8_t salt[AUDIT_REASON_SALT_BYTES];
	size_t enc_len = 0;
	int rc = -1;

	if (!store_in_write(s))
		return -1;	/* invariant: only inside the request's tx */
	memset(&e, 0, sizeof(e));
	if (copy_id(e.actor_id, ev->actor_id) != 0 ||
	    copy_id(e.object_id, ev->object_id) != 0 ||
	    copy_id(e.request_id, ev->request_id) != 0 ||
	    ev->action <= 0 || ev->extra_len > AUDIT_EXTRA_MAX_BYTES)
		return -1;
	e.role = role_code(ev->role);
	e.action = (uint16_t)ev->action;
	e.object_type = (uint8_t)ev->object_type;
	e.outcome = (uint8_t)ev->outcome;
	if (ev->extra_len > 0) {
		memcpy(e.extra, ev->extra, ev->extra_len);
		e.extra_len = (uint16_t)ev->extra_len;
	}
	if (ev->reason != NULL && ev->reason_len > 0) {
		secmem_random(salt, sizeof(salt));
		audit_reason_hash(e.reason_hash, salt, ev->reason,
		    ev->reason_len);
		e.has_reason = 1;
	}

	/* seq and time under the lock; the write lock (held by our caller)
	 * keeps any other appender out until our transaction ends */
	pthread_mutex_lock(&A.mu);
	if (!A.open || A.npending >= AUDIT_PENDING_MAX) {
		pthread_mutex_unlock(&A.mu);
		goto out;
	}
	e.seq = A.tree.size + A.npending;
	e.time_ms = clock_ms();
	if (e.time_ms < A.pending_time_ms)
		e.time_ms = A.pending_time_ms;	/* times never go back */
	pthread_mutex_unlock(&A.mu);

	if (audit_entry_encode(enc, sizeof(enc), &enc_len, &e) != 0)
		goto out;
	merkle_leaf_hash(leaf, enc, enc_len);
	row = (struct store_audit_row){
		.seq = e.seq, .time_ms = e.time_ms, .actor_id = e.actor_id,
		.role = e.role, .action = e.action,
		.object_type = e.object_type, .object_id = e.object_id,
		.outcome = e.outcome, .request_id = e.request_id,
		.entry = enc, .entry_len = enc_len, .leaf = leaf,
	};
	if (store_audit_insert(s, &row) != STORE_OK)
		goto out;
	/* the tiles this entry completes, in the same transaction */
	if (store_tiles_append(s, e.seq, leaf) != STORE_OK)
		goto out;
	/* the text is sealed to the auditors, never stored in plain */
	if (e.has_reason && audit_reason_seal(s, e.seq, salt, ev->reason,
	    ev->reason_len) != 0)
		goto out;

	pthread_mutex_lock(&A.mu);
	memcpy(A.pending[A.npending].leaf, leaf, sizeof(leaf));
	A.pending[A.npending].time_ms = e.time_ms;
	A.npending++;
	A.pending_time_ms = e.time_ms;
	pthread_mutex_unlock(&A.mu);
	if (seq_out != NULL)
		*seq_out = e.seq;
	rc = 0;
out:
	secmem_wipe(salt, sizeof(salt));
	return rc;
}

int
audit_append(struct store *s, const struct audit_event *ev)
{
	return audit_append_seq(s, ev, NULL);
}

/* --- signing and the checkpoint file ---------------------------------------- */

/* Sign (size, root) under the current key into note. */
static int
sign_checkpoint(uint64_t size, const uint8_t root[MERKLE_HASH_BYTES],
    char *note, size_t *note_len)
{
	struct note_checkpoint cp;
	int rc = -1;

	memset(&cp, 0, sizeof(cp));
	memcpy(cp.origin, A.vk.name, A.vk.name_len);
	cp.origin_len = A.vk.name_len;
	cp.size = size;
	memcpy(cp.root, root, MERKLE_HASH_BYTES);
	pthread_mutex_lock(&sign_mu);
	if (A.sk != NULL && secmem_readwrite(A.sk) == 0) {
		rc = note_checkpoint_sign(note, NOTE_MAX_BYTES, note_len, &cp,
		    A.sk) == NOTE_OK ? 0 : -1;
		(void)secmem_noaccess(A.sk);
	}
	pthread_mutex_unlock(&sign_mu);
	return rc;
}

int
audit_instance_sign(uint8_t sig[XFER_SIG_BYTES],
    const uint8_t digest[XFER_HASH_BYTES])
{
	int rc = -1;

	pthread_mutex_lock(&sign_mu);
	if (A.sk != NULL && secmem_readwrite(A.sk) == 0) {
		rc = xfer_sign(sig, digest, A.sk);
		(void)secmem_noaccess(A.sk);
	}
	pthread_mutex_unlock(&sign_mu);
	return rc;
}

int
audit_instance_x25519(uint8_t x_pk[XFER_X_PK_BYTES],
    uint8_t x_sk[XFER_X_SK_BYTES])
{
	int rc = -1;

	pthread_mutex_lock(&sign_mu);
	if (A.sk != NULL && secmem_readwrite(A.sk) == 0) {
		rc = xfer_x25519_sk(x_sk, A.sk) == 0 &&
		    xfer_x25519_pk(x_pk, A.sk + 32) == 0 ? 0 : -1;
		(void)secmem_noaccess(A.sk);
	}
	pthread_mutex_unlock(&sign_mu);
	if (rc != 0)
		secmem_wipe(x_sk, XFER_X_SK_BYTES);
	return rc;
}

/* Replace path with buf: write path.new (0600), fsync, rename, fsync the
 * directory. 0 or -1. */
static int
replace_file(const char *path, const char *buf, size_t len)
{
	char tmp[4200], dir[4096], *slash;
	size_t off = 0;
	ssize_t n;
	int fd, dfd, ok = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return -1;
	while (off < len) {
		n = write(fd, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	ok = off == len && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	ok = fsync(dfd) == 0;
	close(dfd);
	return ok ? 0 : -1;
}

/* Bring the checkpoint file up to the latest durable checkpoint.
 * 0 (also when there is nothing to do) or -1. */
static int
state_sync(void)
{
	static char buf[NOTE_MAX_BYTES];	/* under file_mu */
	size_t len = 0;
	uint64_t commit = 0;
	int rc = 0;

	pthread_mutex_lock(&file_mu);
	pthread_mutex_lock(&A.mu);
	if (A.state_path[0] != '\0' && A.have_note &&
	    A.note_commit <= A.durable_commit &&
	    A.note_commit != A.state_commit) {
		memcpy(buf, A.note, A.note_len);
		len = A.note_len;
		commit = A.note_commit;
	}
	pthread_mutex_unlock(&A.mu);
	if (len > 0) {
		rc = replace_file(A.state_path, buf, len);
		if (rc == 0) {
			pthread_mutex_lock(&A.mu);
			A.state_commit = commit;
			pthread_mutex_unlock(&A.mu);
		}
	}
	pthread_mutex_unlock(&file_mu);
	return rc;
}

/* Make note the checkpoint of the open transaction: it becomes the latest
 * when the transaction commits (see on_write_end). */
static void
stage_note(const char *note, size_t len, uint64_t size)
{
	pthread_mutex_lock(&A.mu);
	memcpy(A.staged_note, note, len);
	A.staged_note_len = len;
	A.staged_size = size;
	A.staged_cp = 1;
	pthread_mutex_unlock(&A.mu);
}

/* Sign the committed tree and store the note in s's open transaction.
 * need_only: only when the latest checkpoint does not cover the tree.
 * *note_len is 0 when nothing was needed. 0 or -1. */
static int
sign_in_tx(struct store *s, int need_only, uint64_t *size, char *note,
    size_t *note_len)
{
	uint8_t root[MERKLE_HASH_BYTES];
	size_t len = 0;
	int ok, need;

	*note_len = 0;
	if (!store_in_write(s))
		return -1;
	/* the caller holds the write lock: the tree cannot move until its
	 * transaction ends, so (size, root) is exactly what it commits on */
	pthread_mutex_lock(&A.mu);
	ok = A.open && A.npending == 0 && !A.staged_cp;
	*size = A.tree.size;
	need = !A.have_note || A.note_size != A.tree.size;
	merkle_frontier_root(&A.tree, root);
	pthread_mutex_unlock(&A.mu);
	if (!ok)
		return -1;
	if (need_only && !need)
		return 0;
	if (sign_checkpoint(*size, root, note, &len) != 0 ||
	    store_audit_checkpoint_insert(s, *size, note, len,
	    (int64_t)clock_ms()) != STORE_OK)
		return -1;
	stage_note(note, len, *size);
	*note_len = len;
	return 0;
}

int
audit_checkpoint_in_tx(struct store *s, uint64_t *size, char *note,
    size_t *note_len)
{
	return sign_in_tx(s, 1, size, note, note_len);
}

int
audit_checkpoint(struct store *s, int force)
{
	char note[NOTE_MAX_BYTES];
	uint64_t size;
	size_t len;
	int skip;

	pthread_mutex_lock(&A.mu);
	skip = !force && A.have_note && A.note_size == A.tree.size &&
	    A.note_current_key;
	pthread_mutex_unlock(&A.mu);
	if (skip)
		return state_sync();
	if (store_write_begin(s) != STORE_OK)
		return -1;
	if (sign_in_tx(s, 0, &size, note, &len) != 0) {
		(void)store_write_end(s, 0);
		return -1;
	}
	if (audit_commit(s) != STORE_OK)
		return -1;
	return state_sync();
}

int
audit_rotate(struct store *s, const uint8_t next_pk[NOTE_PK_BYTES],
    const char *request_id)
{
	uint8_t extra[AUDIT_ROTATE_EXTRA_BYTES], root[MERKLE_HASH_BYTES];
	char note[NOTE_MAX_BYTES];
	struct merkle_frontier *f;
	struct audit_event ev;
	size_t len = 0;
	int rc = -1;

	if ((f = malloc(sizeof(*f))) == NULL)
		return -1;
	audit_entry_rotation_extra(extra, A.vk.pk, next_pk);
	memset(&ev, 0, sizeof(ev));
	ev.actor_id = "";
	ev.role = ROLE_NONE;
	ev.action = AUDIT_AUDIT_KEY_ROTATE;
	ev.object_type = AUDIT_OBJ_AUDIT;
	ev.outcome = AUDIT_ALLOWED;
	ev.request_id = request_id;
	ev.extra = extra;
	ev.extra_len = sizeof(extra);
	if (store_write_begin(s) != STORE_OK)
		goto out;
	if (audit_append(s, &ev) != 0)
		goto fail;
	/* the handover: the current key signs the tree that ends with the
	 * rotation entry, in the same transaction, so the log never names a
	 * next key without this seal */
	pthread_mutex_lock(&A.mu);
	*f = A.tree;
	for (unsigned i = 0; i < A.npending; i++)
		if (merkle_frontier_append(f, A.pending[i].leaf) != 0)
			abort();	/* invariant: far below 2^63 */
	merkle_frontier_root(f, root);
	pthread_mutex_unlock(&A.mu);
	if (sign_checkpoint(f->size, root, note, &len) != 0 ||
	    store_audit_checkpoint_insert(s, f->size, note, len,
	    (int64_t)clock_ms()) != STORE_OK)
		goto fail;
	stage_note(note, len, f->size);
	if (audit_commit(s) != STORE_OK)
		goto out;
	rc = state_sync();
	goto out;
fail:
	(void)store_write_end(s, 0);
out:
	free(f);
	return rc;
}

/* --- installing a checked log ----------------------------------------------- */

int
audit_is_open(void)
{
	int open;

	pthread_mutex_lock(&A.mu);
	open = A.open;
	pthread_mutex_unlock(&A.mu);
	return open;
}

int
audit_install(const struct audit_start *st, const uint8_t sk[NOTE_SK_BYTES])
{
	uint8_t *copy;

	if (strlen(st->state_path) >= sizeof(A.state_path) ||
	    st->note_len > sizeof(A.note) || audit_is_open())
		return -1;
	if ((copy = secmem_alloc(NOTE_SK_BYTES)) == NULL)
		return -1;
	memcpy(copy, sk, NOTE_SK_BYTES);
	(void)secmem_noaccess(copy);
	pthread_mutex_lock(&sign_mu);
	A.sk = copy;
	pthread_mutex_unlock(&sign_mu);

	pthread_mutex_lock(&A.mu);
	A.vk = st->vk;
	A.tree = st->tree;
	A.last_time_ms = A.pending_time_ms = st->last_time_ms;
	A.npending = 0;
	A.staged_cp = 0;
	A.commits = A.durable_commit = 0;
	A.durable_size = st->tree.size;	/* found on disk: durable */
	A.have_note = st->have_note;
	A.note_len = st->note_len;
	A.note_size = st->note_size;
	A.note_current_key = st->note_current_key;
	A.note_commit = 0;
	if (st->note_len > 0)
		memcpy(A.note, st->note, st->note_len);
	/* state_sync rewrites the file unless it holds this note already */
	A.state_commit = st->file_holds_note ? 0 : UINT64_MAX;
	snprintf(A.state_path, sizeof(A.state_path), "%s", st->state_path);
	A.open = 1;
	pthread_mutex_unlock(&A.mu);
	store_set_write_hook(on_write_end);
	return 0;
}

void
audit_close(void)
{
	audit_checkpointer_stop();
	store_set_write_hook(NULL);
	pthread_mutex_lock(&sign_mu);
	secmem_free(A.sk);	/* wipes */
	A.sk = NULL;
	pthread_mutex_unlock(&sign_mu);
	pthread_mutex_lock(&A.mu);
	A.open = 0;
	A.have_note = 0;
	A.npending = 0;
	A.staged_cp = 0;
	merkle_frontier_init(&A.tree);
	pthread_mutex_unlock(&A.mu);
}

/* --- checkpointer ----------------------------------------------------------- */

static void *
checkpointer(void *arg)
{
	struct timespec deadline;
	int due, rc;

	(void)arg;
	pthread_mutex_lock(&A.mu);
	while (!A.stop) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += A.interval_s;
		for (;;) {
			uint64_t behind = A.tree.size -
			    (A.have_note ? A.note_size : 0);

			/* after a failure, wait the interval: no retry storm */
			if (A.stop || (!A.cp_failed && A.every > 0 &&
			    behind >= A.every))
				break;
			if (pthread_cond_timedwait(&A.cv, &A.mu, &deadline) ==
			    ETIMEDOUT)
				break;
		}
		if (A.stop)
			break;
		due = !A.have_note || A.note_size != A.tree.size;
		pthread_mutex_unlock(&A.mu);
		rc = 0;
		if (due) {
			struct store *s = store_pool_acquire();

			rc = s != NULL ? audit_checkpoint(s, 0) : -1;
			store_pool_release(s);
		} else {
			rc = state_sync();	/* e.g. an export's checkpoint */
		}
		pthread_mutex_lock(&A.mu);
		if (rc != 0 && !A.cp_failed)
			log_line(LOG_WARN, "cannot sign or store an "
			    "audit checkpoint; retrying");
		A.cp_failed = rc != 0;
	}
	pthread_mutex_unlock(&A.mu);
	return NULL;
}

int
audit_checkpointer_start(uint64_t every, unsigned interval_s)
{
	if (interval_s == 0 || A.running)
		return -1;
	/* the interval is measured on the monotonic clock */
	if (worker_cond_monotonic(&A.cv) != 0)
		return -1;
	pthread_mutex_lock(&A.mu);
	A.every = every;
	A.interval_s = interval_s;
	A.stop = 0;
	A.cp_failed = 0;
	A.running = 1;
	pthread_mutex_unlock(&A.mu);
	if (pthread_create(&A.thread, NULL, checkpointer, NULL) != 0) {
		pthread_mutex_lock(&A.mu);
		A.running = 0;
		pthread_mutex_unlock(&A.mu);
		pthread_cond_destroy(&A.cv);
		return -1;
	}
	return 0;
}

void
audit_checkpointer_stop(void)
{
	if (!A.running)		/* only start and stop write it */
		return;
	worker_stop(&A.mu, &A.cv, &A.stop, &A.thread, 1);
	pthread_mutex_lock(&A.mu);
	A.running = 0;
	pthread_mutex_unlock(&A.mu);
	pthread_cond_destroy(&A.cv);
}

/* --- accessors ---------------------------------------------------------------- */

uint64_t
audit_durable_size(void)
{
	uint64_t n;

	pthread_mutex_lock(&A.mu);
	n = A.durable_size;
	pthread_mutex_unlock(&A.mu);
	return n;
}

int
audit_latest_checkpoint(char *out, size_t out_max, size_t *out_len,
    uint64_t *size)
{
	int rc = -1;

	pthread_mutex_lock(&A.mu);
	if (A.have_note && A.note_len <= out_max) {
		memcpy(out, A.note, A.note_len);
		*out_len = A.note_len;
		*size = A.note_size;
		rc = 0;
	}
	pthread_mutex_unlock(&A.mu);
	return rc;
}

void
audit_vkey(struct note_vkey *vk)
{
	pthread_mutex_lock(&A.mu);
	*vk = A.vk;
	pthread_mutex_unlock(&A.mu);
}
