/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_body_evac: the bodies of POST /evacuations, PATCH
 * /evacuations/{id} and POST /evacuations/{id}/cases, through the
 * validators the handlers call. An accepted body holds only known members;
 * the stage is one of the stages; the serialized details are a bounded
 * object equal to the one sent; a rejected body leaves nothing allocated.
 */
#include "schema/store_evac.h"
#include "fuzz_body.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const members[] = { "stage", "details", NULL };
	static const char *const case_members[] = { "case_id", NULL };
	struct evac_input in;
	struct evac_case_input ec;
	json_t *obj = fuzz_body_object(data, size);

	if (obj == NULL)
		return 0;
	for (int mode = BODY_CREATE; mode <= BODY_UPDATE; mode++) {
		if (route_evac_body_parse(obj, mode, &in) == BODY_OK) {
			fuzz_only(obj, members);
			if (mode == BODY_CREATE && !in.has_details)
				abort();
			if (mode == BODY_UPDATE && !in.has_stage &&
			    !in.has_details)
				abort();
			if (in.has_stage)
				fuzz_enum(obj, "stage", in.stage,
				    evac_stage_names);
			else if (in.stage != 0)
				abort();
			if (in.has_details)
				fuzz_freeform(obj, "details", in.details,
				    in.details_len, MAX_DETAILS_BYTES);
			else if (in.details != NULL)
				abort();
		} else if (in.details != NULL) {
			abort();
		}
		route_evac_input_free(&in);
	}
	if (route_evac_case_body_parse(obj, &ec) == BODY_OK) {
		fuzz_only(obj, case_members);
		if (!jsonin_is_id(ec.case_id))
			abort();
		fuzz_same(obj, "case_id", ec.case_id);
	} else if (ec.case_id != NULL) {
		abort();
	}
	json_decref(obj);
	return 0;
}
