/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_body: the request-body validators of each resource, as pure
 * functions of the parsed JSON object. They see no request, no session, no
 * database and no clock (the caller passes "now"), so the fuzz targets
 * (tests/fuzz/fuzz_body_*.c) run exactly the code the handlers run. Each
 * handler calls its validator and touches nothing until it answers
 * BODY_OK. The functions live in their resource's route_<resource>.c.
 *
 * Strings in an input struct point into the JSON object: they live as long
 * as it does. Serialized free-form objects (person, details) are malloc'd
 * and are case content: release them with the matching _input_free, which
 * wipes them. Every validator leaves its input struct safe to free, on
 * failure too.
 */
#ifndef CORRIDOR_ROUTE_BODY_H
#define CORRIDOR_ROUTE_BODY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum body_err {
	BODY_OK = 0,
	BODY_EINVALID = -1,	/* 422 invalid-body: shape, type, range */
	BODY_ETIME = -2,	/* 422 invalid-time: a contact's "at" */
};

/* Modes of the validators that serve both a POST and a PATCH. */
#define BODY_CREATE	0	/* required members required, defaults set */
#define BODY_UPDATE	1	/* at least one member; all optional */

/* POST /cases, PATCH /cases/{id}. status is never accepted on create. */
struct case_input {
	int		 has_status, has_risk, has_region, has_household;
	int		 has_person, has_notes;
	int		 status;	/* index in case_status_names */
	int		 risk;		/* index in case_risk_names */
	const char	*region;	/* 1..MAX_REGION_BYTES, no control chars */
	int64_t		 household_size;	/* 1..MAX_HOUSEHOLD_SIZE */
	const char	*notes;		/* 0..MAX_NOTES_BYTES; "" on create */
	char		*person;	/* serialized object, malloc'd */
	size_t		 person_len;
};
int route_case_body_parse(const json_t *obj, int mode, struct case_input *in)
    __attribute__((warn_unused_result));
void route_case_input_free(struct case_input *in);

/* POST /cases/lookup: exactly one of {"phone"} (1..MAX_LOOKUP_PHONE_BYTES)
 * and {"name"} (1..MAX_LOOKUP_NAME_BYTES), no control characters. Whether
 * the term normalises is the handler's question (422 invalid-term). */
struct lookup_input {
	const char	*phone;		/* or NULL */
	const char	*name;		/* or NULL */
};
int route_lookup_body_parse(const json_t *obj, struct lookup_input *in)
    __attribute__((warn_unused_result));

/* POST /cases/{id}/assignments: {"user_id"}, a well-formed id. */
struct assign_input {
	const char	*user_id;
};
int route_case_assign_body_parse(const json_t *obj, struct assign_input *in)
    __attribute__((warn_unused_result));

/*
 * POST /cases/{id}/contacts. "at" is an RFC 3339 time from 1970 on and at
 * most MAX_CONTACT_FUTURE_S after now (else BODY_ETIME); without it,
 * has_at is 0 and the caller stamps the time.
 */
struct contact_input {
	const char	*channel;	/* 1..MAX_CHANNEL_BYTES, no control chars */
	const char	*summary;	/* 1..MAX_SUMMARY_BYTES */
	const char	*next_steps;	/* NULL, or 0..MAX_NEXT_STEPS_BYTES */
	int		 has_at;
	int64_t		 at;		/* Unix seconds, UTC */
};
int route_contact_body_parse(const json_t *obj, int64_t now,
    struct contact_input *in) __attribute__((warn_unused_result));

/* POST /evacuations (details required), PATCH /evacuations/{id}. */
struct evac_input {
	int		 has_stage, has_details;
	int		 stage;		/* index in evac_stage_names; 0 default */
	char		*details;	/* serialized object, malloc'd */
	size_t		 details_len;
};
int route_evac_body_parse(const json_t *obj, int mode, struct evac_input *in)
    __attribute__((warn_unused_result));
void route_evac_input_free(struct evac_input *in);

/* POST /evacuations/{id}/cases: {"case_id"}, a well-formed id. */
struct evac_case_input {
	const char	*case_id;
};
int route_evac_case_body_parse(const json_t *obj, struct evac_case_input *in)
    __attribute__((warn_unused_result));

/* POST /users. */
struct user_input {
	const char	*username;	/* users_name_ok */
	const char	*password;	/* MIN..MAX_PASSWORD_BYTES */
	int		 role;		/* enum role, never ROLE_NONE */
};
int route_user_body_parse(const json_t *obj, struct user_input *in)
    __attribute__((warn_unused_result));

/* POST /session. */
struct login_input {
	const char	*username;	/* 1..MAX_USERNAME_BYTES */
	const char	*password;	/* 1..MAX_PASSWORD_BYTES */
	const char	*client;	/* optional client label, NULL or
					 * 1..MAX_CLIENT_LABEL_BYTES, no
					 * control characters */
	const char	*code;		/* NULL, or a well-formed second
					 * factor: 6 digits or a recovery
					 * code (twofactor_code_wellformed) */
};
int route_session_body_parse(const json_t *obj, struct login_input *in)
    __attribute__((warn_unused_result));

/* PUT /me/password. */
struct password_input {
	const char	*old_password;	/* 1..MAX_PASSWORD_BYTES */
	const char	*new_password;	/* MIN..MAX_PASSWORD_BYTES */
};
int route_session_password_body_parse(const json_t *obj,
    struct password_input *in) __attribute__((warn_unused_result));

/* POST /session/confirm. */
struct confirm_input {
	const char	*password;	/* 1..MAX_PASSWORD_BYTES */
};
int route_session_confirm_body_parse(const json_t *obj,
    struct confirm_input *in) __attribute__((warn_unused_result));

/* POST /me/totp/confirm: {"code", "password"}: exactly 6 digits and the
 * current password (1..MAX_PASSWORD_BYTES). */
struct totp_confirm_input {
	const char	*code;
	const char	*password;
};
int route_twofactor_confirm_body_parse(const json_t *obj,
    struct totp_confirm_input *in) __attribute__((warn_unused_result));

#endif
