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

static const char *const action_names[] = {
	[AUDIT_NONE] = "none",
	[AUDIT_SESSION_CREATE] = "session.create",
	[AUDIT_SESSION_FAIL] = "session.fail",
	[AUDIT_SESSION_END] = "session.end",
	[AUDIT_USER_CREATE] = "user.create",
	[AUDIT_USER_CONFIRM] = "user.confirm",
	[AUDIT_USER_REVOKE] = "user.revoke",
	[AUDIT_USER_PASSWORD] = "user.password",
	[AUDIT_CASE_CREATE] = "case.create",
	[AUDIT_CASE_LIST] = "case.list",
	[AUDIT_CASE_READ] = "case.read",
	[AUDIT_CASE_UPDATE] = "case.update",
	[AUDIT_CASE_ASSIGN] = "case.assign",
	[AUDIT_CASE_UNASSIGN] = "case.unassign",
	[AUDIT_CASE_SHRED] = "case.shred",
	[AUDIT_CONTACT_CREATE] = "contact.create",
	[AUDIT_CONTACT_LIST] = "contact.list",
	[AUDIT_EVAC_CREATE] = "evacuation.create",
	[AUDIT_EVAC_LIST] = "evacuation.list",
	[AUDIT_EVAC_READ] = "evacuation.read",
	[AUDIT_EVAC_UPDATE] = "evacuation.update",
	[AUDIT_EVAC_ADD_CASE] = "evacuation.add_case",
	[AUDIT_AUDIT_READ] = "audit.read",
	[AUDIT_AUDIT_EXPORT] = "audit.export",
	[AUDIT_USER_LIST] = "user.list",
	[AUDIT_REASON_ERASE] = "audit.reason_erase",
	[AUDIT_KEY_ROTATE] = "audit.key_rotate",
};

const char *
audit_action_name(int action)
{
	if (action < 0 || action > AUDIT_KEY_ROTATE)
		return "unknown";
	return action_names[action];
}

const char *
audit_outcome_name(int outcome)
{
	switch (outcome) {
	case AUDIT_ALLOWED:	return "allowed";
	case AUDIT_DENIED:	return "denied";
	case AUDIT_ERROR:	return "error";
	}
	return "unknown";
}

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
