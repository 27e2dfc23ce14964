/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * deadline: the per-request deadline from accept, enforced by a reaper
 * thread that cuts connections whose headers or body drip (see
 * deadline.h for the states and why the fd is safe to shut down).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "server/http/deadline.h"
#include "server/limits.h"
#include "server/log/worker.h"

enum track_state {
	T_WAITING = 0,	/* no request line yet */
	T_REQUEST,	/* request line (or accept) seen, not all here */
	T_BUSY,		/* the whole request is here */
};

struct track {
	MHD_socket	 fd;
	enum track_state state;
	int		 later;		/* a keep-alive request, not the first */
	int		 cut;		/* shutdown already done */
	unsigned	 request_s;	/* this request's deadline, if not
					 * REQUEST_DEADLINE_S (an upload) */
	struct timespec	 since;		/* start of the current state's clock */
	struct track	*prev, *next;
};

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct track	*head;
	int		 running, stop;
	pthread_t	 thread;
} D = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0,
    0 };

static double
since_s(const struct timespec *t, const struct timespec *now)
{
	return (double)(now->tv_sec - t->tv_sec) +
	    (double)(now->tv_nsec - t->tv_nsec) / 1e9;
}

/* How long t may stay in its state, in seconds; 0: no limit. */
static double
allowed_s(const struct track *t)
{
	switch (t->state) {
	case T_WAITING:
		return t->later ? (double)CONN_IDLE_TIMEOUT_S :
		    (double)REQUEST_DEADLINE_S;
	case T_REQUEST:
		return (double)(t->request_s ? t->request_s :
		    REQUEST_DEADLINE_S);
	case T_BUSY:
		break;
	}
	return 0;
}

static void *
reaper_main(void *arg)
{
	struct timespec now, wake;
	struct track *t;

	(void)arg;
	pthread_mutex_lock(&D.mu);
	while (!D.stop) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (t = D.head; t != NULL; t = t->next) {
			double lim = allowed_s(t);

			if (lim > 0 && !t->cut && since_s(&t->since, &now) > lim) {
				/* libmicrohttpd reads EOF and closes it */
				(void)shutdown(t->fd, SHUT_RDWR);
				t->cut = 1;
			}
		}
		clock_gettime(CLOCK_REALTIME, &wake);
		wake.tv_nsec += (long)DEADLINE_TICK_MS * 1000000L;
		if (wake.tv_nsec >= 1000000000L) {
			wake.tv_sec++;
			wake.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&D.cv, &D.mu, &wake);
	}
	pthread_mutex_unlock(&D.mu);
	return NULL;
}

int
deadline_start(void)
{
	D.stop = 0;
	if (pthread_create(&D.thread, NULL, reaper_main, NULL) != 0)
		return -1;
	D.running = 1;
	return 0;
}

void
deadline_stop(void)
{
	if (!D.running)
		return;
	worker_stop(&D.mu, &D.cv, &D.stop, &D.thread, 1);
	D.running = 0;
}

static struct track *
track_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/* Move c's record to state s, its clock restarting now if restart. */
static void
set_state(struct MHD_Connection *c, enum track_state s, int restart,
    struct timespec *since)
{
	struct track *t = track_of(c);

	if (t == NULL)
		return;
	pthread_mutex_lock(&D.mu);
	t->state = s;
	if (restart)
		clock_gettime(CLOCK_MONOTONIC, &t->since);
	if (since != NULL)
		*since = t->since;
	pthread_mutex_unlock(&D.mu);
}

void
deadline_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	struct track *t;

	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci == NULL || (t = calloc(1, sizeof(*t))) == NULL)
			return;	/* untracked: only the idle timeout holds */
		t->fd = ci->connect_fd;
		t->state = T_WAITING;
		clock_gettime(CLOCK_MONOTONIC, &t->since);
		pthread_mutex_lock(&D.mu);
		if ((t->next = D.head) != NULL)
			D.head->prev = t;
		D.head = t;
		pthread_mutex_unlock(&D.mu);
		*socket_context = t;
		return;
	}
	/* closed: before libmicrohttpd closes the fd (see deadline.h) */
	if ((t = *socket_context) == NULL)
		return;
	pthread_mutex_lock(&D.mu);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		D.head = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&D.mu);
	free(t);
	*socket_context = NULL;
}

void *
deadline_request_line(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct track *t = track_of(c);

	(void)cls;
	(void)uri;
	/* the first request's clock runs from accept; a later one's from
	 * its request line */
	if (t != NULL)
		set_state(c, T_REQUEST, t->later, NULL);
	return NULL;
}

void
deadline_headers_done(struct MHD_Connection *c, struct timespec *start)
{
	if (track_of(c) == NULL) {
		clock_gettime(CLOCK_MONOTONIC, start);
		return;
	}
	set_state(c, T_REQUEST, 0, start);
}

void
deadline_allow(struct MHD_Connection *c, unsigned seconds)
{
	struct track *t = track_of(c);

	if (t == NULL)
		return;
	pthread_mutex_lock(&D.mu);
	t->request_s = seconds;
	pthread_mutex_unlock(&D.mu);
}

void
deadline_body_done(struct MHD_Connection *c)
{
	set_state(c, T_BUSY, 0, NULL);
}

void
deadline_request_done(struct MHD_Connection *c)
{
	struct track *t = track_of(c);

	if (t == NULL)
		return;
	pthread_mutex_lock(&D.mu);
	t->later = 1;
	t->request_s = 0;
	pthread_mutex_unlock(&D.mu);
	set_state(c, T_WAITING, 1, NULL);
}
