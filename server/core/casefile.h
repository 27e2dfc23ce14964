/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * casefile: the cryptography of case files, apart from HTTP. Every case
 * has a random key K_case and every evacuation a key K_evac; content is
 * encrypted field by field under them (crypto/field.h, associated data
 * "corridor/v1|<table>|<row>|<field>|<key version>"), and the keys are
 * sealed to their holders (crypto/seal.h). This module creates objects with
 * their keys, opens a holder's wrap, wraps to new holders, rotates keys
 * (new key, every field and contact re-encrypted, remaining holders
 * re-wrapped, old wraps deleted) and shreds. All of it runs inside the
 * caller's write transaction; it never commits.
 *
 * Who may do what is decided by the caller (server/access.c); this module
 * only refuses what the keys refuse.
 *
 * WARNING: every key and plaintext buffer passed in or out is the caller's
 * to wipe. Functions wipe their own intermediates on every path.
 */
#ifndef CORRIDOR_CASEFILE_H
#define CORRIDOR_CASEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"
#include "schema/store_case.h"
#include "schema/store_evac.h"
#include "schema/store_key.h"

#define CASEFILE_KEY_BYTES	32u

enum casefile_err {
	CASEFILE_OK = 0,
	CASEFILE_ESTORE = -1,		/* the database failed: answer 503 */
	CASEFILE_EINTEGRITY = -2,	/* a wrap or ciphertext did not open */
	CASEFILE_ENOKEY = -3,		/* the holder has no wrap for it */
	CASEFILE_ENOMEM = -4,
	CASEFILE_ECODENAME = -5,	/* no free codename after retries */
};

/* Places bound into the associated data. Part of the stored format. */
#define CASEFILE_T_CASES	"cases"
#define CASEFILE_T_CONTACTS	"contacts"
#define CASEFILE_T_EVACS	"evacuations"
#define CASEFILE_F_PERSON	"person"
#define CASEFILE_F_NOTES	"notes"
#define CASEFILE_F_ENTRY	"entry"
#define CASEFILE_F_DETAILS	"details"

/* Recipient id of the org key in the wrap tables and sealed plaintexts. */
#define CASEFILE_ORG		"org"

/* Someone who can open wraps: a user (their session key pair) or the org
 * (a confirmed coordinator's session holds its secret). */
struct casefile_holder {
	const char	*id;		/* user id, or CASEFILE_ORG */
	uint8_t		 pk[32];
	const uint8_t	*sk;		/* borrowed from the session */
};

/* Decrypted text: malloc'd, NUL-terminated, len bytes before the NUL.
 * Release with casefile_plain_free, which wipes it. */
struct casefile_plain {
	char	*p;
	size_t	 len;
};
void casefile_plain_free(struct casefile_plain *pt);

/* Fill h as the org holder, with the org public key from the store.
 * org_sk is borrowed. Returns a casefile_err. */
int casefile_org_holder(struct store *s, const uint8_t *org_sk,
    struct casefile_holder *h) __attribute__((warn_unused_result));

/*
 * Encrypt pt into a fresh malloc'd *ct (free with free(): ciphertext is
 * not secret). Decrypt ct into out; CASEFILE_EINTEGRITY for a wrong key,
 * a wrong place or a tampered ciphertext. Both return a casefile_err.
 */
int casefile_encrypt(uint8_t **ct, size_t *ct_len,
    const uint8_t key[CASEFILE_KEY_BYTES], const char *table, const char *row,
    const char *field, uint32_t version, const void *pt, size_t pt_len)
    __attribute__((warn_unused_result));
int casefile_decrypt(struct casefile_plain *out,
    const uint8_t key[CASEFILE_KEY_BYTES], const char *table, const char *row,
    const char *field, uint32_t version, const uint8_t *ct, size_t ct_len)
    __attribute__((warn_unused_result));

/*
 * Open h's wrap of object_id (kind STORE_KEY_CASE or STORE_KEY_EVAC), which
 * must be for key version `version`. CASEFILE_ENOKEY if h holds none;
 * CASEFILE_EINTEGRITY if it is stale or does not open. key is wiped on
 * failure.
 */
int casefile_key_open(struct store *s, int kind, const char *object_id,
    uint32_t version, const struct casefile_holder *h,
    uint8_t key[CASEFILE_KEY_BYTES]) __attribute__((warn_unused_result));

/* Seal key (version `version` of object_id) to recipient_id, a user id or
 * CASEFILE_ORG, looking up its public key, and store the wrap. A user who
 * is not enrolled, or whose key is erased, gets no wrap (CASEFILE_OK):
 * their key pair is not one only they can open. */
int casefile_key_wrap(struct store *s, int kind, const char *object_id,
    uint32_t version, const char *recipient_id,
    const uint8_t key[CASEFILE_KEY_BYTES]) __attribute__((warn_unused_result));

/* --- cases ------------------------------------------------------------------ */

/*
 * Create a case. c holds status, risk, region, household size and
 * created_by; this fills id, codename, times and key version 1, draws
 * K_case into key, encrypts person (serialized JSON) and notes, stores the
 * row, assigns creator_id (NULL: nobody) and wraps K_case to the creator
 * and the org.
 */
int casefile_case_create(struct store *s, struct case_row *c,
    const char *creator_id, const void *person, size_t person_len,
    const void *notes, size_t notes_len, uint8_t key[CASEFILE_KEY_BYTES])
    __attribute__((warn_unused_result));

/*
 * Rotate K_case of c, whose current key is old_key: a new key, person,
 * notes and every contact re-encrypted under it at key_version + 1, the
 * wraps replaced by fresh ones to the org and every current assignee.
 * Updates c; the new key goes to new_key. Afterwards no stored byte of the
 * case opens under old_key.
 */
int casefile_case_rotate(struct store *s, struct case_row *c,
    const uint8_t old_key[CASEFILE_KEY_BYTES],
    uint8_t new_key[CASEFILE_KEY_BYTES]) __attribute__((warn_unused_result));

/* Assign user_id to c and wrap key (c's current K_case) to them. */
int casefile_case_assign(struct store *s, const struct case_row *c,
    const char *user_id, const char *assigned_by,
    const uint8_t key[CASEFILE_KEY_BYTES]) __attribute__((warn_unused_result));

/* Crypto-shred c: every wrap, both ciphertexts and every contact entry are
 * deleted; the row stays as a tombstone of metadata and assignments. */
int casefile_case_shred(struct store *s, const struct case_row *c)
    __attribute__((warn_unused_result));

/* --- evacuations --------------------------------------------------------------- */

/* Create an evacuation: fills id, codename, times, key version 1 of e
 * (stage and created_by are the caller's), draws K_evac into key, encrypts
 * details and wraps K_evac to the org. */
int casefile_evac_create(struct store *s, struct evac_row *e,
    const void *details, size_t details_len, uint8_t key[CASEFILE_KEY_BYTES])
    __attribute__((warn_unused_result));

/*
 * Bring e's wraps in line with its members: K_evac goes to the org and to
 * every caseworker of a live member case, and to nobody else. If someone
 * holds a wrap who should not (or force, or e->rotate_pending), K_evac is
 * rotated: new key, details re-encrypted, all wraps replaced; *rotated = 1
 * and new_key holds it. key is e's current K_evac, or NULL when the caller
 * cannot open it: then the extra wraps are deleted and the rotation is left
 * pending (rotate_pending = 1) for the next holder, and missing wraps give
 * CASEFILE_ENOKEY.
 */
int casefile_evac_sync(struct store *s, struct evac_row *e,
    const uint8_t *key, int force, uint8_t new_key[CASEFILE_KEY_BYTES],
    int *rotated) __attribute__((warn_unused_result));

/*
 * A reset (recovery, issue 14): as casefile_revoke_user, but the
 * assignments stay. The rotation wraps no key to user_id, whose account
 * is marked reset by then (casefile_key_wrap skips it); a coordinator re-seals the current keys to them once they
 * have enrolled with a key pair of their own.
 */
int casefile_reset_user(struct store *s, const char *user_id,
    const struct casefile_holder *org, struct store_ids *touched)
    __attribute__((warn_unused_result));

/* --- a new key pair ------------------------------------------------------------ */

/*
 * A password change made user_id a new key pair: re-seal every case and
 * evacuation wrap user_id holds, and their org grant if any, from old (the
 * user's old key pair, as a holder) to new_pk. Afterwards nothing stored
 * opens with the old secret key. Inside the caller's write transaction.
 */
int casefile_rekey_user(struct store *s, const struct casefile_holder *old,
    const uint8_t new_pk[32]) __attribute__((warn_unused_result));

/* --- revocation ---------------------------------------------------------------- */

/*
 * user_id lost every grant: delete their assignments and their case and
 * evacuation wraps, and rotate every case and evacuation they held a key
 * of. org is the caller's org holder, or NULL when the caller cannot open
 * org wraps (an admin): then each affected object is marked
 * rotate_pending and its next holder rotates it. The ids of every affected
 * case and evacuation are appended to touched (for the session caches).
 */
int casefile_revoke_user(struct store *s, const char *user_id,
    const struct casefile_holder *org, struct store_ids *touched)
    __attribute__((warn_unused_result));

#endif
