/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * throttle: login failure backoff per account and per client address, and
 * the gate that caps concurrent Argon2id runs. Keys are hashed with a
 * per-process key, so the table holds no usernames or addresses.
 */
#ifndef CORRIDOR_THROTTLE_H
#define CORRIDOR_THROTTLE_H

int throttle_init(void) __attribute__((warn_unused_result));
void throttle_shutdown(void);

/* 0: may try now. -1: throttled, *retry_after_s set. */
int throttle_check(const char *username, const char *ip,
    unsigned *retry_after_s);
void throttle_fail(const char *username, const char *ip);
void throttle_success(const char *username, const char *ip);

/*
 * Argon2 gate: at most MAX_CONCURRENT_ARGON2 runs at once, at most
 * MAX_ARGON2_QUEUE waiting. gate_enter: 0 entered (call gate_leave),
 * -1 the queue is full (answer 503).
 */
int gate_enter(void) __attribute__((warn_unused_result));
void gate_leave(void);

#endif
