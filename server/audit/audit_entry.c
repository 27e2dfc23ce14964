/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_entry: encode and strictly decode the canonical audit record, and
 * the name tables for its codes. Encoder and decoder share one validity
 * check, so the encoder can never produce bytes the decoder rejects.
 */
#include <string.h>

#include "server/audit/audit_entry.h"

/* --- name tables (index = code; NULL = unassigned) ----------------------- */

static const char *const action_names[AUDIT_ACTION_MAX + 1] = {
	[AUDIT_SESSION_CREATE] = "session.create",
	[AUDIT_SESSION_FAIL] = "session.fail",
	[AUDIT_SESSION_END] = "session.end",
	[AUDIT_USER_CREATE] = "user.create",
	[AUDIT_USER_CONFIRM] = "user.confirm",
	[AUDIT_USER_REVOKE] = "user.revoke",
	[AUDIT_USER_PASSWORD] = "user.password",
	[AUDIT_CASE_CREATE] = "case.create",
	[AUDIT_CASE_LIST] = "case.list",
	[AUDIT_CASE_READ] = "case.read",
	[AUDIT_CASE_UPDATE] = "case.update",
	[AUDIT_CASE_ASSIGN] = "case.assign",
	[AUDIT_CASE_UNASSIGN] = "case.unassign",
	[AUDIT_CASE_SHRED] = "case.shred",
	[AUDIT_CONTACT_CREATE] = "contact.create",
	[AUDIT_CONTACT_LIST] = "contact.list",
	[AUDIT_EVACUATION_CREATE] = "evacuation.create",
	[AUDIT_EVACUATION_LIST] = "evacuation.list",
	[AUDIT_EVACUATION_READ] = "evacuation.read",
	[AUDIT_EVACUATION_UPDATE] = "evacuation.update",
	[AUDIT_EVACUATION_ADD_CASE] = "evacuation.add_case",
	[AUDIT_AUDIT_READ] = "audit.read",
	[AUDIT_AUDIT_EXPORT] = "audit.export",
	[AUDIT_USER_LIST] = "user.list",
	[AUDIT_AUDIT_REASON_ERASE] = "audit.reason_erase",
	[AUDIT_AUDIT_KEY_ROTATE] = "audit.key_rotate",
	[AUDIT_ANON_SUMMARY] = "anonymous.summary",
	[AUDIT_SESSION_CONFIRM] = "session.confirm",
	[AUDIT_ATTACHMENT_CREATE] = "case.attachment.create",
	[AUDIT_ATTACHMENT_LIST] = "case.attachment.list",
	[AUDIT_ATTACHMENT_READ] = "case.attachment.read",
	[AUDIT_ATTACHMENT_DELETE] = "case.attachment.delete",
	[AUDIT_TOTP_BEGIN] = "user.totp.begin",
	[AUDIT_TOTP_ENROL] = "user.totp.enrol",
	[AUDIT_TWOFACTOR_POLICY] = "policy.two_factor",
	[AUDIT_CASE_LOOKUP] = "case.lookup",
	[AUDIT_CASE_REINDEX] = "case.reindex",
	[AUDIT_ACCOUNT_DURESS] = "account.duress",
	[AUDIT_ACCOUNT_PANIC] = "account.panic",
	[AUDIT_USER_DURESS] = "user.duress",
	[AUDIT_USER_RESET] = "user.reset",
	[AUDIT_USER_RESEAL] = "user.reseal",
	[AUDIT_SESSION_REVOKE] = "session.revoke",
	[AUDIT_USER_LOGINS] = "user.logins",
	[AUDIT_ALERT_LIST] = "alert.list",
	[AUDIT_CASE_TRANSFER] = "case.transfer",
	[AUDIT_CASE_IMPORT] = "case.import",
	[AUDIT_ACCOUNT_LOCKOUT] = "account.lockout",
	[AUDIT_TOTP_RECOVERY] = "user.totp.recovery",
};

static const char *const outcome_names[] = {
	[AUDIT_ALLOWED] = "allowed",
	[AUDIT_DENIED] = "denied",
	[AUDIT_ERROR] = "error",
};

static const char *const object_names[AUDIT_OBJECT_MAX + 1] = {
	[AUDIT_OBJ_NONE] = "none",
	[AUDIT_OBJ_USER] = "user",
	[AUDIT_OBJ_CASE] = "case",
	[AUDIT_OBJ_CONTACT] = "contact",
	[AUDIT_OBJ_EVACUATION] = "evacuation",
	[AUDIT_OBJ_AUDIT] = "audit",
	[AUDIT_OBJ_SESSION] = "session",
};

static const char *const role_names[] = {
	[AUDIT_ROLE_ANONYMOUS] = "anonymous",
	[AUDIT_ROLE_ADMIN] = "admin",
	[AUDIT_ROLE_COORDINATOR] = "coordinator",
	[AUDIT_ROLE_CASEWORKER] = "caseworker",
	[AUDIT_ROLE_AUDITOR] = "auditor",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *
table_name(const char *const *t, size_t n, unsigned code)
{
	return code < n ? t[code] : NULL;
}

static int
table_code(const char *const *t, size_t n, const char *name, size_t name_len)
{
	for (size_t i = 0; i < n; i++)
		if (t[i] != NULL && strlen(t[i]) == name_len &&
		    memcmp(t[i], name, name_len) == 0)
			return (int)i;
	return -1;
}

/*
 * The public pair over each table: audit_<kind>_name(code), NULL for an
 * unassigned code, and audit_<kind>_code(name, name_len), -1 for an
 * unknown name, for kind = action, outcome, object and role (see
 * audit_entry.h).
 */
#define NAME_TABLE_API(kind)						\
const char *								\
audit_##kind##_name(unsigned code)					\
{									\
	return table_name(kind##_names, NELEM(kind##_names), code);	\
}									\
									\
int									\
audit_##kind##_code(const char *name, size_t name_len)			\
{									\
	return table_code(kind##_names, NELEM(kind##_names), name,	\
	    name_len);							\
}

NAME_TABLE_API(action)
NAME_TABLE_API(outcome)
NAME_TABLE_API(object)
NAME_TABLE_API(role)

/* --- validity shared by encoder and decoder ------------------------------ */

static int
id_valid(const char *id, size_t len)
{
	if (len > AUDIT_ID_MAX_BYTES)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
			return 0;
	return 1;
}

static int summary_entry_valid(const struct audit_entry *e);

static int
codes_valid(const struct audit_entry *e)
{
	if (e->action == AUDIT_ANON_SUMMARY && !summary_entry_valid(e))
		return 0;
	return audit_role_name(e->role) != NULL &&
	    audit_action_name(e->action) != NULL &&
	    audit_object_name(e->object_type) != NULL &&
	    audit_outcome_name(e->outcome) != NULL &&
	    e->has_reason <= 1 &&
	    e->extra_len <= AUDIT_EXTRA_MAX_BYTES;
}

/* --- encoder ------------------------------------------------------------- */

struct wbuf {
	uint8_t *p;
	size_t len, max;
	int bad;
};

static void
put(struct wbuf *w, const void *src, size_t n)
{
	if (w->bad || n > w->max - w->len) {
		w->bad = 1;
		return;
	}
	if (n > 0)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

/* v as an n-byte big-endian integer (n <= 8). */
static void
put_be(struct wbuf *w, uint64_t v, size_t n)
{
	uint8_t b[8];

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	put(w, b, n);
}

static void
put_id(struct wbuf *w, const char *id, size_t id_max)
{
	size_t len = strnlen(id, id_max + 1);

	if (!id_valid(id, len)) {
		w->bad = 1;
		return;
	}
	put_be(w, len, 1);
	put(w, id, len);
}

int
audit_entry_encode(uint8_t *out, size_t out_max, size_t *out_len,
    const struct audit_entry *e)
{
	struct wbuf w = { out, 0, out_max, 0 };

	if (!codes_valid(e))
		return -1;
	put_be(&w, AUDIT_ENTRY_VERSION, 1);
	put_be(&w, e->seq, 8);
	put_be(&w, e->time_ms, 8);
	put_id(&w, e->actor_id, AUDIT_ID_MAX_BYTES);
	put_be(&w, e->role, 1);
	put_be(&w, e->action, 2);
	put_be(&w, e->object_type, 1);
	put_id(&w, e->object_id, AUDIT_ID_MAX_BYTES);
	put_be(&w, e->outcome, 1);
	put_id(&w, e->request_id, AUDIT_ID_MAX_BYTES);
	put_be(&w, e->has_reason, 1);
	if (e->has_reason)
		put(&w, e->reason_hash, AUDIT_HASH_BYTES);
	put_be(&w, e->extra_len, 2);
	put(&w, e->extra, e->extra_len);
	if (w.bad)
		return -1;
	*out_len = w.len;
	return 0;
}

/* --- decoder ------------------------------------------------------------- */

struct rbuf {
	const uint8_t *p;
	size_t len, off;
	int bad;
};

/* Return a pointer to the next n bytes, or NULL (and mark bad). */
static const uint8_t *
take(struct rbuf *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

/* The next n bytes (n <= 8) as a big-endian integer; 0 when short. */
static uint64_t
get_be(struct rbuf *r, size_t n)
{
	const uint8_t *p = take(r, n);
	uint64_t v = 0;

	if (p != NULL)
		for (size_t i = 0; i < n; i++)
			v = v << 8 | p[i];
	return v;
}

static void
get_id(struct rbuf *r, char out[AUDIT_ID_MAX_BYTES + 1])
{
	size_t len = (size_t)get_be(r, 1);
	const uint8_t *p;

	if (len > AUDIT_ID_MAX_BYTES) {
		r->bad = 1;
		return;
	}
	if ((p = take(r, len)) == NULL)
		return;
	if (!id_valid((const char *)p, len)) {
		r->bad = 1;
		return;
	}
	memcpy(out, p, len);
	out[len] = '\0';
}

int
audit_entry_decode(struct audit_entry *e, const uint8_t *buf, size_t buf_len)
{
	struct rbuf r = { buf, buf_len, 0, 0 };
	const uint8_t *p;

	memset(e, 0, sizeof(*e));
	if (buf_len < AUDIT_ENTRY_MIN || buf_len > AUDIT_ENTRY_MAX)
		goto bad;
	if (get_be(&r, 1) != AUDIT_ENTRY_VERSION)
		goto bad;
	e->seq = get_be(&r, 8);
	e->time_ms = get_be(&r, 8);
	get_id(&r, e->actor_id);
	e->role = (uint8_t)get_be(&r, 1);
	e->action = (uint16_t)get_be(&r, 2);
	e->object_type = (uint8_t)get_be(&r, 1);
	get_id(&r, e->object_id);
	e->outcome = (uint8_t)get_be(&r, 1);
	get_id(&r, e->request_id);
	e->has_reason = (uint8_t)get_be(&r, 1);
	if (e->has_reason == 1 && (p = take(&r, AUDIT_HASH_BYTES)) != NULL)
		memcpy(e->reason_hash, p, AUDIT_HASH_BYTES);
	e->extra_len = (uint16_t)get_be(&r, 2);
	if (e->extra_len > AUDIT_EXTRA_MAX_BYTES)
		goto bad;
	if ((p = take(&r, e->extra_len)) != NULL && e->extra_len > 0)
		memcpy(e->extra, p, e->extra_len);
	if (r.bad || r.off != buf_len || !codes_valid(e))
		goto bad;
	return 0;
bad:
	memset(e, 0, sizeof(*e));
	return -1;
}

void
audit_entry_rotation_extra(uint8_t out[AUDIT_ROTATE_EXTRA_BYTES],
    const uint8_t prev_pk[AUDIT_ROTATE_PK_BYTES],
    const uint8_t next_pk[AUDIT_ROTATE_PK_BYTES])
{
	out[0] = 0x01;
	memcpy(out + 1, prev_pk, AUDIT_ROTATE_PK_BYTES);
	out[1 + AUDIT_ROTATE_PK_BYTES] = 0x01;
	memcpy(out + 2 + AUDIT_ROTATE_PK_BYTES, next_pk, AUDIT_ROTATE_PK_BYTES);
}

int
audit_entry_rotation_parse(const uint8_t *extra, size_t extra_len,
    uint8_t prev_pk[AUDIT_ROTATE_PK_BYTES],
    uint8_t next_pk[AUDIT_ROTATE_PK_BYTES])
{
	if (extra_len != AUDIT_ROTATE_EXTRA_BYTES || extra[0] != 0x01 ||
	    extra[1 + AUDIT_ROTATE_PK_BYTES] != 0x01)
		return -1;
	memcpy(prev_pk, extra + 1, AUDIT_ROTATE_PK_BYTES);
	memcpy(next_pk, extra + 2 + AUDIT_ROTATE_PK_BYTES, AUDIT_ROTATE_PK_BYTES);
	/* public keys, so a plain comparison is fine */
	if (memcmp(prev_pk, next_pk, AUDIT_ROTATE_PK_BYTES) == 0)
		return -1;
	return 0;
}

/* --- anonymous summaries ------------------------------------------------- */

int
audit_entry_summary_parse(const uint8_t *extra, size_t extra_len,
    struct audit_summary *s)
{
	struct rbuf r = { extra, extra_len, 0, 0 };
	const uint8_t *prev = NULL;
	unsigned i;

	memset(s, 0, sizeof(*s));
	if (get_be(&r, 1) != AUDIT_SUMMARY_TAG)
		goto bad;
	s->from_ms = get_be(&r, 8);
	s->to_ms = get_be(&r, 8);
	s->n = (unsigned)get_be(&r, 1);
	if (r.bad || s->from_ms > s->to_ms || s->n < 1 ||
	    s->n > AUDIT_SUMMARY_KINDS_MAX ||
	    extra_len != AUDIT_SUMMARY_HEAD_BYTES +
	    (size_t)s->n * AUDIT_SUMMARY_KIND_BYTES)
		goto bad;
	for (i = 0; i < s->n; i++) {
		struct audit_summary_kind *k = &s->k[i];
		const uint8_t *key = extra + r.off;

		/* the 5-byte key (action, outcome, status) strictly grows */
		if (prev != NULL && memcmp(prev, key, 5) >= 0)
			goto bad;
		prev = key;
		k->action = (uint16_t)get_be(&r, 2);
		k->outcome = (uint8_t)get_be(&r, 1);
		k->status = (uint16_t)get_be(&r, 2);
		k->count = (uint32_t)get_be(&r, 4);
		if (audit_action_name(k->action) == NULL ||
		    k->action == AUDIT_ANON_SUMMARY ||
		    (k->outcome != AUDIT_DENIED && k->outcome != AUDIT_ERROR) ||
		    (k->status != 0 && (k->status < 400 || k->status > 599)) ||
		    k->count == 0)
			goto bad;
	}
	if (r.bad || r.off != extra_len)
		goto bad;
	return 0;
bad:
	memset(s, 0, sizeof(*s));
	return -1;
}

int
audit_entry_summary_extra(uint8_t out[AUDIT_SUMMARY_EXTRA_MAX],
    size_t *out_len, const struct audit_summary *s)
{
	struct audit_summary check;
	struct wbuf w = { out, 0, AUDIT_SUMMARY_EXTRA_MAX, 0 };

	if (s->n < 1 || s->n > AUDIT_SUMMARY_KINDS_MAX)
		return -1;
	put_be(&w, AUDIT_SUMMARY_TAG, 1);
	put_be(&w, s->from_ms, 8);
	put_be(&w, s->to_ms, 8);
	put_be(&w, s->n, 1);
	for (unsigned i = 0; i < s->n; i++) {
		put_be(&w, s->k[i].action, 2);
		put_be(&w, s->k[i].outcome, 1);
		put_be(&w, s->k[i].status, 2);
		put_be(&w, s->k[i].count, 4);
	}
	if (w.bad || audit_entry_summary_parse(out, w.len, &check) != 0)
		return -1;
	*out_len = w.len;
	return 0;
}

/* The entry around a summary: anonymous, no object, denied, no request
 * id or reason, and its counts end no later than the entry itself. */
static int
summary_entry_valid(const struct audit_entry *e)
{
	struct audit_summary s;

	return e->actor_id[0] == '\0' && e->role == AUDIT_ROLE_ANONYMOUS &&
	    e->object_type == AUDIT_OBJ_NONE && e->object_id[0] == '\0' &&
	    e->outcome == AUDIT_DENIED && e->request_id[0] == '\0' &&
	    e->has_reason == 0 &&
	    audit_entry_summary_parse(e->extra, e->extra_len, &s) == 0 &&
	    s.to_ms <= e->time_ms;
}

/* 1 if id (len bytes) is a valid entry id: 1..64 bytes of 0x21..0x7e */
static int
subject_id_ok(const uint8_t *id, size_t len)
{
	if (len == 0 || len > AUDIT_ID_MAX_BYTES)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (id[i] < 0x21 || id[i] > 0x7e)
			return 0;
	return 1;
}

int
audit_entry_subject_extra(uint8_t out[AUDIT_SUBJECT_EXTRA_MAX],
    size_t *out_len, unsigned type, const char *id)
{
	size_t n = id != NULL ? strnlen(id, AUDIT_ID_MAX_BYTES + 1) : 0;

	if (type == AUDIT_OBJ_NONE || type > AUDIT_OBJECT_MAX ||
	    !subject_id_ok((const uint8_t *)id, n))
		return -1;
	out[0] = AUDIT_SUBJECT_TAG;
	out[1] = (uint8_t)type;
	out[2] = (uint8_t)n;
	memcpy(out + 3, id, n);
	*out_len = 3 + n;
	return 0;
}

int
audit_entry_subject_parse(const uint8_t *extra, size_t extra_len,
    unsigned *type, char id[AUDIT_ID_MAX_BYTES + 1])
{
	if (extra_len < 4 || extra[0] != AUDIT_SUBJECT_TAG ||
	    extra[1] == AUDIT_OBJ_NONE || extra[1] > AUDIT_OBJECT_MAX ||
	    (size_t)extra[2] + 3 != extra_len ||
	    !subject_id_ok(extra + 3, extra[2]))
		return -1;
	*type = extra[1];
	memcpy(id, extra + 3, extra[2]);
	id[extra[2]] = '\0';
	return 0;
}

void
audit_entry_bundle_extra(uint8_t out[AUDIT_BUNDLE_EXTRA_BYTES],
    const uint8_t id[AUDIT_BUNDLE_ID_BYTES], const uint8_t hash[32])
{
	out[0] = AUDIT_BUNDLE_TAG;
	memcpy(out + 1, id, AUDIT_BUNDLE_ID_BYTES);
	memcpy(out + 1 + AUDIT_BUNDLE_ID_BYTES, hash, 32);
}

int
audit_entry_flag_parse(const uint8_t *extra, size_t extra_len, unsigned tag,
    unsigned *value)
{
	if (extra == NULL || extra_len != AUDIT_FLAG_EXTRA_BYTES ||
	    extra[0] != tag)
		return -1;
	if (tag == AUDIT_FACTOR_TAG && extra[1] != AUDIT_FACTOR_TOTP &&
	    extra[1] != AUDIT_FACTOR_RECOVERY)
		return -1;
	if (tag == AUDIT_POLICY_TAG && extra[1] > 1)
		return -1;
	*value = extra[1];
	return 0;
}

int
audit_entry_bundle_parse(const uint8_t *extra, size_t extra_len,
    uint8_t id[AUDIT_BUNDLE_ID_BYTES], uint8_t hash[32])
{
	if (extra_len != AUDIT_BUNDLE_EXTRA_BYTES ||
	    extra[0] != AUDIT_BUNDLE_TAG)
		return -1;
	memcpy(id, extra + 1, AUDIT_BUNDLE_ID_BYTES);
	memcpy(hash, extra + 1 + AUDIT_BUNDLE_ID_BYTES, 32);
	return 0;
}
