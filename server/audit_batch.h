/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_batch: the audit entries of requests that wrote nothing, committed
 * in batches on the pool's writer connection (flat combining; see
 * audit_batch.c). The request dispatcher uses it; handlers never do.
 */
#ifndef CORRIDOR_AUDIT_BATCH_H
#define CORRIDOR_AUDIT_BATCH_H

#include "server/audit.h"

/*
 * Append ev to the log and wait until it is durable. ev and the strings it
 * points to must stay valid until the call returns (the combining thread
 * may read them). Entries are appended in the order the calls queue.
 * Returns 0 once the entry is durable, -1 if it was not written or not
 * made durable, or if no pool is open: the caller answers 503, no data.
 */
int audit_batch_commit(const struct audit_event *ev)
    __attribute__((warn_unused_result));

#endif
