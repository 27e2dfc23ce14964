/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * keys: the operator's wrap file. A random database key K_db and the audit
 * Ed25519 signing key are sealed together with XChaCha20-Poly1305 under
 * KEK = Argon2id(passphrase, salt) at MODERATE limits. The passphrase can
 * change without rekeying the database. Format: docs/crypto.md.
 */
#ifndef CORRIDOR_KEYS_H
#define CORRIDOR_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_DB_KEY_BYTES	32u
#define KEYS_AUDIT_SK_BYTES	64u	/* Ed25519 seed || public key */
#define KEYS_AUDIT_PK_BYTES	32u
#define KEYS_SALT_BYTES		16u
#define KEYS_NONCE_BYTES	24u
#define KEYS_HEADER_BYTES	44u	/* magic 8, version 4, ops 8, mem 8, salt 16 */
#define KEYS_FILE_BYTES		(KEYS_HEADER_BYTES + KEYS_NONCE_BYTES + \
				 KEYS_DB_KEY_BYTES + KEYS_AUDIT_SK_BYTES + 16u)

/* Long-lived secrets; callers keep this struct in secmem_alloc memory. */
struct keys_secret {
	uint8_t db_key[KEYS_DB_KEY_BYTES];
	uint8_t audit_sk[KEYS_AUDIT_SK_BYTES];
};

/* Parsed, still-sealed wrap file (no secrets). */
struct keys_wrap {
	uint32_t version;
	uint64_t opslimit;
	uint64_t memlimit;
	uint8_t  header[KEYS_HEADER_BYTES];	/* the associated data */
	uint8_t  salt[KEYS_SALT_BYTES];
	uint8_t  nonce[KEYS_NONCE_BYTES];
	uint8_t  ct[KEYS_DB_KEY_BYTES + KEYS_AUDIT_SK_BYTES + 16u];
};

enum keys_err {
	KEYS_OK = 0,
	KEYS_EIO = -1,		/* cannot read/write the file */
	KEYS_EFORMAT = -2,	/* not a wrap file, or limits out of range */
	KEYS_EPASS = -3,	/* wrong passphrase, or file tampered */
	KEYS_EEXIST = -4,	/* refusing to overwrite */
	KEYS_ENOMEM = -5,	/* Argon2 could not get its memory */
};

/* Fill ks with a fresh random K_db and audit signing key. */
void keys_new_secret(struct keys_secret *ks);

/* The audit public key held inside ks->audit_sk. */
void keys_audit_public(uint8_t pk[KEYS_AUDIT_PK_BYTES],
    const struct keys_secret *ks);

/*
 * Seal ks under the passphrase into a new file at path, created with O_EXCL
 * and mode 0600, then fsync'd. Returns a keys_err.
 */
int keys_wrap_create(const char *path, const char *pass, size_t pass_len,
    const struct keys_secret *ks) __attribute__((warn_unused_result));

/*
 * Atomically replace path: write path.new (O_EXCL, 0600), fsync, rename.
 * Used by passphrase changes and key rotation. Returns a keys_err.
 */
int keys_wrap_replace(const char *path, const char *pass, size_t pass_len,
    const struct keys_secret *ks) __attribute__((warn_unused_result));

/* Parse buf (buf_len bytes) as a wrap file. No secrets involved. */
int keys_wrap_parse(struct keys_wrap *w, const uint8_t *buf, size_t buf_len);

/* Read and unseal path into ks. ks is wiped on failure. Returns keys_err. */
int keys_wrap_open(const char *path, const char *pass, size_t pass_len,
    struct keys_secret *ks) __attribute__((warn_unused_result));

const char *keys_strerror(int err);

#endif
