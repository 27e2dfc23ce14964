/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_entry: the strict entry decoder. Invariant: the encoding is
 * canonical, so anything that decodes re-encodes to exactly the same
 * bytes (two encodings of one entry would give two leaf hashes).
 */
#include "fuzz_common.h"
#include "server/audit/audit_entry.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_entry e;
	uint8_t out[AUDIT_ENTRY_MAX];
	size_t len = 0;

	if (audit_entry_decode(&e, data, size) != 0)
		return 0;
	if (audit_entry_encode(out, sizeof(out), &len, &e) != 0 ||
	    len != size || memcmp(out, data, size) != 0)
		abort();
	return 0;
}
