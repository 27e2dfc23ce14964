/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * lockout: the run of wrong second-factor codes each account has given
 * after the right password (issue 14, review M1). At
 * TWOFACTOR_LOCKOUT_FAILURES in a row the login route locks the account
 * (schema/store_account.h, store_account_lock) until a reset.
 *
 * The runs are counted in memory, not in the store: a write for every
 * wrong code would make a right password with a wrong code slower than a
 * wrong password (review L1), a timing oracle that the password is
 * right. Only the lock itself is written, once, by the failure that
 * reaches the cap.
 *
 * WARNING: a restart forgets the runs (the lock stays). Someone who can
 * restart the server at will could try TWOFACTOR_LOCKOUT_FAILURES - 1
 * codes per restart; docs/threat-model.md says so.
 */
#ifndef CORRIDOR_LOCKOUT_H
#define CORRIDOR_LOCKOUT_H

/* One more wrong code for user_id; returns the run's length now (1..).
 * Thread-safe. */
unsigned lockout_fail(const char *user_id);
/* A right code (or a reset): user_id's run is over. Thread-safe. */
void lockout_clear(const char *user_id);

#endif
