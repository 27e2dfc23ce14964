/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_anon: anonymous failures counted, not logged one by one. Anyone
 * can send requests without a valid token, and the audit log refuses
 * DELETE, so one row per anonymous failure let anyone fill the disk (the
 * review of issue 18 raised the log from 2 to 402 rows with 400 requests).
 * Such failures -- a missing, malformed, forged or expired token, a login
 * naming no account, a malformed login body, a throttled or rate-limited
 * request -- are counted here per kind (action, outcome, HTTP status), and
 * the committer thread (audit_batch.c) writes the counts as one
 * anonymous.summary entry (docs/audit.md) per AUDIT_ANON_INTERVAL_S, and
 * at shutdown. What the log proves about them is the counts per interval,
 * not each request; failed logins naming an existing account stay single
 * entries (router.c), bounded by the login throttle.
 *
 * WARNING: counts not yet written are lost if the process dies (at most
 * one interval's). The requests they count carried no data out, and
 * their answers did not wait for the log.
 */
#ifndef CORRIDOR_AUDIT_ANON_H
#define CORRIDOR_AUDIT_ANON_H

#include <stddef.h>
#include <stdint.h>

#include "server/audit/audit_entry.h"

/* How often counts are written, in seconds: one entry per interval (a
 * few more if more than AUDIT_SUMMARY_KINDS_MAX kinds occurred), so
 * anonymous traffic adds at most ~1500 entries a day however heavy. */
#define AUDIT_ANON_INTERVAL_S	60u

/* Kinds counted in memory at once: 64 for exact statuses, and
 * 2 x AUDIT_ACTION_MAX kept for status 0. Past the 64, a new kind within
 * one interval is counted under status 0 ("other") of its action and
 * outcome. The 64 are added to the status-0 rows, not carved out of a
 * fixed table: when a fixed 128 held both, every new action code took two
 * exact slots away (50 codes left 28), and an ordinary walk over every
 * route folded real 401s into "other". */
#define AUDIT_ANON_EXACT	64u
#define AUDIT_ANON_TABLE	(AUDIT_ANON_EXACT + 2u * AUDIT_ACTION_MAX)

/* Count one anonymous failure of this kind (outcome AUDIT_DENIED or
 * AUDIT_ERROR; status the HTTP status). */
void audit_anon_count(int action, int outcome, int status);

/*
 * Take up to AUDIT_SUMMARY_KINDS_MAX counted kinds as one summary extra,
 * if any are counted and the interval has passed (or force): 1 with
 * out and out_len set and those kinds removed, or 0. now_ms is the time the
 * entry will carry (audit_now_ms()).
 */
int audit_anon_take(uint8_t out[AUDIT_SUMMARY_EXTRA_MAX], size_t *out_len,
    uint64_t now_ms, int force);

/* Put back the counts of an extra from audit_anon_take whose entry could
 * not be written; they go out with the next one. */
void audit_anon_put_back(const uint8_t *extra, size_t extra_len);

/* Kinds counted and not yet written (for tests). */
unsigned audit_anon_pending(void);

#endif
