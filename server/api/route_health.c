/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_health: GET /health, for load balancers, operators and tests.
 * Unaudited. Besides "ok", it shows the disk reserve (issue 18): the free
 * space of the data directory's file system, in whole MiB (rounded down,
 * so the answer does not track each write), against the reserve kept for
 * signed-in work; "status" is "low-disk" below it. No version, no counts
 * of users or cases: nothing else an unauthenticated caller can use.
 */
#include "server/audit/audit.h"
#include "server/api/route.h"
#include "server/core/diskspace.h"

#define MIB	(1024u * 1024u)

static void
health(struct req *r)
{
	uint64_t free_bytes, reserve;
	int low = diskspace_low();

	diskspace_get(&free_bytes, &reserve);
	free_bytes -= free_bytes % MIB;
	req_json(r, 200, json_pack("{s:s, s:{s:I, s:I, s:b}}",
	    "status", low ? "low-disk" : "ok",
	    "disk", "free_bytes", (json_int_t)free_bytes,
	    "reserve_bytes", (json_int_t)reserve, "low", low));
}

const struct route route_health_table[] = {
	{ M_GET, "/health", R_ANON | R_ANY_USER, ROUTE_INLINE, AUDIT_NONE,
	  AUDIT_OBJ_NONE,
	  health },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
