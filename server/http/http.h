/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * http: the libmicrohttpd daemon. Enforces the transport limits of
 * limits.h as bytes arrive, reads the body, hands complete requests to the
 * router and writes the response with security headers.
 */
#ifndef CORRIDOR_HTTP_H
#define CORRIDOR_HTTP_H

#include <stdint.h>

struct http_config {
	const char	*host;		/* numeric address */
	uint16_t	 port;
	const char	*tls_cert_pem;	/* NULL: plain HTTP */
	const char	*tls_key_pem;
	int		 quiet;		/* no request log lines */
	const char	*spool_dir;	/* uploads' unnamed spool files (the
					 * data directory); NULL: no uploads */
};

/* Start the daemon. 0 or -1. On success *bound_port is the actual port
 * (useful with port 0). */
int http_start(const struct http_config *cfg, uint16_t *bound_port)
    __attribute__((warn_unused_result));
/* Stop accepting, let requests in flight finish (at most
 * SHUTDOWN_GRACE_S), then stop the daemon. */
void http_stop(void);

#endif
