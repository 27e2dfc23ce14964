/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* problem: error bodies with fixed titles and our own detail sentences. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/http/problem.h"

const char *
problem_title(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	}
	return "Error";
}

char *
problem_body(int status, const char *type, const char *detail, size_t *len)
{
	char t[96];
	json_t *o;
	char *s;
	int n;

	n = snprintf(t, sizeof(t), "%s%s", PROBLEM_TYPE_PREFIX,
	    type ? type : "error");
	if (n < 0 || (size_t)n >= sizeof(t))
		return NULL;
	o = json_pack("{s:s, s:s, s:i, s:s}", "type", t,
	    "title", problem_title(status), "status", status,
	    "detail", detail ? detail : problem_title(status));
	if (o == NULL)
		return NULL;
	/* json_dumpb into our own malloc buffer: json_dumps would return
	 * memory from the wiping allocator, which free() must not touch */
	n = (int)json_dumpb(o, NULL, 0, JSON_COMPACT);
	if (n <= 0 || (s = malloc((size_t)n + 1)) == NULL) {
		json_decref(o);
		return NULL;
	}
	*len = json_dumpb(o, s, (size_t)n, JSON_COMPACT);
	s[*len] = '\0';
	json_decref(o);
	return s;
}
