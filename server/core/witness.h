/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * witness: the state and the decisions of `corridor witness serve`, a
 * C2SP tlog-witness that a partner organisation runs for the corridor
 * logs it follows. It holds its own Ed25519 key (a tlog-cosignature v1
 * key), and per log origin the latest checkpoint it cosigned. It cosigns
 * a new checkpoint only if the log's pinned key signed it and it extends
 * that checkpoint by a valid RFC 6962 consistency proof; so it never
 * cosigns two views of one log that contradict each other, nor a smaller
 * tree after a larger one, across restarts and crashes too.
 *
 * Files in the witness directory:
 *   witness-key   the 32-byte Ed25519 seed, mode 0600, created O_EXCL
 *   witness.pub   "<name>+<key id>+<base64(0x04 || public key)>\n"
 *   state/<h>     the latest cosigned checkpoint note of one origin, as
 *                 the log sent it (h: hex SHA-256(0x00 || origin)); written
 *                 to a temporary file, fsynced, renamed over the old one,
 *                 and the directory fsynced, BEFORE the cosignature leaves.
 *
 * WARNING: the whole check-and-persist of one request runs under one
 * mutex (the spec's race between two requests of one log, which could
 * otherwise roll the stored size back).
 *
 * Test hook: when the environment names a file in
 * CORRIDOR_TEST_WITNESS_STALL, a request that passed every check creates
 * that file and waits WITNESS_TEST_STALL_S before persisting, so a test
 * can kill the process between receiving and persisting. Documented in
 * docs/testing.md; it only ever delays.
 */
#ifndef CORRIDOR_WITNESS_H
#define CORRIDOR_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/note.h"

struct witness;

/* Create DIR (mode 0700, must not exist or be empty), a fresh key named
 * name, its witness.pub and state/. Writes the public key line (with a
 * NUL) into vkey (vkey_max bytes, NOTE_VKEY_MAX_BYTES suffices).
 * 0, or -1 with nothing usable left behind. */
int witness_init_dir(const char *dir, const char *name, char *vkey,
    size_t vkey_max);

/* Open DIR to serve the logs whose verifier keys are logs[0..nlogs) (a
 * log with several keys, during a rotation, appears once per key), loading
 * each origin's state. NULL on any error (a missing or unreadable key, a
 * state file that does not parse). Free with witness_close. */
struct witness *witness_open(const char *dir, const struct note_vkey *logs,
    size_t nlogs);
void witness_close(struct witness *w);

/* The witness's own verifier key. */
void witness_vkey(const struct witness *w, struct note_vkey *vk);

/*
 * Handle one add-checkpoint request body (len bytes). Writes the response
 * body into out (out_max >= WITNESS_RESPONSE_MAX_BYTES, no NUL; length in
 * *out_len) and its content type into *ctype (a static string). Returns
 * the HTTP status: 200 (one cosignature line), 400 (malformed, old size
 * above the checkpoint's), 403 (no trusted signature), 404 (unknown
 * origin), 409 (old size is not ours: body "<our size>\n",
 * text/x.tlog.size; or same size, other root), 422 (the proof does not
 * verify), 500 (cannot persist: nothing is cosigned).
 */
int witness_add_checkpoint(struct witness *w, const char *body, size_t len,
    char *out, size_t out_max, size_t *out_len, const char **ctype);

#define WITNESS_RESPONSE_MAX_BYTES	512u

#endif
