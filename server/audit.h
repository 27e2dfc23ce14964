/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit: the one path by which anything is recorded in the audit log.
 * The request dispatcher (server/router.c) calls audit_append for every
 * routed request, inside the request's write transaction, so a handler
 * cannot forget it. Entries hold ids and codes only, never names or content.
 */
#ifndef CORRIDOR_AUDIT_H
#define CORRIDOR_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"

/* Action codes are part of the on-disk format: never renumber. */
enum audit_action {
	AUDIT_NONE = 0,		/* only /health and /me: not audited */
	AUDIT_SESSION_CREATE = 1,
	AUDIT_SESSION_FAIL = 2,
	AUDIT_SESSION_END = 3,
	AUDIT_USER_CREATE = 4,
	AUDIT_USER_CONFIRM = 5,
	AUDIT_USER_REVOKE = 6,
	AUDIT_USER_PASSWORD = 7,
	AUDIT_CASE_CREATE = 8,
	AUDIT_CASE_LIST = 9,
	AUDIT_CASE_READ = 10,
	AUDIT_CASE_UPDATE = 11,
	AUDIT_CASE_ASSIGN = 12,
	AUDIT_CASE_UNASSIGN = 13,
	AUDIT_CASE_SHRED = 14,
	AUDIT_CONTACT_CREATE = 15,
	AUDIT_CONTACT_LIST = 16,
	AUDIT_EVAC_CREATE = 17,
	AUDIT_EVAC_LIST = 18,
	AUDIT_EVAC_READ = 19,
	AUDIT_EVAC_UPDATE = 20,
	AUDIT_EVAC_ADD_CASE = 21,
	AUDIT_AUDIT_READ = 22,
	AUDIT_AUDIT_EXPORT = 23,
	AUDIT_USER_LIST = 24,
	AUDIT_REASON_ERASE = 25,
	AUDIT_KEY_ROTATE = 26,
};

enum audit_object {
	AUDIT_OBJ_NONE = 0,
	AUDIT_OBJ_USER = 1,
	AUDIT_OBJ_CASE = 2,
	AUDIT_OBJ_CONTACT = 3,
	AUDIT_OBJ_EVACUATION = 4,
	AUDIT_OBJ_AUDIT = 5,
	AUDIT_OBJ_SESSION = 6,
};

enum audit_outcome {
	AUDIT_ALLOWED = 1,
	AUDIT_DENIED = 2,
	AUDIT_ERROR = 3,
};

struct audit_event {
	const char	*actor_id;	/* "" or NULL: anonymous */
	int		 role;		/* enum role */
	int		 action;	/* enum audit_action */
	int		 object_type;	/* enum audit_object */
	const char	*object_id;	/* NULL: none */
	int		 outcome;	/* enum audit_outcome */
	const char	*request_id;
	const char	*reason;	/* break-glass reason, or NULL */
	size_t		 reason_len;
};

/*
 * Append ev to the log inside s's open write transaction (see
 * store_write_begin). The entry becomes durable when the dispatcher
 * commits; if the commit fails the entry is discarded with the rest of the
 * transaction. Returns 0 or -1; on -1 the dispatcher must roll back and
 * answer 503 with no data (fail closed).
 */
int audit_append(struct store *s, const struct audit_event *ev)
    __attribute__((warn_unused_result));

const char *audit_action_name(int action);
const char *audit_outcome_name(int outcome);

#endif
