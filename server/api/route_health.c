/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* route_health: GET /health, for load balancers and tests. Unaudited. */
#include "server/audit/audit.h"
#include "server/api/route.h"

static void
health(struct req *r)
{
	/* no version, no counts: nothing an unauthenticated caller can use */
	req_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

const struct route route_health_table[] = {
	{ M_GET, "/health", R_ANON | R_ANY_USER, ROUTE_INLINE, AUDIT_NONE,
	  AUDIT_OBJ_NONE,
	  health },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
