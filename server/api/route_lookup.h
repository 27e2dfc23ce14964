/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_lookup: the JSON of a lookup's matches, shared by POST
 * /cases/lookup and the warning of POST /cases (route_case.c).
 */
#ifndef CORRIDOR_ROUTE_LOOKUP_H
#define CORRIDOR_ROUTE_LOOKUP_H

#include <jansson.h>

#include "server/core/blindidx.h"

/* [{"codename", "ask"}...]: ask is the username of the coordinator who
 * opened the case, or null for "a coordinator". Never an id, never
 * content. NULL on allocation failure. */
json_t *route_lookup_matches_json(const struct blindidx_hits *h);

#endif
