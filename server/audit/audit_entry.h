/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_entry: the canonical binary audit record, the leaf of the audit
 * Merkle tree. Never JSON: one entry has exactly one encoding, so its hash
 * is stable across versions of the server and across languages. Entries
 * hold ids and codes only, never names or case content. The byte layout is
 * documented in docs/audit.md; every multi-byte integer is big-endian.
 *
 *   u8  version (1)
 *   u64 seq, the leaf index, from 0
 *   u64 time, Unix milliseconds (UTC)
 *   u8  actor id length (0..64, 0 = anonymous) + the id bytes
 *   u8  role
 *   u16 action code
 *   u8  object type
 *   u8  object id length (0..64) + the id bytes
 *   u8  outcome
 *   u8  request id length (0..64) + the id bytes
 *   u8  reason flag (0 or 1) + 32-byte salted reason hash when 1
 *   u16 extra length (0..256) + the extra bytes
 *
 * Ids are printable ASCII without spaces (0x21..0x7e), which covers the
 * server's base64url ids and keeps every decoded entry safe to display.
 * The codes below are stable: a code is never reused or renumbered.
 */
#ifndef CORRIDOR_AUDIT_ENTRY_H
#define CORRIDOR_AUDIT_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_ENTRY_VERSION	1u
#define AUDIT_ID_MAX_BYTES	64u	/* server ids are 22 chars */
#define AUDIT_HASH_BYTES	32u	/* salted reason hash, SHA-256 */
#define AUDIT_EXTRA_MAX_BYTES	256u	/* e.g. a new audit public key */

/* 1 version + 8 seq + 8 time + (1+64) actor + 1 role + 2 action
 * + 1 object type + (1+64) object + 1 outcome + (1+64) request
 * + (1+32) reason + (2+256) extra = 508 bytes. */
#define AUDIT_ENTRY_MAX		508u
/* Every length 0, no reason: 1+8+8+1+1+2+1+1+1+1+1+2 = 28 bytes. */
#define AUDIT_ENTRY_MIN		28u

enum audit_role {
	AUDIT_ROLE_ANONYMOUS = 0,
	AUDIT_ROLE_ADMIN = 1,
	AUDIT_ROLE_COORDINATOR = 2,
	AUDIT_ROLE_CASEWORKER = 3,
	AUDIT_ROLE_AUDITOR = 4,
};

enum audit_action {
	AUDIT_SESSION_CREATE = 1,
	AUDIT_SESSION_FAIL = 2,
	AUDIT_SESSION_END = 3,
	AUDIT_USER_CREATE = 4,
	AUDIT_USER_CONFIRM = 5,
	AUDIT_USER_REVOKE = 6,
	AUDIT_USER_PASSWORD = 7,
	AUDIT_CASE_CREATE = 8,
	AUDIT_CASE_LIST = 9,
	AUDIT_CASE_READ = 10,
	AUDIT_CASE_UPDATE = 11,
	AUDIT_CASE_ASSIGN = 12,
	AUDIT_CASE_UNASSIGN = 13,
	AUDIT_CASE_SHRED = 14,
	AUDIT_CONTACT_CREATE = 15,
	AUDIT_CONTACT_LIST = 16,
	AUDIT_EVACUATION_CREATE = 17,
	AUDIT_EVACUATION_LIST = 18,
	AUDIT_EVACUATION_READ = 19,
	AUDIT_EVACUATION_UPDATE = 20,
	AUDIT_EVACUATION_ADD_CASE = 21,
	AUDIT_AUDIT_READ = 22,
	AUDIT_AUDIT_EXPORT = 23,
	AUDIT_USER_LIST = 24,
	AUDIT_AUDIT_REASON_ERASE = 25,
	AUDIT_AUDIT_KEY_ROTATE = 26,
	AUDIT_ANON_SUMMARY = 27,	/* counts of anonymous failures */
	AUDIT_SESSION_CONFIRM = 28,	/* a coordinator re-confirmed their
					 * password (or failed to) */
	AUDIT_ATTACHMENT_CREATE = 29,
	AUDIT_ATTACHMENT_LIST = 30,
	AUDIT_ATTACHMENT_READ = 31,
	AUDIT_ATTACHMENT_DELETE = 32,
	AUDIT_TOTP_BEGIN = 33,		/* a TOTP enrolment began (a new
					 * secret, not yet proven) */
	AUDIT_TOTP_ENROL = 34,		/* a code proved it; recovery codes
					 * made (denied: a wrong code) */
	AUDIT_TWOFACTOR_POLICY = 35,	/* a coordinator set whether every
					 * account needs two-factor login */
	/* 36..38: other branches' ranges. Accounts under coercion
	 * (issue 14): */
	AUDIT_ACCOUNT_DURESS = 39,	/* a duress login (its session.create
					 * is logged as well) */
	AUDIT_ACCOUNT_PANIC = 40,	/* key erased, sessions ended: self,
					 * or another account with a reason */
	AUDIT_USER_DURESS = 41,		/* set or clear the duress password */
	AUDIT_USER_RESET = 42,		/* recovery: a new first password */
	AUDIT_USER_RESEAL = 43,		/* case keys sealed to a re-enrolled
					 * account through the org key */
	AUDIT_SESSION_REVOKE = 44,	/* one of one's own sessions ended */
	AUDIT_USER_LOGINS = 45,		/* one's own login history read */
	AUDIT_ALERT_LIST = 46,		/* coordinators read the alerts */
	AUDIT_CASE_LOOKUP = 47,		/* "seen this person?": no term */
	AUDIT_CASE_REINDEX = 48,	/* blind indexes rebuilt via org key */
	AUDIT_CASE_TRANSFER = 49,	/* a bundle sealed to a partner */
	AUDIT_CASE_IMPORT = 50,		/* a partner's bundle taken in */
	/* the two-factor review (issue 14): */
	AUDIT_ACCOUNT_LOCKOUT = 51,	/* the right password, then too many
					 * wrong codes: no more logins until
					 * a reset */
	AUDIT_TOTP_RECOVERY = 52,	/* new recovery codes, the old ones
					 * void (denied: a wrong password or
					 * code) */
};
#define AUDIT_ACTION_MAX	52u

enum audit_object {
	AUDIT_OBJ_NONE = 0,
	AUDIT_OBJ_USER = 1,
	AUDIT_OBJ_CASE = 2,
	AUDIT_OBJ_CONTACT = 3,
	AUDIT_OBJ_EVACUATION = 4,
	AUDIT_OBJ_AUDIT = 5,
	AUDIT_OBJ_SESSION = 6,
};
#define AUDIT_OBJECT_MAX	6u

enum audit_outcome {
	AUDIT_ALLOWED = 1,
	AUDIT_DENIED = 2,
	AUDIT_ERROR = 3,
};

/* One decoded entry. Ids are NUL-terminated strings. */
struct audit_entry {
	uint64_t seq;
	uint64_t time_ms;
	char actor_id[AUDIT_ID_MAX_BYTES + 1];	/* "" = anonymous */
	uint8_t role;				/* enum audit_role */
	uint16_t action;			/* enum audit_action */
	uint8_t object_type;			/* enum audit_object */
	char object_id[AUDIT_ID_MAX_BYTES + 1];
	uint8_t outcome;			/* enum audit_outcome */
	char request_id[AUDIT_ID_MAX_BYTES + 1];
	uint8_t has_reason;			/* 0 or 1 */
	uint8_t reason_hash[AUDIT_HASH_BYTES];	/* audit_reason_hash() */
	uint16_t extra_len;
	uint8_t extra[AUDIT_EXTRA_MAX_BYTES];
};

/*
 * Encode e into out (out_max bytes; AUDIT_ENTRY_MAX always suffices) and
 * set *out_len. Fails with -1 on any field the decoder would reject, so
 * nothing non-canonical is ever written. 0 or -1.
 */
int audit_entry_encode(uint8_t *out, size_t out_max, size_t *out_len,
    const struct audit_entry *e) __attribute__((warn_unused_result));

/*
 * Decode exactly buf_len bytes. Rejects a short or long buffer, trailing
 * bytes, an unknown version, role, action, object type or outcome, a
 * reason flag other than 0/1, ids longer than 64 bytes or with bytes
 * outside 0x21..0x7e, and extra longer than 256 bytes. e is zeroed on
 * failure. 0 or -1.
 */
int audit_entry_decode(struct audit_entry *e, const uint8_t *buf,
    size_t buf_len) __attribute__((warn_unused_result));

/*
 * The extra of an audit.key_rotate entry, which hands the log over from
 * one signing key to the next (docs/audit.md, "Key rotation"):
 *   0x01 || previous Ed25519 public key || 0x01 || next public key
 * 0x01 is the signed-note type byte of Ed25519. Both keys are named after
 * the log's origin, so the key ids follow.
 */
#define AUDIT_ROTATE_PK_BYTES		32u
#define AUDIT_ROTATE_EXTRA_BYTES	(2u * (1u + AUDIT_ROTATE_PK_BYTES))

void audit_entry_rotation_extra(uint8_t out[AUDIT_ROTATE_EXTRA_BYTES],
    const uint8_t prev_pk[AUDIT_ROTATE_PK_BYTES],
    const uint8_t next_pk[AUDIT_ROTATE_PK_BYTES]);

/* Split a rotation entry's extra (extra_len bytes) into its two keys.
 * Rejects any other length, a type byte other than 0x01, and a next key
 * equal to the previous one. 0 or -1. */
int audit_entry_rotation_parse(const uint8_t *extra, size_t extra_len,
    uint8_t prev_pk[AUDIT_ROTATE_PK_BYTES],
    uint8_t next_pk[AUDIT_ROTATE_PK_BYTES])
    __attribute__((warn_unused_result));

/*
 * The extra of an anonymous.summary entry (docs/audit.md, "Anonymous
 * summaries"): how many anonymous requests failed, per kind, between
 * from_ms and to_ms. A kind is (action, outcome, HTTP status); records are
 * in strictly increasing (action, outcome, status) order, so one set of
 * counts has one encoding:
 *   0x03 || u64 from_ms || u64 to_ms || u8 n (1..24)
 *        || n x (u16 action || u8 outcome || u16 status || u32 count)
 * action is any code but 27, outcome denied or error, status 400..599 or
 * 0 ("other", when the server's table of kinds was full), count >= 1.
 * The entry itself is anonymous, on no object, outcome denied, with no
 * request id and no reason, and to_ms is at most its time.
 */
#define AUDIT_SUMMARY_TAG		0x03u
#define AUDIT_SUMMARY_KINDS_MAX		24u
#define AUDIT_SUMMARY_HEAD_BYTES	18u	/* tag, from, to, n */
#define AUDIT_SUMMARY_KIND_BYTES	9u
#define AUDIT_SUMMARY_EXTRA_MAX		(AUDIT_SUMMARY_HEAD_BYTES + \
	AUDIT_SUMMARY_KINDS_MAX * AUDIT_SUMMARY_KIND_BYTES)	/* 234 */

struct audit_summary_kind {
	uint16_t	action;
	uint8_t		outcome;
	uint16_t	status;
	uint32_t	count;
};

struct audit_summary {
	uint64_t	from_ms, to_ms;
	unsigned	n;
	struct audit_summary_kind k[AUDIT_SUMMARY_KINDS_MAX];
};

/* Encode s (kinds already in order) into out; *out_len set. Refuses what
 * the parser would refuse. 0 or -1. */
int audit_entry_summary_extra(uint8_t out[AUDIT_SUMMARY_EXTRA_MAX],
    size_t *out_len, const struct audit_summary *s)
    __attribute__((warn_unused_result));

/* Parse a summary extra (extra_len bytes) into *s, by the rules above.
 * 0 or -1 (s zeroed). */
int audit_entry_summary_parse(const uint8_t *extra, size_t extra_len,
    struct audit_summary *s) __attribute__((warn_unused_result));

/*
 * The extra of a grant entry: case.assign and case.unassign name the user
 * who gains or loses the case key, evacuation.add_case names the case
 * added (its caseworkers gain the evacuation key). The entry's object is
 * the case (assign, unassign) or the evacuation (add_case); the extra is
 * the other party (docs/audit.md, "Grant entries"):
 *   0x02 || u8 object type of the subject || u8 id length (1..64) || id
 * 0x02 tells it apart from a rotation extra (which starts with 0x01).
 */
#define AUDIT_SUBJECT_TAG		0x02u
#define AUDIT_SUBJECT_EXTRA_MAX		(3u + AUDIT_ID_MAX_BYTES)

/* Build the subject extra for (type, id) into out (AUDIT_SUBJECT_EXTRA_MAX
 * bytes). Rejects an empty or over-long id and bytes outside 0x21..0x7e,
 * as the entry decoder does. 0 with *out_len set, or -1. */
int audit_entry_subject_extra(uint8_t out[AUDIT_SUBJECT_EXTRA_MAX],
    size_t *out_len, unsigned type, const char *id)
    __attribute__((warn_unused_result));

/* Parse a subject extra (extra_len bytes) into *type and id (NUL-ended).
 * Rejects every other layout, an unknown object type and a bad id. 0 or -1. */
int audit_entry_subject_parse(const uint8_t *extra, size_t extra_len,
    unsigned *type, char id[AUDIT_ID_MAX_BYTES + 1])
    __attribute__((warn_unused_result));

/*
 * The extra of case.transfer and case.import (docs/audit.md, "Transfer
 * entries"): the bundle's id and the SHA-256 of the whole bundle file, the
 * same on both sides, so two organisations' logs can be matched:
 *   0x49 || 16-byte bundle id || 32-byte bundle hash
 */
#define AUDIT_BUNDLE_TAG		0x49u
#define AUDIT_BUNDLE_ID_BYTES		16u
#define AUDIT_BUNDLE_EXTRA_BYTES	(1u + AUDIT_BUNDLE_ID_BYTES + 32u)

void audit_entry_bundle_extra(uint8_t out[AUDIT_BUNDLE_EXTRA_BYTES],
    const uint8_t id[AUDIT_BUNDLE_ID_BYTES], const uint8_t hash[32]);
/* Split a bundle extra; any other layout is -1. */
int audit_entry_bundle_parse(const uint8_t *extra, size_t extra_len,
    uint8_t id[AUDIT_BUNDLE_ID_BYTES], uint8_t hash[32])
    __attribute__((warn_unused_result));

/*
 * The extra of a session.create that proved a second factor, and of
 * policy.two_factor (docs/audit.md, "Two-factor entries"): two bytes,
 *   0x46 || u8 factor: 1 a TOTP code, 2 a recovery code (used up)
 *   0x50 || u8 required: 1 every account needs two-factor login, 0 not
 */
#define AUDIT_FACTOR_TAG		0x46u
#define AUDIT_FACTOR_TOTP		1u
#define AUDIT_FACTOR_RECOVERY		2u
#define AUDIT_POLICY_TAG		0x50u
#define AUDIT_FLAG_EXTRA_BYTES		2u

/* Split a two-byte extra of the given tag: 0 with *value set, or -1 for
 * any other layout (or a value other than those above). */
int audit_entry_flag_parse(const uint8_t *extra, size_t extra_len,
    unsigned tag, unsigned *value) __attribute__((warn_unused_result));

/* Names, as in API.md ("case.read", "denied", "case", "caseworker").
 * A name function returns NULL for an unknown code; a code function returns
 * the code, or -1 for an unknown name (name_len bytes, no NUL needed). */
const char *audit_action_name(unsigned code);
int audit_action_code(const char *name, size_t name_len);
const char *audit_outcome_name(unsigned code);
int audit_outcome_code(const char *name, size_t name_len);
const char *audit_object_name(unsigned code);
int audit_object_code(const char *name, size_t name_len);
const char *audit_role_name(unsigned code);
int audit_role_code(const char *name, size_t name_len);

#endif
