/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * deadline: the whole-request deadline, enforced on every connection by a
 * reaper thread. libmicrohttpd calls the access handler only once a
 * request's headers are complete, and its own timeout counts idle time
 * only, so a client that drips one header byte a second is invisible to
 * http.c and held forever. Here each connection is tracked from accept:
 *
 *   waiting   no request line yet. The first request of a connection must
 *             be complete REQUEST_DEADLINE_S after accept (which is no
 *             later than its first byte); a keep-alive connection between
 *             requests gets CONN_IDLE_TIMEOUT_S in total until the next
 *             request line, however its bytes drip.
 *   request   from the request line (a later request) or from accept (the
 *             first one), headers and body must have arrived within
 *             REQUEST_DEADLINE_S.
 *   busy      the whole request is here: the server is answering it. Not
 *             cut (a login may wait for Argon2; the answer's own send is
 *             bounded by libmicrohttpd's idle timeout).
 *
 * A connection past its time is cut with shutdown(2) on its socket:
 * libmicrohttpd then sees the end of the stream and closes and cleans up
 * the connection on its own thread. The fd cannot be reused under us:
 * libmicrohttpd tells us a connection is closed (deadline_notify) before
 * it closes the socket, and that takes the lock the reaper holds.
 */
#ifndef CORRIDOR_DEADLINE_H
#define CORRIDOR_DEADLINE_H

#include <time.h>

#include <microhttpd.h>

/* Start and stop the reaper thread. 0 or -1. */
int deadline_start(void) __attribute__((warn_unused_result));
void deadline_stop(void);

/* MHD_OPTION_NOTIFY_CONNECTION: track the connection from accept to
 * close; the tracking record lives in *socket_context. */
void deadline_notify(void *cls, struct MHD_Connection *c,
    void **socket_context, enum MHD_ConnectionNotificationCode code);

/* MHD_OPTION_URI_LOG_CALLBACK: a request line has arrived. Returns NULL
 * (the request's initial context). */
void *deadline_request_line(void *cls, const char *uri,
    struct MHD_Connection *c);

/* The headers are complete: the body phase begins. *start is when the
 * request's deadline began (the clock is CLOCK_MONOTONIC). */
void deadline_headers_done(struct MHD_Connection *c, struct timespec *start);

/* This request may take seconds from its start instead of
 * REQUEST_DEADLINE_S (an upload: ATTACHMENT_DEADLINE_S). Until the
 * request ends. */
void deadline_allow(struct MHD_Connection *c, unsigned seconds);
/* The body is complete: the request is the server's to answer. */
void deadline_body_done(struct MHD_Connection *c);

/* The request has ended (answered, or the connection is going): the
 * connection waits for its next request. */
void deadline_request_done(struct MHD_Connection *c);

#endif
