/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_body_case: the bodies of POST /cases, PATCH /cases/{id} and POST
 * /cases/{id}/assignments, through the validators the handlers call. An
 * accepted body holds only known members, each of its type and within its
 * cap; the serialized person is a bounded object equal to the one sent; a
 * rejected body leaves nothing allocated (ASan's leak check).
 */
#include "schema/store_case.h"
#include "fuzz_body.h"

static const char *const create_members[] = { "risk", "region",
    "household_size", "person", "notes", NULL };
static const char *const update_members[] = { "status", "risk", "region",
    "household_size", "person", "notes", NULL };

static void
check_case(const json_t *obj, int mode, const struct case_input *in)
{
	int create = mode == BODY_CREATE;

	fuzz_only(obj, create ? create_members : update_members);
	if (create && (!in->has_risk || !in->has_region || !in->has_person ||
	    in->has_status))
		abort();
	if (!create && !(in->has_status || in->has_risk || in->has_region ||
	    in->has_household || in->has_person || in->has_notes))
		abort();
	if (in->has_status)
		fuzz_enum(obj, "status", in->status, case_status_names);
	if (in->has_risk)
		fuzz_enum(obj, "risk", in->risk, case_risk_names);
	if (in->has_region) {
		fuzz_text(in->region, 1, MAX_REGION_BYTES, 0);
		fuzz_same(obj, "region", in->region);
	}
	if (in->household_size < 1 || in->household_size > MAX_HOUSEHOLD_SIZE ||
	    (in->has_household && json_integer_value(json_object_get(obj,
	    "household_size")) != in->household_size))
		abort();
	fuzz_text(in->notes, 0, MAX_NOTES_BYTES, 1);
	if (in->has_notes)
		fuzz_same(obj, "notes", in->notes);
	if (in->has_person)
		fuzz_freeform(obj, "person", in->person, in->person_len,
		    MAX_PERSON_BYTES);
	else if (in->person != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct case_input in;
	struct assign_input as;
	json_t *obj = fuzz_body_object(data, size);

	if (obj == NULL)
		return 0;
	for (int mode = BODY_CREATE; mode <= BODY_UPDATE; mode++) {
		if (route_case_body_parse(obj, mode, &in) == BODY_OK)
			check_case(obj, mode, &in);
		else if (in.person != NULL)
			abort();
		route_case_input_free(&in);
	}
	if (route_case_assign_body_parse(obj, &as) == BODY_OK) {
		static const char *const members[] = { "user_id", NULL };

		fuzz_only(obj, members);
		if (!jsonin_is_id(as.user_id))
			abort();
		fuzz_same(obj, "user_id", as.user_id);
	} else if (as.user_id != NULL) {
		abort();
	}
	json_decref(obj);
	return 0;
}
