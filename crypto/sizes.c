/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * sizes: every byte count that crypto/'s headers state as a plain number,
 * tied at compile time to the libsodium constant it stands for. The
 * headers keep literals so that no other layer needs sodium.h; this file
 * is where a literal that drifted from the primitive stops the build.
 * It defines nothing.
 */
#include <sodium.h>

#include "crypto/field.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "crypto/seal.h"
#include "crypto/sha256.h"
#include "crypto/skey.h"
#include "crypto/stream.h"
#include "crypto/token.h"
#include "crypto/userkey.h"
#include "crypto/xfer.h"

#define SAME(a, b)	_Static_assert((a) == (b), #a " == " #b)

/* field: XChaCha20-Poly1305 (IETF), nonce then ciphertext then tag */
SAME(FIELD_KEY_BYTES, crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
SAME(FIELD_OVERHEAD, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
    crypto_aead_xchacha20poly1305_ietf_ABYTES);

/* skey: session-key boxes, XChaCha20-Poly1305, nonce then ct then tag */
SAME(SKEY_KEY_BYTES, crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
SAME(SKEY_BOX_BYTES, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
    SKEY_SECRET_BYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES);

/* stream: secretstream XChaCha20-Poly1305 */
SAME(STREAM_KEY_BYTES, crypto_secretstream_xchacha20poly1305_KEYBYTES);
SAME(STREAM_HEADER_BYTES, crypto_secretstream_xchacha20poly1305_HEADERBYTES);
SAME(STREAM_ABYTES, crypto_secretstream_xchacha20poly1305_ABYTES);

/* hashes: SHA-256 everywhere a tree or a commitment is made */
SAME(AUDIT_REASON_HASH_BYTES, crypto_hash_sha256_BYTES);
SAME(MERKLE_HASH_BYTES, crypto_hash_sha256_BYTES);
SAME(SHA256_BYTES, crypto_hash_sha256_BYTES);
SAME(NOTE_HASH_BYTES, crypto_hash_sha256_BYTES);

/* the operator wrap file: K_db, the audit Ed25519 key, XChaCha20 */
SAME(KEYS_AUDIT_SK_BYTES, crypto_sign_SECRETKEYBYTES);
SAME(KEYS_AUDIT_PK_BYTES, crypto_sign_PUBLICKEYBYTES);
SAME(KEYS_SALT_BYTES, crypto_pwhash_SALTBYTES);
SAME(KEYS_NONCE_BYTES, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
SAME(KEYS_DB_KEY_BYTES, 32u);	/* SQLCipher's raw key, 64 hex digits */

/* signed notes: Ed25519 */
SAME(NOTE_PK_BYTES, crypto_sign_PUBLICKEYBYTES);
SAME(NOTE_SK_BYTES, crypto_sign_SECRETKEYBYTES);
SAME(NOTE_SEED_BYTES, crypto_sign_SEEDBYTES);
SAME(NOTE_SIG_BYTES, crypto_sign_BYTES);

/* user and org keys: X25519 for crypto_box_seal */
SAME(USERKEY_PK_BYTES, crypto_box_PUBLICKEYBYTES);
SAME(USERKEY_SK_BYTES, crypto_box_SECRETKEYBYTES);
SAME(USERKEY_BLOB_BYTES, 1u + 8u + 8u + crypto_pwhash_SALTBYTES +
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_box_SECRETKEYBYTES +
    crypto_aead_xchacha20poly1305_ietf_ABYTES);
SAME(SEAL_KEY_BYTES, crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
_Static_assert(SEAL_BLOB_MAX >= crypto_box_SEALBYTES + SEAL_KEY_BYTES,
    "a sealed key fits SEAL_BLOB_MAX");

/* tokens: keyed BLAKE2b of the bearer token */
SAME(TOKEN_KEY_BYTES, crypto_generichash_KEYBYTES);
_Static_assert(TOKEN_HASH_BYTES >= crypto_generichash_BYTES_MIN &&
    TOKEN_HASH_BYTES <= crypto_generichash_BYTES_MAX,
    "TOKEN_HASH_BYTES is a BLAKE2b output length");
/* ids: base64url without padding of ID_BYTES */
SAME(ID_CHARS, (ID_BYTES * 4u + 2u) / 3u);
SAME(SEAL_PK_BYTES, crypto_box_PUBLICKEYBYTES);
SAME(SEAL_SK_BYTES, crypto_box_SECRETKEYBYTES);

/* transfer bundles: the instance's Ed25519 key, converted to X25519 */
SAME(XFER_ED_PK_BYTES, crypto_sign_PUBLICKEYBYTES);
SAME(XFER_ED_SK_BYTES, crypto_sign_SECRETKEYBYTES);
SAME(XFER_X_PK_BYTES, crypto_scalarmult_curve25519_BYTES);
SAME(XFER_X_SK_BYTES, crypto_scalarmult_curve25519_SCALARBYTES);
SAME(XFER_SIG_BYTES, crypto_sign_BYTES);
SAME(XFER_HASH_BYTES, crypto_hash_sha256_BYTES);
