/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_body_contact: the body of POST /cases/{id}/contacts, through the
 * validator the handler calls, including the RFC 3339 "at" parser. An
 * accepted body holds only known members within their caps, and its time
 * lies between 1970 and now + MAX_CONTACT_FUTURE_S. The time also
 * round-trips: the server's own rendering of it (rfc3339_format, what
 * the API returns) parses back to the same second.
 */
#include <stdio.h>

#include "server/http/req.h"
#include "server/http/rfc3339.h"
#include "fuzz_body.h"

/* A fixed "now", so that runs are reproducible: 2024-06-01T00:00:00Z. */
#define FUZZ_NOW	1717200000

static void
round_trip(int64_t at)
{
	struct contact_input in;
	char when[21];
	json_t *o;

	rfc3339_format(when, at);
	o = json_pack("{s:s, s:s, s:s}", "channel", "c", "summary", "s",
	    "at", when);
	if (o == NULL)
		abort();
	if (route_contact_body_parse(o, FUZZ_NOW, &in) != BODY_OK ||
	    !in.has_at || in.at != at) {
		fprintf(stderr, "round trip: %lld -> %s -> %lld\n",
		    (long long)at, when, (long long)in.at);
		abort();
	}
	json_decref(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const members[] = { "channel", "summary",
	    "next_steps", "at", NULL };
	struct contact_input in;
	json_t *obj = fuzz_body_object(data, size), *ns;
	int rc;

	if (obj == NULL)
		return 0;
	rc = route_contact_body_parse(obj, FUZZ_NOW, &in);
	if (rc == BODY_OK) {
		fuzz_only(obj, members);
		fuzz_text(in.channel, 1, MAX_CHANNEL_BYTES, 0);
		fuzz_same(obj, "channel", in.channel);
		fuzz_text(in.summary, 1, MAX_SUMMARY_BYTES, 1);
		fuzz_same(obj, "summary", in.summary);
		ns = json_object_get(obj, "next_steps");
		if (ns == NULL || json_is_null(ns)) {
			if (in.next_steps != NULL)
				abort();
		} else {
			fuzz_text(in.next_steps, 0, MAX_NEXT_STEPS_BYTES, 1);
			fuzz_same(obj, "next_steps", in.next_steps);
		}
		if (in.has_at != (json_object_get(obj, "at") != NULL))
			abort();
		if (in.has_at) {
			if (in.at < 0 || in.at > FUZZ_NOW + MAX_CONTACT_FUTURE_S)
				abort();
			round_trip(in.at);
		}
	} else if (rc != BODY_EINVALID && rc != BODY_ETIME) {
		abort();
	}
	json_decref(obj);
	return 0;
}
