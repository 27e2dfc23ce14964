/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cosign: the server's side of witnessing (`corridor serve --witness
 * URL,KEYFILE`). One background thread per witness watches the latest
 * signed checkpoint; when it changes, the thread sends it with the RFC
 * 6962 consistency proof from the size the witness last cosigned (C2SP
 * tlog-witness add-checkpoint), verifies the cosignature that comes back
 * against the pinned witness key, and keeps it. GET /audit/checkpoint
 * then serves the latest checkpoint with every cosignature held over
 * exactly that checkpoint, and GET /audit/witnesses the state and lag of
 * each witness.
 *
 * Requests never wait for a witness: the threads hold only their own
 * short mutex while publishing, never a lock or connection a request
 * needs for longer than one proof read. A witness that is down, slow or
 * refusing costs cosignatures and shows as lag, never a failed read.
 *
 * A witness that refuses (422: the proof does not extend what it
 * cosigned; 409 on the same size with another root; or it holds a larger
 * tree than this log) has seen a history this log does not extend: a
 * rollback or a fork. That is logged as an error and shown to auditors as
 * state "refused" until a checkpoint is cosigned again.
 */
#ifndef CORRIDOR_COSIGN_H
#define CORRIDOR_COSIGN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "crypto/note.h"
#include "server/http/httpc.h"

struct cosign_witness {
	char			url[HTTPC_HOST_MAX_BYTES + HTTPC_PATH_MAX_BYTES + 16];
	struct httpc_url	u;
	struct note_vkey	vk;	/* NOTE_ALG_COSIG_V1 */
};

/* Read a verifier key line (one trailing newline allowed) of type alg
 * from path: NOTE_ALG_COSIG_V1 for a witness.pub, NOTE_ALG_ED25519 for a
 * log's audit key. 0 or -1. */
int cosign_read_vkey(struct note_vkey *vk, const char *path, uint8_t alg);

/* Parse "URL,KEYFILE": the witness's http:// submission prefix and a file
 * holding its verifier key line (witness.pub). 0 or -1. */
int cosign_parse_arg(struct cosign_witness *w, const char *arg);

/* Start one thread per witness (n <= MAX_WITNESSES; n == 0 is a no-op).
 * Call after the pool is open and the audit log is serving checkpoints.
 * 0 or -1. */
int cosign_start(const struct cosign_witness *w, size_t n)
    __attribute__((warn_unused_result));

/* Stop and join the threads (an exchange under way ends at its deadline,
 * WITNESS_EXCHANGE_TIMEOUT_S at most). Safe when never started. */
void cosign_stop(void);

/* Append to the signed note (note_len bytes in note, note_max bytes
 * room) the cosignature lines held over exactly its text. Lines that do
 * not fit or would pass NOTE_MAX_SIGS are left out. Never fails. */
void cosign_decorate(char *note, size_t note_max, size_t *note_len);

/* The witnesses' state for auditors: a JSON array, one object per
 * witness (name, vkey, state, cosigned_size, lag_entries, lag_seconds,
 * last_cosigned_at, last_status, detail). New reference, NULL on OOM. */
json_t *cosign_status_json(uint64_t latest_size);

#endif
