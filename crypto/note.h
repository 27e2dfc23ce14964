/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * note: C2SP signed notes (c2sp.org/signed-note) with Ed25519, and the
 * C2SP transparency-log checkpoints (c2sp.org/tlog-checkpoint) that the
 * audit log signs with them. Also the Go-compatible verifier key text
 * "<name>+<hex key id>+<base64(0x01 || public key)>" by which auditors pin
 * the audit key.
 *
 * A signed note is: text ending in "\n", a blank line, then one or more
 * lines "— <key name> <base64(key id[4] || signature)>\n" (U+2014 em dash,
 * bytes E2 80 94, then a space). The key id is the first four bytes of
 * SHA-256(key name || 0x0A || 0x01 || 32-byte public key), big-endian.
 *
 * A corridor checkpoint's text is exactly three lines, with no extension
 * lines: "<origin>\n<tree size, decimal>\n<base64 root>\n". It is signed by
 * a key whose name is the origin. The parser is strict: bounded sizes,
 * no leading zeros, exact base64, and every byte accounted for.
 *
 * Limits (deliberately tighter than the specs, which let a verifier cap
 * notes): a note is at most NOTE_MAX_BYTES with at most NOTE_MAX_SIGS
 * signature lines, and names are at most NOTE_NAME_MAX_BYTES. Names follow
 * the signed-note rule: non-empty UTF-8 with no Unicode space and no '+'.
 */
#ifndef CORRIDOR_NOTE_H
#define CORRIDOR_NOTE_H

#include <stddef.h>
#include <stdint.h>

#define NOTE_PK_BYTES		32u	/* Ed25519 public key */
#define NOTE_SK_BYTES		64u	/* libsodium Ed25519: seed || pk */
#define NOTE_SEED_BYTES		32u
#define NOTE_SIG_BYTES		64u
#define NOTE_KEY_ID_BYTES	4u
#define NOTE_HASH_BYTES		32u	/* checkpoint root: SHA-256 */
#define NOTE_ALG_ED25519	0x01u	/* signature type byte */
#define NOTE_ALG_COSIG_V1	0x04u	/* tlog-cosignature Ed25519 type byte */

/* Longest key name or origin we accept; fits a one-byte length. */
#define NOTE_NAME_MAX_BYTES	255u

/* A whole signed note. 16 Ed25519 signature lines with maximal names take
 * 16 * (4 + 255 + 1 + 92 + 1) = 5648 bytes, plus a maximal checkpoint text
 * (255 + 1 + 19 + 1 + 44 + 1 = 321) and the blank line. Post-quantum
 * cosignatures would need more; corridor signs with Ed25519 only. */
#define NOTE_MAX_BYTES		8192u
#define NOTE_MAX_SIGS		16u	/* the specs' minimum to accept */

/* "<name>+<8 hex>+<44 base64>" and its NUL. */
#define NOTE_VKEY_MAX_BYTES	(NOTE_NAME_MAX_BYTES + 1u + 8u + 1u + 44u + 1u)

#define NOTE_WUR __attribute__((warn_unused_result))

enum note_err {
	NOTE_OK = 0,
	NOTE_EFORMAT = -1,	/* not a well-formed note, checkpoint or key */
	NOTE_EUNSIGNED = -2,	/* no signature line from the pinned key */
	NOTE_EBADSIG = -3,	/* the pinned key's signature does not verify */
	NOTE_EORIGIN = -4,	/* checkpoint origin is not the key's name */
	NOTE_ESPACE = -5,	/* caller's output buffer too small */
};

/* A verifier key: who signs, under which name. No secrets. */
struct note_vkey {
	char name[NOTE_NAME_MAX_BYTES + 1];	/* NUL-terminated */
	size_t name_len;
	uint32_t key_id;
	uint8_t alg;		/* NOTE_ALG_ED25519 or NOTE_ALG_COSIG_V1 */
	uint8_t pk[NOTE_PK_BYTES];
};

/* The three lines of a checkpoint text. */
struct note_checkpoint {
	char origin[NOTE_NAME_MAX_BYTES + 1];	/* NUL-terminated */
	size_t origin_len;
	uint64_t size;				/* <= INT64_MAX */
	uint8_t root[NOTE_HASH_BYTES];
};

/* 1 if name (name_len bytes) is a valid key name, else 0. */
int note_name_valid(const char *name, size_t name_len);

/* The signed-note key id of an Ed25519 key under name. */
uint32_t note_key_id(const char *name, size_t name_len,
    const uint8_t pk[NOTE_PK_BYTES]);

/* The same with another type byte: NOTE_ALG_COSIG_V1 for a witness's
 * cosigning key (c2sp.org/tlog-cosignature). */
uint32_t note_key_id_alg(const char *name, size_t name_len, uint8_t alg,
    const uint8_t pk[NOTE_PK_BYTES]);

/* Fresh Ed25519 key pair, or one derived from a 32-byte seed (tests and
 * fuzz targets need fixed keys). sk is secret: wipe it after use. */
void note_keypair(uint8_t pk[NOTE_PK_BYTES], uint8_t sk[NOTE_SK_BYTES]);
void note_keypair_from_seed(uint8_t pk[NOTE_PK_BYTES],
    uint8_t sk[NOTE_SK_BYTES], const uint8_t seed[NOTE_SEED_BYTES]);

/* Fill vk for pk under name, computing the key id. 0 or NOTE_EFORMAT. */
int note_vkey_init(struct note_vkey *vk, const char *name, size_t name_len,
    const uint8_t pk[NOTE_PK_BYTES]) NOTE_WUR;

/* The same for a key of type alg (a witness key: NOTE_ALG_COSIG_V1). */
int note_vkey_init_alg(struct note_vkey *vk, const char *name,
    size_t name_len, uint8_t alg, const uint8_t pk[NOTE_PK_BYTES]) NOTE_WUR;

/* Write vk as "<name>+<8 lowercase hex>+<base64(vk->alg || pk)>" with a NUL
 * into out (out_len bytes; NOTE_VKEY_MAX_BYTES always suffices).
 * 0 or NOTE_ESPACE. */
int note_vkey_format(char *out, size_t out_len, const struct note_vkey *vk)
    NOTE_WUR;

/* Parse the text form (exactly s_len bytes, no newline). The key id must
 * match the name and key. 0 or NOTE_EFORMAT. */
int note_vkey_parse(struct note_vkey *vk, const char *s, size_t s_len)
    NOTE_WUR;
/* The same for a key of type alg only (a witness key: NOTE_ALG_COSIG_V1). */
int note_vkey_parse_alg(struct note_vkey *vk, const char *s, size_t s_len,
    uint8_t alg) NOTE_WUR;

/* 1 if a and b are the same name, key id and key, else 0. */
int note_vkey_equal(const struct note_vkey *a, const struct note_vkey *b);

/*
 * Sign text (text_len bytes, ending in "\n", valid as note text) with sk
 * under name, writing the signed note into out (out_max bytes; not
 * NUL-terminated) and its length into *out_len. Returns a note_err.
 */
int note_sign(char *out, size_t out_max, size_t *out_len, const char *text,
    size_t text_len, const char *name, size_t name_len,
    const uint8_t sk[NOTE_SK_BYTES]) NOTE_WUR;

/*
 * Check the signed note (note_len bytes) against the pinned key vk:
 * well-formed, at least one signature line with vk's name and key id, and
 * every such line verifies. Lines from other keys are ignored, as the spec
 * requires. On NOTE_OK *text_len is the length of the signed text, which
 * starts at note[0]. Returns a note_err.
 */
int note_open(size_t *text_len, const char *note, size_t note_len,
    const struct note_vkey *vk) NOTE_WUR;

/* Write the checkpoint text of cp into out (out_max bytes, not
 * NUL-terminated), length in *out_len. Returns a note_err. */
int note_checkpoint_format(char *out, size_t out_max, size_t *out_len,
    const struct note_checkpoint *cp) NOTE_WUR;

/* Format cp and sign it with sk under the name cp->origin, as a complete
 * signed note. Returns a note_err. */
int note_checkpoint_sign(char *out, size_t out_max, size_t *out_len,
    const struct note_checkpoint *cp, const uint8_t sk[NOTE_SK_BYTES])
    NOTE_WUR;

/*
 * Parse a signed checkpoint note WITHOUT checking any signature: the note
 * framing and every signature line must be well-formed, and the text must
 * be exactly the three checkpoint lines. Returns NOTE_OK or NOTE_EFORMAT.
 *
 * WARNING: the result is untrusted. Use it only to route or pre-check;
 * trust a checkpoint only from note_checkpoint_verify.
 */
int note_checkpoint_parse(struct note_checkpoint *cp, const char *note,
    size_t note_len) NOTE_WUR;

/* note_open against vk, then note_checkpoint_parse, then require the
 * origin to equal vk's name. cp is zeroed unless NOTE_OK. Returns a
 * note_err. */
int note_checkpoint_verify(struct note_checkpoint *cp, const char *note,
    size_t note_len, const struct note_vkey *vk) NOTE_WUR;

/* A short, static description of a note_err. */
const char *note_strerror(int err);

#endif
