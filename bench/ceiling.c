/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * ceiling: the HTTP ceiling for the benchmarks. A minimal libmicrohttpd
 * server with the same daemon flags, thread pool and connection limits as
 * corridor (server/http/http.c, server/limits.h) that answers every request with
 * one static JSON body through a two-phase handler: the first callback only
 * records that the request started, the second queues the answer, so
 * keep-alive connections stay open (DESIGN.md: answering on the first
 * callback makes libmicrohttpd close the connection). Whatever corridor
 * spends on top of this is routing, sessions, SQLCipher and the audit log
 * (and, for audited routes, the hand-off to a dispatch thread: the ceiling
 * allows suspend/resume like corridor but never suspends).
 *
 * usage: ceiling [PORT]   (0 or none: an ephemeral port)
 * Prints "listening on http://127.0.0.1:PORT" on stderr, as corridor does,
 * and serves until SIGINT or SIGTERM. Binds 127.0.0.1 only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "server/limits.h"

/* About the size of GET /health's answer: {"status":"ok"}. */
static const char BODY[] = "{\"status\":\"ok\"}";

static struct MHD_Response *resp_;
static int first_call_;		/* marker stored in *con_cls */

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		*con_cls = &first_call_;	/* phase one: headers only */
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;		/* discard any body */
		return MHD_YES;
	}
	return MHD_queue_response(c, MHD_HTTP_OK, resp_);
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sa;
	unsigned long port = 0;
	sigset_t sigs;
	int sig;

	if (argc > 2 || (argc == 2 && (port = strtoul(argv[1], NULL, 10)) >
	    65535)) {
		fprintf(stderr, "usage: ceiling [PORT]\n");
		return 2;
	}
	resp_ = MHD_create_response_from_buffer(sizeof(BODY) - 1,
	    (void *)(uintptr_t)BODY, MHD_RESPMEM_PERSISTENT);
	if (resp_ == NULL)
		return 1;
	MHD_add_response_header(resp_, "Content-Type", "application/json");

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* the same flags and options as http_start() in server/http/http.c */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME,
	    (uint16_t)port, NULL, NULL,
	    on_request, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_WORKER_THREADS,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)MAX_CONNECTIONS_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_IDLE_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MAX_CONN_MEMORY_BYTES,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "ceiling: cannot listen\n");
		MHD_destroy_response(resp_);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	fprintf(stderr, "ceiling: listening on http://127.0.0.1:%u\n",
	    info ? (unsigned)info->port : (unsigned)port);
	for (;;) {
		if (sigwait(&sigs, &sig) == 0 && (sig == SIGINT ||
		    sig == SIGTERM))
			break;
	}
	MHD_stop_daemon(d);
	MHD_destroy_response(resp_);
	return 0;
}
