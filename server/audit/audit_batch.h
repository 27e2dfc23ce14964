/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_batch: the committer thread. It appends the audit entries of
 * requests that wrote nothing, many to a transaction on the pool's writer
 * connection, waits until they are durable, and only then hands each
 * request back; it also waits for the durability of commits that handlers
 * made themselves. No request thread waits for a flush (see audit_batch.c).
 * The request dispatcher uses it; handlers never do.
 */
#ifndef CORRIDOR_AUDIT_BATCH_H
#define CORRIDOR_AUDIT_BATCH_H

#include "server/audit/audit.h"

/*
 * One request's audit work. Either ev is set (append it, then wait until
 * it is durable) or ev is NULL and mark names a commit already made
 * (audit_commit_deferred) to wait for. done is called exactly once, on the
 * committer thread, with rc 0 once the entry or commit is durable, or -1
 * if the entry could not be written: the caller then answers 503 with no
 * data. ev, the strings it points to and the job itself stay the
 * caller's, and must stay valid until done is called.
 */
struct audit_job {
	const struct audit_event *ev;
	struct audit_mark	 mark;
	void			(*done)(struct audit_job *j, int rc);
	void			*arg;		/* for done */
	struct audit_job	*next;		/* the committer's */
	int			 rc;		/* the committer's */
};

/* Start the committer; the store pool must be open. 0 or -1. */
int audit_batch_start(void) __attribute__((warn_unused_result));

/* Finish every job submitted so far, then join the committer. */
void audit_batch_stop(void);

/*
 * Queue j for the committer. Entries are appended in the order they are
 * submitted. Returns 0, or -1 if the committer is not running (done is
 * then never called, and the caller still owns j).
 */
int audit_batch_submit(struct audit_job *j)
    __attribute__((warn_unused_result));

/*
 * Append ev and wait until it is durable, on the calling thread (through
 * the committer if it runs). 0 once durable; -1 if it was not written, or
 * no pool is open: the caller answers 503, no data.
 */
int audit_batch_commit(const struct audit_event *ev)
    __attribute__((warn_unused_result));

#endif
