/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * diskspace: the disk reserve (issue 18). The audit log refuses DELETE,
 * and a full disk turns every fail-closed write into a refusal, so the
 * last DISK_RESERVE_BYTES of the data directory's file system are kept
 * for signed-in, audited work: below it, unauthenticated requests other
 * than logins are refused (503 low-disk) and failed logins are counted in
 * the anonymous summaries instead of one entry each (server/api/router.c).
 * The free space is read with statvfs(2) at most once a second.
 */
#ifndef CORRIDOR_DISKSPACE_H
#define CORRIDOR_DISKSPACE_H

#include <stdint.h>

/* Watch the file system of dir (copied), keeping reserve_bytes. 0 or -1
 * (dir cannot be statvfs'd). */
int diskspace_init(const char *dir, uint64_t reserve_bytes)
    __attribute__((warn_unused_result));

/* 1 if the free space (for an unprivileged writer) is below the reserve,
 * else 0. Before diskspace_init, or if statvfs fails, 0 (the writes
 * themselves still fail closed). */
int diskspace_low(void);

/* The last reading: free bytes and the reserve. */
void diskspace_get(uint64_t *free_bytes, uint64_t *reserve_bytes);

#endif
