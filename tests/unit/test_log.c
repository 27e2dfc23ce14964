/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_log: the logger writes one whole line per call with its level's
 * prefix, turns every control byte into '?' (a message cannot forge a
 * second line), and cuts an over-long line at LOG_LINE_BYTES with its
 * newline kept.
 */
#include <string.h>
#include <unistd.h>

#include "server/log/log.h"
#include "testutil.h"

/* Run one log_line with stderr sent to a pipe; out gets what was written. */
static size_t
capture(char *out, size_t out_len, enum log_level lv, const char *msg)
{
	int fds[2], saved;
	ssize_t n;

	if (pipe(fds) != 0 || (saved = dup(STDERR_FILENO)) < 0)
		return 0;
	dup2(fds[1], STDERR_FILENO);
	log_line(lv, "%s", msg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, out_len - 1);
	close(fds[0]);
	if (n < 0)
		n = 0;
	out[n] = '\0';
	return (size_t)n;
}

int
main(void)
{
	char buf[2 * LOG_LINE_BYTES], big[2 * LOG_LINE_BYTES];
	size_t n;

	capture(buf, sizeof(buf), LOG_INFO, "req=abc status=200");
	check(strcmp(buf, "corridor: req=abc status=200\n") == 0);
	capture(buf, sizeof(buf), LOG_WARN, "retrying");
	check(strcmp(buf, "corridor: warning: retrying\n") == 0);
	capture(buf, sizeof(buf), LOG_ERROR, "stopping");
	check(strcmp(buf, "corridor: error: stopping\n") == 0);

	/* a newline, an escape sequence and DEL cannot reach the log */
	capture(buf, sizeof(buf), LOG_INFO,
	    "a\ncorridor: forged\r\x1b[2J\x7f");
	check(strcmp(buf, "corridor: a?corridor: forged??[2J?\n") == 0);

	/* a line longer than the cap is cut, newline kept, one line */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = capture(buf, sizeof(buf), LOG_INFO, big);
	check(n == LOG_LINE_BYTES - 1);
	check(buf[n - 1] == '\n');
	check(memchr(buf, '\n', n - 1) == NULL);
	return test_done("test_log");
}
