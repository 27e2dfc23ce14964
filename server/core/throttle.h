/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * throttle: login failure backoff per account and per client address. Keys
 * are hashed with a per-process key, so the table holds no usernames or
 * addresses. The cap on concurrent Argon2id runs is the kdfpool's
 * (server/kdfpool.h).
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

#endif
