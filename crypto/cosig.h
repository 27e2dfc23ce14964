/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cosig: witness cosignatures (C2SP tlog-cosignature, Ed25519 type 0x04)
 * over corridor checkpoints, and the body of the tlog-witness
 * add-checkpoint request that asks for one (c2sp.org/tlog-witness).
 *
 * A cosignature is a signed-note signature line
 *
 *     — <witness name> base64(key id[4] || timestamp[8, big-endian] || sig[64])
 *
 * where the key id is SHA-256(name || 0x0A || 0x04 || public key)[:4] and
 * sig is the Ed25519 signature of
 *
 *     "cosignature/v1\n" "time <timestamp>\n" <checkpoint text>
 *
 * (the note text through its final newline, no signature lines). A witness
 * key is pinned as "<name>+<hex key id>+<base64(0x04 || public key)>".
 *
 * The add-checkpoint request body is "old <size>\n", at most 63 lines of
 * one base64 hash each (the RFC 6962 consistency proof from old size to
 * the checkpoint's), an empty line, then the signed checkpoint note. The
 * parser is strict: canonical decimal, exact base64 of 32 bytes, and the
 * note's own framing checked by note_checkpoint_parse.
 */
#ifndef CORRIDOR_COSIG_H
#define CORRIDOR_COSIG_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/merkle.h"
#include "crypto/note.h"

/* key id (4) || timestamp (8) || Ed25519 signature (64) */
#define COSIG_BLOB_BYTES	76u
/* "— " (4) name " " base64 of 76 bytes (104) "\n" */
#define COSIG_LINE_MAX_BYTES	(4u + NOTE_NAME_MAX_BYTES + 1u + 104u + 1u)

/* The spec's limit on consistency proof lines. */
#define COSIG_PROOF_MAX_HASHES	63u

/* "old " + 19 digits + "\n" + 63 lines of 44 base64 + "\n" + "\n" + note */
#define COSIG_REQUEST_MAX_BYTES \
	(4u + 19u + 1u + COSIG_PROOF_MAX_HASHES * 45u + 1u + NOTE_MAX_BYTES)

struct cosig_request {
	uint64_t	 old_size;
	size_t		 proof_len;	/* bytes, a multiple of 32 */
	uint8_t		 proof[COSIG_PROOF_MAX_HASHES * MERKLE_HASH_BYTES];
	const char	*note;		/* points into the parsed body */
	size_t		 note_len;
};

/*
 * Sign text (text_len bytes, a checkpoint text through its last "\n") as
 * witness vk (a NOTE_ALG_COSIG_V1 key) with sk at time timestamp (Unix
 * seconds, <= INT64_MAX). Writes the signature line with its "\n" into
 * line (line_max bytes; COSIG_LINE_MAX_BYTES suffices), length in
 * *line_len. Returns a note_err.
 */
int cosig_sign(char *line, size_t line_max, size_t *line_len,
    const char *text, size_t text_len, uint64_t timestamp,
    const struct note_vkey *vk, const uint8_t sk[NOTE_SK_BYTES]) NOTE_WUR;

/*
 * Check one signature line (line_len bytes, with or without its final
 * "\n") as a cosignature by vk over text. NOTE_OK and *timestamp set when
 * it is vk's and verifies; NOTE_EUNSIGNED when the line names another key
 * (name or key id); NOTE_EBADSIG when it names vk and does not verify, or
 * its timestamp exceeds INT64_MAX; NOTE_EFORMAT when it is not a
 * signature line.
 */
int cosig_verify_line(uint64_t *timestamp, const char *line, size_t line_len,
    const char *text, size_t text_len, const struct note_vkey *vk) NOTE_WUR;

/*
 * Count the witnesses among wk[0..nwk) with a valid cosignature on the
 * signed note (note_len bytes): the note must be well-formed
 * (note_checkpoint_parse); each witness counts once, however many lines
 * it has; *bad counts lines that name one of the witnesses but do not
 * verify (a cosignature over another body, say). The log's own signature
 * is not checked here. Returns NOTE_OK or NOTE_EFORMAT; *valid is the
 * count, and have[i] (when not NULL) is 1 for each witness counted.
 */
int cosig_count(unsigned *valid, unsigned *bad, int *have, const char *note,
    size_t note_len, const struct note_vkey *wk, size_t nwk) NOTE_WUR;

/* Parse an add-checkpoint request body (len bytes). The note is not
 * verified, only framed. 0 or -1. */
int cosig_request_parse(struct cosig_request *rq, const char *body,
    size_t len) NOTE_WUR;

/* Write the request body for old_size, the proof (proof_len bytes, at
 * most 63 hashes) and the note into out (out_max bytes, no NUL), length in
 * *out_len. 0 or -1. */
int cosig_request_format(char *out, size_t out_max, size_t *out_len,
    uint64_t old_size, const uint8_t *proof, size_t proof_len,
    const char *note, size_t note_len) NOTE_WUR;

/* The text (through its last "\n") of a framed note: its length, or 0
 * when the note has no blank line before its signatures. */
size_t cosig_note_text_len(const char *note, size_t note_len);

#endif
