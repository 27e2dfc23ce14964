/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_export: the whole offline verifier on arbitrary bytes: the export
 * parser, the entry decoder, the checkpoint parser and signature checks,
 * the Merkle frontier and the report formatter. Invariants: no crash, no
 * leak, the result agrees with the return code, and the report fits.
 */
#include "fuzz_common.h"
#include "server/audit/audit_verify.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct note_vkey vk;
	static int ready;
	struct audit_export_mem mem = { data, size, 0 };
	struct audit_verify_result res;
	char line[AUDIT_VERIFY_LINE_BYTES];
	int rc;

	if (!ready) {
		uint8_t sk[NOTE_SK_BYTES];

		fuzz_key(&vk, sk);
		secmem_wipe(sk, sizeof(sk));
		ready = 1;
	}
	rc = audit_verify_export(&vk, audit_export_source_mem, &mem, NULL, 0,
	    &res);
	/* success and "no failure location" go together */
	if ((rc == 0) != (res.at == AUDIT_AT_NONE))
		abort();
	if (audit_verify_describe(line, sizeof(line), &res) != 0)
		abort();
	return 0;
}
