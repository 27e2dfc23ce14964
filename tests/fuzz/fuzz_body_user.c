/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_body_user: the account bodies, POST /users, POST /session, PUT
 * /me/password, POST /session/confirm and POST /me/totp/confirm, through
 * the validators the handlers call. An accepted body holds only known
 * members; a new username is 3..64 bytes of [A-Za-z0-9._-]; passwords are
 * within their caps and may hold any text; the role is one of the four
 * and never anonymous; a login's code, if any, is a TOTP code or a
 * recovery code; a TOTP proof is exactly 6 digits.
 */
#include "schema/store_user.h"
#include "server/core/twofactor.h"
#include "server/core/users.h"
#include "fuzz_body.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const user_members[] = { "username", "password",
	    "role", NULL };
	static const char *const login_members[] = { "username", "password",
	    "code", NULL };
	static const char *const code_members[] = { "code", "password",
	    NULL };
	static const char *const pw_members[] = { "old_password",
	    "new_password", NULL };
	static const char *const confirm_members[] = { "password", NULL };
	struct confirm_input cf;
	struct totp_confirm_input tc;
	struct user_input u;
	struct login_input l;
	struct password_input p;
	json_t *obj = fuzz_body_object(data, size);

	if (obj == NULL)
		return 0;
	if (route_user_body_parse(obj, &u) == BODY_OK) {
		fuzz_only(obj, user_members);
		fuzz_text(u.username, MIN_USERNAME_BYTES, MAX_USERNAME_BYTES, 0);
		fuzz_same(obj, "username", u.username);
		for (const char *c = u.username; *c != '\0'; c++)
			if (!((*c >= 'A' && *c <= 'Z') ||
			    (*c >= 'a' && *c <= 'z') ||
			    (*c >= '0' && *c <= '9') ||
			    *c == '.' || *c == '_' || *c == '-'))
				abort();
		fuzz_text(u.password, MIN_PASSWORD_BYTES, MAX_PASSWORD_BYTES, 1);
		fuzz_same(obj, "password", u.password);
		if (u.role == ROLE_NONE || strcmp(role_name(u.role),
		    json_string_value(json_object_get(obj, "role"))) != 0)
			abort();
	} else if (u.username != NULL || u.password != NULL) {
		abort();
	}
	if (route_session_body_parse(obj, &l) == BODY_OK) {
		fuzz_only(obj, login_members);
		fuzz_text(l.username, 1, MAX_USERNAME_BYTES, 0);
		fuzz_same(obj, "username", l.username);
		fuzz_text(l.password, 1, MAX_PASSWORD_BYTES, 1);
		fuzz_same(obj, "password", l.password);
		if (l.code != NULL) {
			fuzz_text(l.code, 1, MAX_TWOFACTOR_CODE_BYTES, 0);
			fuzz_same(obj, "code", l.code);
			if (!twofactor_code_wellformed(l.code))
				abort();
		} else if (json_object_get(obj, "code") != NULL) {
			abort();
		}
	} else if (l.username != NULL || l.password != NULL) {
		abort();
	}
	if (route_session_password_body_parse(obj, &p) == BODY_OK) {
		fuzz_only(obj, pw_members);
		fuzz_text(p.old_password, 1, MAX_PASSWORD_BYTES, 1);
		fuzz_same(obj, "old_password", p.old_password);
		fuzz_text(p.new_password, MIN_PASSWORD_BYTES,
		    MAX_PASSWORD_BYTES, 1);
		fuzz_same(obj, "new_password", p.new_password);
	} else if (p.old_password != NULL || p.new_password != NULL) {
		abort();
	}
	if (route_session_confirm_body_parse(obj, &cf) == BODY_OK) {
		fuzz_only(obj, confirm_members);
		fuzz_text(cf.password, 1, MAX_PASSWORD_BYTES, 1);
		fuzz_same(obj, "password", cf.password);
	} else if (cf.password != NULL) {
		abort();
	}
	if (route_twofactor_confirm_body_parse(obj, &tc) == BODY_OK) {
		fuzz_only(obj, code_members);
		fuzz_text(tc.code, 6, 6, 0);
		fuzz_same(obj, "code", tc.code);
		for (const char *c = tc.code; *c != '\0'; c++)
			if (*c < '0' || *c > '9')
				abort();
		fuzz_text(tc.password, 1, MAX_PASSWORD_BYTES, 1);
		fuzz_same(obj, "password", tc.password);
	} else if (tc.code != NULL || tc.password != NULL) {
		abort();
	}
	json_decref(obj);
	return 0;
}
