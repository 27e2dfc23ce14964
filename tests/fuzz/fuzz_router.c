/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_router: the route lookup and path parsing. Input: a method, a NUL,
 * then a URL. Checks invariants: a match yields ids that are 22 base64url
 * characters, and failures always carry a 404/405 problem.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/jsonin.h"
#include "server/api/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[1024], *url;
	struct req r;
	int rc;

	if (size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	url = memchr(buf, '\0', size + 1);
	url = (url == buf + size) ? buf + size : url + 1;
	memset(&r, 0, sizeof(r));
	rc = router_lookup(&r, buf, url);
	if (rc == 0) {
		if (r.route == NULL || r.nparams > REQ_MAX_PARAMS)
			abort();
		for (unsigned i = 0; i < r.nparams; i++)
			if (!jsonin_is_id(r.params[i]))
				abort();
	} else if ((rc != 404 && rc != 405) || r.status != rc ||
	    r.problem_type == NULL) {
		abort();
	}
	return 0;
}
