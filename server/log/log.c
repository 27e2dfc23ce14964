/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * log: one line an event on stderr, levels and ids only (see log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server/log/log.h"

static const char *const prefix[] = {
	[LOG_ERROR] = "corridor: error: ",
	[LOG_WARN] = "corridor: warning: ",
	[LOG_INFO] = "corridor: ",
};

void
log_line(enum log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_BYTES];
	size_t n, p;
	va_list ap;
	int m;

	if ((unsigned)level > LOG_INFO)
		level = LOG_ERROR;
	p = strlen(prefix[level]);
	memcpy(line, prefix[level], p);
	va_start(ap, fmt);
	m = vsnprintf(line + p, sizeof(line) - p - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n = p + ((size_t)m < sizeof(line) - p - 1 ? (size_t)m :
	    sizeof(line) - p - 2);
	for (size_t i = p; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[n++] = '\n';
	/* one write: a line from another thread never lands inside it; a
	 * short or failed write to stderr has nowhere better to be reported */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
