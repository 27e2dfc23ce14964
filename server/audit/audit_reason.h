/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_reason: break-glass reasons sealed to the auditors. The signed
 * entry commits to SHA-256(salt || reason) (audit_reason_hash); salt ||
 * reason itself is sealed (crypto/seal.h, kind "reason", object id the
 * entry's seq in decimal) to the public key of every active auditor who
 * has enrolled (made their key pair under their own password), one copy
 * each, and never stored in plain text. The operator passphrase therefore
 * opens the database but not a reason; an auditor opens their copy with
 * their secret key, from their session. Erasure deletes every copy
 * (store_audit_reason_erase). docs/audit.md 11.5.
 *
 * WARNING: an auditor created after a reason was written gets no copy of
 * it; copies are not re-sealed when an auditor's key pair changes.
 */
#ifndef CORRIDOR_AUDIT_REASON_H
#define CORRIDOR_AUDIT_REASON_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"

#define AUDIT_REASON_MAX_BYTES	512u	/* as the reason column's CHECK */

/* How many auditors a reason written now would be sealed to (active,
 * enrolled auditors). A store_err. */
int audit_reason_recipients(struct store *s, int64_t *n)
    __attribute__((warn_unused_result));

/*
 * Inside a write transaction: write entry seq's reason row in the sealed
 * state and one sealed copy of salt || reason per recipient. Fails (-1)
 * when there is no recipient: a reason nobody can read is never written,
 * and the entry's transaction must then roll back. 0 or -1.
 */
int audit_reason_seal(struct store *s, uint64_t seq, const uint8_t salt[16],
    const void *reason, size_t reason_len)
    __attribute__((warn_unused_result));

/*
 * Open auditor auditor_id's copy of entry seq's reason with their key
 * pair: the text into reason (AUDIT_REASON_MAX_BYTES), its length into
 * *reason_len, the salt into salt. Returns 0, 1 when they hold no copy
 * (or it does not open), -1 on a store error. The caller wipes reason and
 * salt.
 */
int audit_reason_open(struct store *s, uint64_t seq, const char *auditor_id,
    const uint8_t pk[32], const uint8_t sk[32], uint8_t salt[16],
    uint8_t reason[AUDIT_REASON_MAX_BYTES], size_t *reason_len)
    __attribute__((warn_unused_result));

/*
 * An auditor's new key pair (every password change makes one): re-seal
 * each reason auditor_id holds a copy of, opened with the old key pair,
 * to new_pk. Inside the password change's write transaction, so the
 * copies move with the key pair or not at all. A copy that does not open
 * with the old key pair (it never could) is left as it is. 0 or -1.
 */
int audit_reason_rekey(struct store *s, const char *auditor_id,
    const uint8_t old_pk[32], const uint8_t old_sk[32],
    const uint8_t new_pk[32]) __attribute__((warn_unused_result));

/*
 * Seal every reason still in plain text (written before schema 0006) to
 * the current recipients and drop the plain text, in one write
 * transaction that this opens and commits. With no recipient nothing is
 * changed and *left says how many stay plain. 0 or -1.
 */
int audit_reason_seal_plain(struct store *s, unsigned *sealed,
    unsigned *left) __attribute__((warn_unused_result));

#endif
