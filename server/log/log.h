/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * log: the server's one way to stderr. One line an event, written whole
 * by a single write(2) so that threads never interleave, as
 * "corridor: [warning: |error: ]<message>". Messages carry levels, ids,
 * counts and error numbers only: never a name, a body, a key, a token, a
 * path as sent or any case content. As a last guard every control byte in
 * a line becomes '?', so nothing that slipped in can forge a line.
 *
 * It sits below every other layer (crypto, schema, audit and server may
 * all call it) and depends on nothing of corridor's.
 */
#ifndef CORRIDOR_LOG_H
#define CORRIDOR_LOG_H

enum log_level {
	LOG_ERROR,	/* the process is about to stop, or data is at risk */
	LOG_WARN,	/* degraded but serving: a retry, a missing privilege */
	LOG_INFO,	/* start-up, shutdown, one line per request */
};

/* Longest line, prefix and newline included; longer ones are cut. */
#define LOG_LINE_BYTES	512u

void log_line(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
