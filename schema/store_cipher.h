/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_cipher: operations on the key of a whole SQLCipher file. Export a
 * consistent, encrypted copy of an open database into a new file under
 * another raw key (backup and restore), rekey a database in place (after a
 * suspected leak of K_db), check a file under a key, and tell a plaintext
 * SQLite file from an encrypted one.
 *
 * WARNING: SQLCipher 3.4.1 fails open in three ways that matter here, and
 * every function below checks the result rather than trusting the call:
 *   - ATTACH ... KEY '' writes a plaintext file;
 *   - ATTACH without KEY silently reuses the main database's key;
 *   - PRAGMA rekey on a plaintext file is a silent no-op, and a failed
 *     rekey is not reported by the PRAGMA at all.
 */
#ifndef CORRIDOR_STORE_CIPHER_H
#define CORRIDOR_STORE_CIPHER_H

#include <stdint.h>

#include "schema/store.h"

/*
 * Copy src into a new file dst_path (created here with O_EXCL, mode 0600;
 * refused if it exists) encrypted under dst_key, with sqlcipher_export
 * inside one read transaction on src, so the copy is a consistent snapshot
 * even while other connections write. Before committing, every table's row
 * count and the schema are compared between src and the copy. After
 * committing, the copy is fsync'd and checked: its header must not be the
 * plaintext SQLite header, and it must open under dst_key and pass
 * PRAGMA quick_check. On any failure dst_path is removed.
 * src must not be inside a transaction. Returns a store_err.
 */
int store_cipher_export(struct store *src, const char *dst_path,
    const uint8_t dst_key[STORE_KEY_BYTES])
    __attribute__((warn_unused_result));

/*
 * Re-encrypt every page of s's database under key with PRAGMA rekey, then
 * checkpoint the WAL so the main file holds only pages under the new key.
 * Refuses (STORE_EKEY) a plaintext file, and STORE_ENOCIPHER without the
 * codec. *checkpointed is 1 when the WAL was fully checkpointed and
 * truncated, 0 when a reader kept it busy (the rekey still holds; pages
 * under the old key then remain in the main file until the next
 * checkpoint). The caller must confirm the result on a fresh connection
 * with store_cipher_check, because the PRAGMA reports no failure.
 * Returns a store_err.
 */
int store_cipher_rekey(struct store *s, const uint8_t key[STORE_KEY_BYTES],
    int *checkpointed) __attribute__((warn_unused_result));

/*
 * Open path under key with store_open_existing (all of store_open's
 * checks, nothing changed in the file) and run
 * PRAGMA quick_check, which reads, decrypts and authenticates every page.
 * STORE_OK, STORE_EKEY for a wrong key, STORE_ECORRUPT, or another
 * store_err.
 */
int store_cipher_check(const char *path, const uint8_t key[STORE_KEY_BYTES])
    __attribute__((warn_unused_result));

/* 1 if path starts with the plaintext header "SQLite format 3\0", 0 if
 * not (an encrypted file starts with its random salt), -1 if unreadable. */
int store_cipher_file_plaintext(const char *path);

#endif
