/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit: appends entries to the audit_log table inside the caller's write
 * transaction. (The Merkle tree and signed checkpoints are layered on this
 * function; see docs/audit.md.)
 */
#include <string.h>
#include <time.h>

#include "schema/store.h"
#include "server/audit.h"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char SQL_APPEND[] =
    "INSERT INTO audit_log (seq, time_ms, actor_id, role, action,"
    " object_type, object_id, outcome, request_id)"
    " VALUES ((SELECT coalesce(max(seq) + 1, 0) FROM audit_log),"
    " ?, ?, ?, ?, ?, ?, ?, ?)";

int
audit_append(struct store *s, const struct audit_event *ev)
{
	sqlite3_stmt *st;
	int rc;

	if (!store_in_write(s))
		return -1;	/* invariant: only inside the request's tx */
	if ((st = store_stmt(s, SQL_APPEND)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now_ms());
	store_bind_text(st, 2, ev->actor_id ? ev->actor_id : "");
	sqlite3_bind_int(st, 3, ev->role);
	sqlite3_bind_int(st, 4, ev->action);
	sqlite3_bind_int(st, 5, ev->object_type);
	store_bind_text(st, 6, ev->object_id);
	sqlite3_bind_int(st, 7, ev->outcome);
	store_bind_text(st, 8, ev->request_id ? ev->request_id : "");
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
