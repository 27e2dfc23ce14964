/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * anonlimit: the rate limit on unauthenticated requests, per source
 * address, applied before any work is done for them (issue 18). A request
 * without a valid session -- a login, or a request whose token is
 * missing, malformed, forged or expired -- takes one token from its
 * source's bucket (ANON_BURST tokens, refilled at ANON_RATE_PER_S); an
 * empty bucket means 429 with Retry-After. Requests with a valid session
 * are never counted, so signed-in work goes on whatever anonymous traffic
 * does. IPv6 sources are grouped by /64, the unit one host usually holds.
 *
 * WARNING: behind a reverse proxy or an onion service every client has
 * the proxy's address, so this becomes one limit for all anonymous
 * traffic, logins included: a flood then delays everyone's next login
 * (never signed-in work). docs/operations.md.
 */
#ifndef CORRIDOR_ANONLIMIT_H
#define CORRIDOR_ANONLIMIT_H

/* Take one token for ip (numeric text). 0: allowed; -1: refused, with
 * *retry_after_s the whole seconds until a token is back (>= 1). */
int anonlimit_take(const char *ip, unsigned *retry_after_s);

#endif
