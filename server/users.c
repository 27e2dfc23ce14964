/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* users: account logic shared by routes and the command line. */
#include <string.h>

#include "crypto/secmem.h"
#include "crypto/token.h"
#include "crypto/userkey.h"
#include "schema/store.h"
#include "server/limits.h"
#include "server/req.h"
#include "server/users.h"

int
users_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n < MIN_USERNAME_BYTES || n > MAX_USERNAME_BYTES)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
users_new(struct user_row *u, const char *username, const char *pw,
    size_t pw_len, int role)
{
	uint8_t sk[USERKEY_SK_BYTES];
	int rc;

	memset(u, 0, sizeof(*u));
	if (strlen(username) >= sizeof(u->username))
		return -1;
	token_new_id(u->id);
	memcpy(u->username, username, strlen(username) + 1);
	u->role = role;
	u->status = role == ROLE_COORDINATOR ? USER_PENDING : USER_ACTIVE;
	u->created_at = store_now();
	userkey_generate(u->pk, sk);
	rc = userkey_seal(u->sk_sealed, u->id, pw, pw_len, sk);
	secmem_wipe(sk, sizeof(sk));
	return rc;
}

int
users_revoke_grants(struct req *r, const char *user_id)
{
	/* Case and evacuation grants arrive with the case-files module,
	 * which replaces this with their deletion and key rotation. Until
	 * then no such grants exist. */
	(void)r;
	(void)user_id;
	return 0;
}
