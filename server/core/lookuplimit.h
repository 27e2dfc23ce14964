/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * lookuplimit: how often one account may ask "have we seen this person
 * before?" (POST /cases/lookup, and the check a case creation with a
 * phone number makes). A token bucket per account: LOOKUP_BURST tokens,
 * one back every LOOKUP_REFILL_S seconds (server/limits.h), so the blind
 * index cannot be enumerated through the API. The table lives in memory;
 * a restart refills every bucket, which a restart's cost (every session
 * ends) already limits.
 */
#ifndef CORRIDOR_LOOKUPLIMIT_H
#define CORRIDOR_LOOKUPLIMIT_H

/* Take one token for user_id. 0: allowed; -1: refused, with
 * *retry_after_s the whole seconds until a token is back (>= 1). */
int lookuplimit_take(const char *user_id, unsigned *retry_after_s);

#endif
