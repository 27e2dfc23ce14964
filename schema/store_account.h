/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_account: the tables of accounts under coercion (0014_duress.sql,
 * 0015_lockout.sql):
 * duress verifiers, erased keys, the alerts coordinators see, the cases an
 * account waits to have re-sealed to it, and a user's own login history
 * read from the audit log's index columns. Prepared statements only;
 * nothing here holds a plaintext secret. Functions return a store_err.
 */
#ifndef CORRIDOR_STORE_ACCOUNT_H
#define CORRIDOR_STORE_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"

#define STORE_DURESS_BYTES	32u

/* The duress verifier of user_id into v; *have = 0 (v zeroed) if none. */
int store_account_duress_get(struct store *s, const char *user_id,
    uint8_t v[STORE_DURESS_BYTES], int *have);
/* Set (v) or clear (v NULL) user_id's duress verifier. */
int store_account_duress_set(struct store *s, const char *user_id,
    const uint8_t *v);

/* kind: "duress" or "panic". Marks the key erased (idempotent: the first
 * kind stays) and opens an alert with a fresh id. */
int store_account_erased_put(struct store *s, const char *user_id,
    const char *kind);
/* *yes = 1 if user_id's key pair may hold no wrap (erased, or reset and
 * not enrolled again). */
int store_account_erased(struct store *s, const char *user_id, int *yes);

/* Lock user_id out of logins (0015_lockout.sql) and open a 'lockout'
 * alert; an account locked already stays as it is (no second alert). */
int store_account_lock(struct store *s, const char *user_id);
/* *yes = 1 if user_id is locked out of logins. */
int store_account_locked(struct store *s, const char *user_id, int *yes);

/* A reset: the mark becomes 'reset' (no wraps until the account enrols
 * again), the duress verifier and the lockout go, and every open alert of
 * user_id is resolved. */
int store_account_reset(struct store *s, const char *user_id);
/* The account enrolled (a key pair of its own): a 'reset' mark goes. */
int store_account_enrolled(struct store *s, const char *user_id);

struct store_alert {
	char	 id[22 + 1];
	char	 user_id[22 + 1];
	char	 username[64 + 1];
	char	 kind[8];
	int64_t	 created_at;
};
/* Open alerts, newest first, at most max; cb returns 0 to go on. */
int store_account_alerts(struct store *s, unsigned max,
    int (*cb)(void *arg, const struct store_alert *a), void *arg);
/* Open alerts about anyone but except_id. */
int store_account_alert_count(struct store *s, const char *except_id,
    int64_t *n);

struct store_waiting {
	char	 user_id[22 + 1];
	char	 case_id[22 + 1];
	char	 codename[64 + 1];
};
/*
 * Cases assigned to user_id (NULL: to any enrolled account whose key is
 * not erased) that are live and hold no wrap for that assignee: what a
 * re-enrolled account waits for. Case id order, at most max.
 */
int store_account_waiting(struct store *s, const char *user_id, unsigned max,
    int (*cb)(void *arg, const struct store_waiting *w), void *arg);

struct store_login {
	int64_t	 time_ms;
	int	 action;	/* session.create or session.fail */
	int	 outcome;
};
/* user_id's logins and failed logins (audit entries on that user with
 * action a or b), newest first, at most max. */
int store_account_logins(struct store *s, const char *user_id, int a, int b,
    unsigned max, int (*cb)(void *arg, const struct store_login *l),
    void *arg);

#endif
