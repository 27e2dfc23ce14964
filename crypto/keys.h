/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * keys: the wrap files of a data directory. The random database key K_db
 * (`keys`), the audit Ed25519 signing key (`audit-key`) and the case
 * lookup's blind-index key (`index-key`) are each sealed
 * with XChaCha20-Poly1305 under KEK = Argon2id(passphrase, salt) at
 * MODERATE limits, in files of their own, so that a backup (which holds
 * only `keys`) cannot sign the log. Directories made before the split
 * hold one combined version-1 `keys`; it still opens. The passphrase can
 * change without rekeying the database. Format: docs/crypto.md.
 */
#ifndef CORRIDOR_KEYS_H
#define CORRIDOR_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_DB_KEY_BYTES	32u
#define KEYS_AUDIT_SK_BYTES	64u	/* Ed25519 seed || public key */
#define KEYS_AUDIT_PK_BYTES	32u
#define KEYS_INDEX_KEY_BYTES	32u	/* the blind-index key (crypto/blind.h) */
#define KEYS_SALT_BYTES		16u
#define KEYS_NONCE_BYTES	24u
#define KEYS_TAG_BYTES		16u
#define KEYS_HEADER_BYTES	44u	/* magic 8, version 4, ops 8, mem 8, salt 16 */
/* The three file layouts (docs/crypto.md): the K_db file `keys` (version
 * 2), the signing key file `audit-key`, and the combined version-1 `keys`
 * of data directories made before the split (K_db || signing key). */
#define KEYS_DB_FILE_BYTES	(KEYS_HEADER_BYTES + KEYS_NONCE_BYTES + \
				 KEYS_DB_KEY_BYTES + KEYS_TAG_BYTES)
#define KEYS_SIGN_FILE_BYTES	(KEYS_HEADER_BYTES + KEYS_NONCE_BYTES + \
				 KEYS_AUDIT_SK_BYTES + KEYS_TAG_BYTES)
#define KEYS_V1_FILE_BYTES	(KEYS_HEADER_BYTES + KEYS_NONCE_BYTES + \
				 KEYS_DB_KEY_BYTES + KEYS_AUDIT_SK_BYTES + \
				 KEYS_TAG_BYTES)
#define KEYS_INDEX_FILE_BYTES	(KEYS_HEADER_BYTES + KEYS_NONCE_BYTES + \
				 KEYS_INDEX_KEY_BYTES + KEYS_TAG_BYTES)
#define KEYS_FILE_MAX_BYTES	KEYS_V1_FILE_BYTES

/* Long-lived secrets; callers keep this struct in secmem_alloc memory.
 * combined: db_key came from a version-1 file, which also held audit_sk;
 * keys_wrap_create/replace then keep the file combined, so that a
 * passphrase change or rekey of a directory not yet split (datadir.h)
 * never drops the signing key. */
struct keys_secret {
	uint8_t db_key[KEYS_DB_KEY_BYTES];
	uint8_t audit_sk[KEYS_AUDIT_SK_BYTES];
	uint8_t combined;
	uint8_t index_key[KEYS_INDEX_KEY_BYTES];	/* `index-key`, when a
							 * command asks for it */
};

enum keys_kind {
	KEYS_KIND_DB = 1,	/* CRDRKEYS version 2: K_db */
	KEYS_KIND_SIGN = 2,	/* CRDRSIGN version 1: the audit signing key */
	KEYS_KIND_COMBINED = 3,	/* CRDRKEYS version 1: K_db || signing key */
	KEYS_KIND_INDEX = 4,	/* CRDRINDX version 1: the blind-index key */
};

/* Parsed, still-sealed wrap file (no secrets). */
struct keys_wrap {
	int      kind;		/* enum keys_kind */
	uint32_t version;
	uint64_t opslimit;
	uint64_t memlimit;
	uint8_t  header[KEYS_HEADER_BYTES];	/* the associated data */
	uint8_t  salt[KEYS_SALT_BYTES];
	uint8_t  nonce[KEYS_NONCE_BYTES];
	uint8_t  ct[KEYS_DB_KEY_BYTES + KEYS_AUDIT_SK_BYTES + KEYS_TAG_BYTES];
	size_t   ct_len;
};

enum keys_err {
	KEYS_OK = 0,
	KEYS_EIO = -1,		/* cannot read/write the file */
	KEYS_EFORMAT = -2,	/* not a wrap file, or limits out of range */
	KEYS_EPASS = -3,	/* wrong passphrase, or file tampered */
	KEYS_EEXIST = -4,	/* refusing to overwrite */
	KEYS_ENOMEM = -5,	/* Argon2 could not get its memory */
};

/* Fill ks with a fresh random K_db and audit signing key (combined 0). */
void keys_new_secret(struct keys_secret *ks);

/* The audit public key held inside ks->audit_sk. */
void keys_audit_public(uint8_t pk[KEYS_AUDIT_PK_BYTES],
    const struct keys_secret *ks);

/*
 * The K_db file. Seal ks->db_key (and ks->audit_sk too, as a version-1
 * file, when ks->combined) under the passphrase into a new file at path,
 * created with O_EXCL and mode 0600, then fsync'd. Returns a keys_err.
 */
int keys_wrap_create(const char *path, const char *pass, size_t pass_len,
    const struct keys_secret *ks) __attribute__((warn_unused_result));

/*
 * Atomically replace path: write path.new (O_EXCL, 0600), fsync, rename.
 * Used by passphrase changes and key rotation. Returns a keys_err.
 */
int keys_wrap_replace(const char *path, const char *pass, size_t pass_len,
    const struct keys_secret *ks) __attribute__((warn_unused_result));

/* Parse buf (buf_len bytes) as any of the three wrap files. No secrets. */
int keys_wrap_parse(struct keys_wrap *w, const uint8_t *buf, size_t buf_len);

/*
 * Read and unseal the K_db file at path into ks: version 2 fills db_key
 * (audit_sk zero, combined 0), version 1 fills both (combined 1). A
 * signing key file is refused (KEYS_EFORMAT). ks is wiped on failure.
 */
int keys_wrap_open(const char *path, const char *pass, size_t pass_len,
    struct keys_secret *ks) __attribute__((warn_unused_result));

/*
 * The signing key file: create (O_EXCL), replace atomically, open. Only
 * the 64-byte audit signing key, under its own salt and the passphrase
 * given (which may or may not be the operator's, docs/operations.md).
 * open wipes sk on failure and refuses any other kind of file.
 */
int keys_sign_create(const char *path, const char *pass, size_t pass_len,
    const uint8_t sk[KEYS_AUDIT_SK_BYTES]) __attribute__((warn_unused_result));
int keys_sign_replace(const char *path, const char *pass, size_t pass_len,
    const uint8_t sk[KEYS_AUDIT_SK_BYTES]) __attribute__((warn_unused_result));
int keys_sign_open(const char *path, const char *pass, size_t pass_len,
    uint8_t sk[KEYS_AUDIT_SK_BYTES]) __attribute__((warn_unused_result));

/*
 * The blind-index key file (`index-key`): the 32-byte key of the case
 * lookup's blind indexes (crypto/blind.h), under its own salt and the
 * passphrase given (the signing passphrase, like `audit-key`), never
 * under K_db, and left out of backups like `audit-key`. Create (O_EXCL),
 * replace atomically, open; open wipes key on failure and refuses any
 * other kind of file.
 */
int keys_index_create(const char *path, const char *pass, size_t pass_len,
    const uint8_t key[KEYS_INDEX_KEY_BYTES]) __attribute__((warn_unused_result));
int keys_index_replace(const char *path, const char *pass, size_t pass_len,
    const uint8_t key[KEYS_INDEX_KEY_BYTES]) __attribute__((warn_unused_result));
int keys_index_open(const char *path, const char *pass, size_t pass_len,
    uint8_t key[KEYS_INDEX_KEY_BYTES]) __attribute__((warn_unused_result));

const char *keys_strerror(int err);

#endif
