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

/* The action, object and outcome codes are those of the canonical entry
 * (server/audit_entry.h), part of the on-disk format. */
#include "server/audit_entry.h"

/* Only /health and /me: not audited. Never stored. */
#define AUDIT_NONE	0

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


#endif
