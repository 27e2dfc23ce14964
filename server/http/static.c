/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * static: serving the UI's embedded files (see static.h). The bytes are
 * web/embed.py's arrays, handed to libmicrohttpd as they are; the
 * response headers, caching among them, are http.c's, in one place.
 */
#include <string.h>

#include "server/http/static.h"

#define ASSETS_PREFIX	"/assets/"

int
static_claims(const char *url)
{
	return strncmp(url, "/api/v1/", 8) != 0;
}

/* The embedded file that url names, or NULL. */
static const struct static_file *
lookup(const char *url, int *immutable)
{
	size_t hash_len = strlen(static_hash);
	const char *p;

	*immutable = 0;
	if (strcmp(url, "/") == 0)
		return &static_index;
	if (strncmp(url, ASSETS_PREFIX, strlen(ASSETS_PREFIX)) != 0)
		return NULL;
	p = url + strlen(ASSETS_PREFIX);
	/* an old page asking for an old build's asset gets a 404, never
	 * today's bytes under yesterday's name */
	if (strncmp(p, static_hash, hash_len) != 0 || p[hash_len] != '/')
		return NULL;
	p += hash_len + 1;
	for (unsigned i = 0; i < static_assets_count; i++)
		if (strcmp(p, static_assets[i].path) == 0) {
			*immutable = 1;
			return &static_assets[i];
		}
	return NULL;
}

void
static_serve(struct req *r, const char *method, const char *url)
{
	const struct static_file *f;
	int immutable;

	r->status = 0;
	if ((f = lookup(url, &immutable)) == NULL) {
		req_problem(r, 404, "not-found", "No such resource.");
		return;
	}
	r->log_route = immutable ? "/assets/{hash}/{path}" : "/";
	/* libmicrohttpd answers HEAD with the headers of the GET */
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		req_problem(r, 405, "method-not-allowed",
		    "This method is not allowed on this resource.");
		return;
	}
	if (r->body_len > 0) {
		req_problem(r, 400, "unexpected-body",
		    "This resource does not take a request body.");
		return;
	}
	req_static(r, f->type, f->data, f->len, immutable);
}
