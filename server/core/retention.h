/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * retention: crypto-shredding closed cases once the retention period has
 * passed since they were closed (cases.closed_at, schema/0004). A closed
 * case holds a person's identity, whereabouts and contact history long
 * after anyone needs them; destroying its keys and content on a schedule
 * means a later seizure finds only a tombstone.
 *
 * One shred path: each case goes through casefile_case_shred, the code
 * behind POST /cases/{id}/shred, in a write transaction of its own that
 * also holds its audit entry (case.shred, actor RETENTION_ACTOR, role
 * anonymous, object the case, request id "retention-<run id>"). What
 * differs from the route is only what follows from nobody's key being at
 * hand: if the case was in an evacuation, the wraps of K_evac held by
 * caseworkers who no longer have a live member case are deleted at once
 * and K_evac is marked rotate_pending, so the next coordinator or member
 * caseworker to open it rotates it (as after a revocation by an admin).
 *
 * The clock is an argument. The server sweeps with the real clock at
 * start-up and every RETENTION_SWEEP_S; `corridor retention run` (offline,
 * under the data directory lock) sweeps with the real clock, or with the
 * time an operator names with --now for a drill, which is then marked in
 * the request id of every entry ("retention-asof-<run id>"). There is no
 * way to shift the clock of a running server.
 */
#ifndef CORRIDOR_RETENTION_H
#define CORRIDOR_RETENTION_H

#include <stdint.h>

#include "schema/store.h"
#include "server/limits.h"

/*
 * Default policy of `serve --retention-days` and `retention run --days`:
 * 90 days after closing. Long enough to reopen a case closed by mistake or
 * to answer a person who resurfaces after relocation; short enough that a
 * seized server or a stolen backup does not hold years of people who are
 * no longer in the NGO's care. docs/operations.md gives the reasoning.
 */
#define RETENTION_DEFAULT_DAYS	90u
/* Upper bound of a policy, in days (100 years): days * 86400 stays far
 * inside int64 and no sensible policy comes near it. */
#define RETENTION_MAX_DAYS	36500u
/* The server sweeps at start-up and then this often, in seconds. A case
 * is shredded at most this long after it falls due. */
#define RETENTION_SWEEP_S	3600u
/* Due cases fetched per query. Each is shredded in its own transaction,
 * so this only bounds the memory of one listing. */
#define RETENTION_BATCH		64u

/* The audit actor of every retention shred: a printable id without spaces
 * (audit_entry.h), not a user id, so it can never name a person. */
#define RETENTION_ACTOR		"system:retention"
/* "retention-asof-" (15) + run id (22) + NUL: within AUDIT_ID_MAX_BYTES. */
#define RETENTION_REQUEST_ID_BYTES	(15u + ID_CHARS + 1u)

struct retention_run {
	uint32_t	 days;		/* 1..RETENTION_MAX_DAYS */
	int64_t		 now;		/* Unix seconds the policy is applied at */
	int		 as_of;		/* now was named by an operator (--now),
					 * not read from the clock */
	/* called with each shredded case id and the id of its evacuation
	 * after the commit, to drop cached keys (session_key_forget in the
	 * server); NULL offline, where there are no sessions */
	void		(*forget)(const char *object_id);
};

struct retention_report {
	char		 run_id[ID_CHARS + 1];
	char		 request_id[RETENTION_REQUEST_ID_BYTES];
	int64_t		 cutoff;	/* closed at or before this: due */
	unsigned	 shredded;
	unsigned	 failed;	/* each also audited, outcome error */
	unsigned	 evac_pending;	/* evacuations left rotate_pending */
	int		 stopped;	/* retention_stop interrupted the run */
};

/*
 * Shred every live case of s that has been closed for at least run->days
 * days at run->now. s must not be in a transaction; each case gets a
 * write transaction of its own, and the WAL is checkpointed and truncated
 * at the end when anything was shredded (best effort, as after the route).
 * A case reopened after it was listed is left alone. rep is filled in
 * every case. Returns 0 when every due case was shredded, -1 when one or
 * more failed (rep->failed), the listing failed, or run is invalid.
 */
int retention_sweep(struct store *s, const struct retention_run *run,
    struct retention_report *rep) __attribute__((warn_unused_result));

/*
 * The server's sweeper: a thread that runs retention_sweep on a pool
 * connection with the real clock at once and then every interval_s
 * seconds (RETENTION_SWEEP_S in the server; the unit test passes 1),
 * logging one line to stderr for the start-up sweep and for each later
 * one that shredded or failed anything (counts and the run's request id
 * only). days 0: retention is off and no thread starts. Call after
 * store_pool_open and session_init. 0, or -1 if the thread cannot start
 * (or one runs already).
 */
int retention_start(uint32_t days, unsigned interval_s)
    __attribute__((warn_unused_result));

/* Stop the sweeper: a sweep under way ends after the case in hand (every
 * case is all or nothing). Returns when the thread has exited. Safe when
 * nothing was started. */
void retention_stop(void);

#endif
