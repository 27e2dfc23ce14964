/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * httpc: one HTTP/1.1 POST over a plain socket, bounded in time and size
 * (httpc.h says why not libcurl). Non-blocking socket and poll(2) against
 * one deadline, so a witness that accepts and then stalls costs its
 * client thread total_s at most.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/http/httpc.h"
#include "server/limits.h"

#define HEAD_MAX_BYTES	4096u

int
httpc_url_parse(struct httpc_url *u, const char *url)
{
	const char *p, *host, *hend, *slash;
	size_t hl, pl;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "http://", 7) != 0)
		return -1;
	host = url + 7;
	slash = strchr(host, '/');
	hend = slash != NULL ? slash : host + strlen(host);
	if (memchr(host, '@', (size_t)(hend - host)) != NULL ||
	    strpbrk(url, "?# \t\r\n") != NULL)
		return -1;
	/* the port: after the last ':' not inside [..] */
	snprintf(u->port, sizeof(u->port), "80");
	p = hend;
	for (const char *c = hend; c > host; c--)
		if (c[-1] == ':' && memchr(c, ']', (size_t)(hend - c)) == NULL) {
			p = c - 1;
			break;
		} else if (c[-1] == ']')
			break;
	if (p != hend) {
		size_t n = (size_t)(hend - p - 1);

		if (n == 0 || n > 5)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (p[1 + i] < '0' || p[1 + i] > '9')
				return -1;
		memcpy(u->port, p + 1, n);
		u->port[n] = '\0';
		if (atoi(u->port) < 1 || atoi(u->port) > 65535)
			return -1;
	}
	hl = (size_t)(p - host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(u->host))
		return -1;
	memcpy(u->host, host, hl);
	pl = slash != NULL ? strlen(slash) : 0;
	while (pl > 0 && slash[pl - 1] == '/')
		pl--;
	if (pl >= sizeof(u->path))
		return -1;
	if (pl > 0)
		memcpy(u->path, slash, pl);
	return 0;
}

static long
ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms;
}

static int
wait_fd(int fd, short ev, const struct timespec *deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r;

	do
		r = poll(&p, 1, (int)ms_left(deadline));
	while (r == -1 && errno == EINTR);
	return r == 1 ? 0 : -1;
}

static int
connect_to(const struct httpc_url *u, const struct timespec *cdl)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, err;
	socklen_t el = sizeof(err);

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(u->host, u->port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(fd, POLLOUT, cdl) == 0 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 &&
		    err == 0))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int
send_all(int fd, const char *p, size_t len, const struct timespec *dl)
{
	ssize_t w;

	while (len > 0) {
		w = send(fd, p, len, MSG_NOSIGNAL);
		if (w == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, dl) != 0)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Parse the status line and the two headers we use. 0 or -1. */
static int
parse_head(const char *h, size_t len, struct httpc_response *resp,
    long *clen)
{
	const char *line, *end, *stop = h + len;

	*clen = -1;
	if (len < 12 || memcmp(h, "HTTP/1.", 7) != 0 || h[8] != ' ' ||
	    h[9] < '1' || h[9] > '5' || h[10] < '0' || h[10] > '9' ||
	    h[11] < '0' || h[11] > '9')
		return -1;
	resp->status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + h[11] - '0';
	resp->ctype[0] = '\0';
	for (line = memchr(h, '\n', len); line != NULL && line + 1 < stop;
	    line = end) {
		size_t ll;

		line++;
		if ((end = memchr(line, '\n', (size_t)(stop - line))) == NULL)
			break;
		ll = (size_t)(end - line);
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll > 13 && strncasecmp(line, "Content-Type:", 13) == 0) {
			const char *v = line + 13;
			size_t vl = ll - 13;

			while (vl > 0 && *v == ' ') {
				v++;
				vl--;
			}
			if (vl >= sizeof(resp->ctype))
				vl = sizeof(resp->ctype) - 1;
			memcpy(resp->ctype, v, vl);
			resp->ctype[vl] = '\0';
		} else if (ll > 15 &&
		    strncasecmp(line, "Content-Length:", 15) == 0) {
			char num[21];
			size_t vl = ll - 15, k = 0;
			const char *v = line + 15;

			while (vl > 0 && *v == ' ') {
				v++;
				vl--;
			}
			if (vl == 0 || vl >= sizeof(num) || *clen != -1)
				return -1;	/* none, huge, or twice */
			for (; k < vl; k++) {
				if (v[k] < '0' || v[k] > '9')
					return -1;
				num[k] = v[k];
			}
			num[k] = '\0';
			*clen = strtol(num, NULL, 10);
		} else if (ll > 18 &&
		    strncasecmp(line, "Transfer-Encoding:", 18) == 0)
			return -1;
	}
	return 0;
}

int
httpc_post(const struct httpc_url *u, const char *suffix,
    const char *ctype, const void *body, size_t len,
    struct httpc_response *resp, size_t body_max, unsigned connect_s,
    unsigned total_s)
{
	struct timespec cdl, dl;
	char head[HEAD_MAX_BYTES + 1], *buf = NULL, *sep;
	size_t have = 0, cap = HEAD_MAX_BYTES + body_max, hl;
	long clen;
	ssize_t r;
	int fd, n, rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	cdl = dl;
	cdl.tv_sec += connect_s;
	dl.tv_sec += total_s;
	n = snprintf(head, sizeof(head), "POST %s%s HTTP/1.1\r\nHost: %s:%s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n"
	    "User-Agent: corridor\r\n\r\n", u->path, suffix, u->host, u->port,
	    ctype, len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	if ((fd = connect_to(u, &cdl)) == -1)
		return -1;
	if (send_all(fd, head, (size_t)n, &dl) != 0 ||
	    send_all(fd, body, len, &dl) != 0 || (buf = malloc(cap)) == NULL)
		goto done;
	for (;;) {
		if (have == cap)
			goto done;	/* longer than we accept */
		r = recv(fd, buf + have, cap - have, 0);
		if (r == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLIN, &dl) != 0)
				goto done;
			continue;
		}
		if (r < 0)
			goto done;
		if (r == 0)
			break;
		have += (size_t)r;
	}
	/* the head ends at the first empty line */
	for (sep = buf; sep + 3 < buf + have; sep++)
		if (memcmp(sep, "\r\n\r\n", 4) == 0)
			break;
	if (sep + 3 >= buf + have)
		goto done;
	hl = (size_t)(sep - buf) + 4;
	if (hl > HEAD_MAX_BYTES || parse_head(buf, hl, resp, &clen) != 0)
		goto done;
	if (clen >= 0 && (size_t)clen != have - hl)
		goto done;	/* cut short, or trailing bytes */
	if (have - hl > body_max)
		goto done;
	memcpy(resp->body, buf + hl, have - hl);
	resp->body_len = have - hl;
	rc = 0;
done:
	free(buf);
	close(fd);
	return rc;
}
