/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * httpc: the smallest HTTP/1.1 client that the witness client needs: one
 * POST per connection ("Connection: close"), plain http:// only, with a
 * connect timeout and a deadline over the whole exchange, and a capped
 * response. Not libcurl: the only traffic is checkpoints, proofs and
 * cosignatures, all public and authenticated by their signatures (a
 * network attacker can delay or drop them, which shows as witness lag,
 * and cannot forge one), so TLS would add a large library for
 * confidentiality of sizes and roots only. A witness reached over the
 * Internet goes through a local TLS or Tor tunnel (docs/operations.md).
 *
 * Chunked responses are refused; the body is read to Content-Length, or
 * to the close.
 */
#ifndef CORRIDOR_HTTPC_H
#define CORRIDOR_HTTPC_H

#include <stddef.h>

#define HTTPC_HOST_MAX_BYTES	256u
#define HTTPC_PATH_MAX_BYTES	512u

struct httpc_url {
	char host[HTTPC_HOST_MAX_BYTES];	/* name or IPv4 / [IPv6] */
	char port[6];				/* "80" unless given */
	char path[HTTPC_PATH_MAX_BYTES];	/* prefix, no trailing '/' */
};

/* Parse "http://host[:port][/prefix]". Userinfo, query and fragment are
 * refused. 0 or -1. */
int httpc_url_parse(struct httpc_url *u, const char *url);

struct httpc_response {
	int	 status;
	char	 ctype[64];	/* Content-Type, truncated, "" if none */
	char	*body;		/* caller's buffer */
	size_t	 body_len;
};

/*
 * POST body (len bytes, type ctype) to u's prefix + suffix. resp->body
 * must point to a buffer of body_max bytes; a longer response body fails.
 * Returns 0 with resp filled, or -1 (resolve, connect, timeout, I/O or a
 * malformed or oversize response).
 */
int httpc_post(const struct httpc_url *u, const char *suffix,
    const char *ctype, const void *body, size_t len,
    struct httpc_response *resp, size_t body_max, unsigned connect_s,
    unsigned total_s);

#endif
