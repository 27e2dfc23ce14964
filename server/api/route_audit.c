/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_audit: the audit log's endpoints. Auditors list entries, fetch the
 * latest signed checkpoint and the verifier key, ask for RFC 9162 inclusion
 * and consistency proofs, and download the whole log in the export format
 * of docs/audit.md, streamed from a read snapshot. Admins erase break-glass
 * reasons. Every call is itself audited by the dispatcher (audit.read,
 * audit.export, audit.reason_erase) through the route table below.
 *
 * The checkpoint carries the cosignatures the witnesses gave it
 * (server/core/cosign.h); /audit/witnesses shows their state and lag.
 *
 * The tiles themselves are served in the tlog-tiles layout (audit.read,
 * like the proofs), so an auditor's tool can check the log incrementally.
 *
 * Proofs are computed from the stored tlog tiles (schema/store_tiles.h):
 * a proof on a tree of n entries reads O(log n) tiles and hashes at most
 * 127 nodes per sibling; sizes are capped at the durable size of the log.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "crypto/encode.h"
#include "crypto/hash.h"
#include "crypto/merkle.h"
#include "crypto/secmem.h"
#include "crypto/tile.h"
#include "crypto/xfer.h"
#include "schema/store_audit.h"
#include "schema/store_tiles.h"
#include "server/audit/audit.h"
#include "server/audit/audit_export.h"
#include "server/audit/audit_reason.h"
#include "server/core/cosign.h"
#include "server/core/session.h"
#include "server/http/jsonin.h"
#include "server/http/jsonout.h"
#include "server/api/route.h"
#include "server/http/rfc3339.h"
#include "server/log/log.h"

/* --- query strings ------------------------------------------------------------ */

struct query_check {
	const char *const	*allowed;
	int			 bad;
};

static enum MHD_Result
query_one(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct query_check *q = cls;
	size_t i;

	(void)kind;
	(void)value;
	for (i = 0; q->allowed[i] != NULL; i++)
		if (strcmp(key, q->allowed[i]) == 0)
			return MHD_YES;
	q->bad = 1;
	return MHD_NO;
}

/* Refuse parameters outside allowed. 0, or -1 after answering 400. */
static int
query_only(struct req *r, const char *const *allowed)
{
	struct query_check q = { allowed, 0 };

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_one,
	    &q);
	if (q.bad) {
		req_problem(r, 400, "invalid-query",
		    "This resource does not take these query parameters.");
		return -1;
	}
	return 0;
}

/* A required unsigned parameter. 0, or -1 after answering 400. */
static int
query_required(struct req *r, const char *name, uint64_t *out)
{
	if (req_query(r, name) == NULL) {
		req_problem(r, 400, "invalid-query",
		    "A required query parameter is missing.");
		return -1;
	}
	return req_query_u64(r, name, 0, (uint64_t)INT64_MAX, out);
}

static void
out_of_range(struct req *r)
{
	req_problem(r, 422, "out-of-range", "The requested index or tree size "
	    "is beyond the durable size of the log.");
}

/* --- GET /audit ----------------------------------------------------------------- */

/* The page is written as JSON text (server/http/jsonout.h): through a
 * jansson tree an entry cost ~40 allocations (issue 17). Members and their
 * order are as they were. A stored reason is free text that may not be
 * UTF-8: jsonout_text writes anything but printable ASCII as '?' then. */

static void
id_or_null(struct jsonout *o, const char *id)
{
	jsonout_string(o, id[0] != '\0' ? id : NULL);
}

struct list_ctx {
	struct req	*r;
	struct jsonout	 out;
	int		 bad;	/* a stored entry does not decode */
	int		 failed;	/* the store failed */
};

/* An anonymous.summary's counts, decoded for GET /audit: the interval
 * and one object per kind. -1 if it does not parse (the decoder has
 * checked it, so never), before anything is written. */
static int
summary_out(struct jsonout *o, const struct audit_entry *e)
{
	struct audit_summary s;
	char from[RFC3339_MS_BYTES], to[RFC3339_MS_BYTES];

	if (audit_entry_summary_parse(e->extra, e->extra_len, &s) != 0)
		return -1;
	rfc3339_format_ms(from, s.from_ms);
	rfc3339_format_ms(to, s.to_ms);
	jsonout_object_begin(o);
	jsonout_key(o, "from");
	jsonout_string(o, from);
	jsonout_key(o, "to");
	jsonout_string(o, to);
	jsonout_key(o, "counts");
	jsonout_array_begin(o);
	for (unsigned i = 0; i < s.n; i++) {
		jsonout_object_begin(o);
		jsonout_key(o, "action");
		jsonout_string(o, audit_action_name(s.k[i].action));
		jsonout_key(o, "outcome");
		jsonout_string(o, audit_outcome_name(s.k[i].outcome));
		jsonout_key(o, "status");
		jsonout_int(o, (int)s.k[i].status);
		jsonout_key(o, "count");
		jsonout_int(o, (int64_t)s.k[i].count);
		jsonout_object_end(o);
	}
	jsonout_array_end(o);
	jsonout_object_end(o);
	return 0;
}

/*
 * A sealed reason, for the auditor asking: opened with their key pair from
 * their session and shown with its salt (so that they can check it against
 * the entry's hash); "reason_sealed" when they hold no copy that opens.
 * 0, or -1 if the store failed.
 */
static int
sealed_reason_out(struct list_ctx *c, uint64_t seq)
{
	struct req *r = c->r;
	const uint8_t *pk = NULL;
	uint8_t sk[32];
	uint8_t salt[AUDIT_REASON_SALT_BYTES], text[AUDIT_REASON_MAX_BYTES];
	char b64[32];
	size_t len = 0;
	int rc = 1;

	/* the auditor's secret key, opened with the request's K_s for this
	 * one reason and wiped below */
	if (r->sess != NULL && (pk = session_pk(r->sess)) != NULL &&
	    session_sk_open(r->sess, r->sess_key, sk) == 0)
		rc = audit_reason_open(r->db, seq, r->actor_id, pk, sk, salt,
		    text, &len);
	secmem_wipe(sk, sizeof(sk));
	if (rc == 0) {
		jsonout_key(&c->out, "reason");
		jsonout_text(&c->out, text, len);
		if (encode_b64(b64, sizeof(b64), salt, sizeof(salt)) == 0) {
			jsonout_key(&c->out, "reason_salt");
			jsonout_string(&c->out, b64);
		}
	} else if (rc == 1) {
		jsonout_key(&c->out, "reason_sealed");
		jsonout_bool(&c->out, 1);
	}
	secmem_wipe(salt, sizeof(salt));
	secmem_wipe(text, sizeof(text));
	return rc < 0 ? -1 : 0;
}

static int
list_one(void *arg, const struct store_audit_item *it)
{
	struct list_ctx *c = arg;
	struct jsonout *o = &c->out;
	struct audit_entry e;
	char t[32], b64[512], sid[AUDIT_ID_MAX_BYTES + 1], hex[65];
	uint8_t bid[AUDIT_BUNDLE_ID_BYTES], bhash[32];
	unsigned stype, flag;

	if (audit_entry_decode(&e, it->entry, it->entry_len) != 0 ||
	    e.seq != it->seq) {
		c->bad = 1;
		return 1;
	}
	rfc3339_format_ms(t, e.time_ms);
	jsonout_object_begin(o);
	jsonout_key(o, "seq");
	jsonout_int(o, (int64_t)e.seq);
	jsonout_key(o, "time");
	jsonout_string(o, t);
	jsonout_key(o, "actor_id");
	id_or_null(o, e.actor_id);
	jsonout_key(o, "role");
	jsonout_string(o, audit_role_name(e.role));
	jsonout_key(o, "action");
	jsonout_string(o, audit_action_name(e.action));
	jsonout_key(o, "object_type");
	jsonout_string(o, audit_object_name(e.object_type));
	jsonout_key(o, "object_id");
	id_or_null(o, e.object_id);
	jsonout_key(o, "outcome");
	jsonout_string(o, audit_outcome_name(e.outcome));
	jsonout_key(o, "request_id");
	id_or_null(o, e.request_id);
	if (e.has_reason && it->reason != NULL) {	/* not sealed yet */
		jsonout_key(o, "reason");
		jsonout_text(o, it->reason, it->reason_len);
	}
	if (e.has_reason && it->reason_erased) {
		jsonout_key(o, "reason_erased");
		jsonout_bool(o, 1);
	}
	if (e.has_reason && it->reason == NULL && !it->reason_erased &&
	    sealed_reason_out(c, e.seq) != 0) {
		c->failed = 1;
		return 1;
	}
	if (e.extra_len > 0 && encode_b64(b64, sizeof(b64), e.extra,
	    e.extra_len) == 0) {
		jsonout_key(o, "extra");
		jsonout_string(o, b64);
	}
	if (e.action == AUDIT_ANON_SUMMARY) {
		jsonout_key(o, "summary");
		if (summary_out(o, &e) != 0)
			return 1;
	}
	/* a grant's other party, decoded from the signed extra */
	if (e.extra_len > 0 && audit_entry_subject_parse(e.extra, e.extra_len,
	    &stype, sid) == 0) {
		jsonout_key(o, "subject_type");
		jsonout_string(o, audit_object_name(stype));
		jsonout_key(o, "subject_id");
		jsonout_string(o, sid);
	}
	/* the second factor of a login, the policy a switch set */
	if (e.action == AUDIT_SESSION_CREATE && audit_entry_flag_parse(e.extra,
	    e.extra_len, AUDIT_FACTOR_TAG, &flag) == 0) {
		jsonout_key(o, "second_factor");
		jsonout_string(o, flag == AUDIT_FACTOR_RECOVERY ?
		    "recovery_code" : "totp");
	}
	if (e.action == AUDIT_TWOFACTOR_POLICY && audit_entry_flag_parse(
	    e.extra, e.extra_len, AUDIT_POLICY_TAG, &flag) == 0) {
		jsonout_key(o, "two_factor_required");
		jsonout_bool(o, (int)flag);
	}
	/* a transfer's bundle, to match the partner's case.import */
	if ((e.action == AUDIT_CASE_TRANSFER || e.action == AUDIT_CASE_IMPORT)
	    && audit_entry_bundle_parse(e.extra, e.extra_len, bid, bhash) == 0
	    && encode_hex(hex, sizeof(hex), bid, sizeof(bid)) == 0) {
		jsonout_key(o, "bundle_id");
		jsonout_string(o, hex);
		if (encode_hex(hex, sizeof(hex), bhash, sizeof(bhash)) == 0) {
			jsonout_key(o, "bundle_hash");
			jsonout_string(o, hex);
		}
	}
	jsonout_object_end(o);
	return o->err;
}

/* An RFC 3339 time parameter, to the second (a fraction is dropped), as
 * Unix milliseconds. 0 (absent: *has = 0), or -1 after answering 400. */
static int
query_time(struct req *r, const char *name, int *has, int64_t *ms)
{
	const char *v;
	int64_t sec;
	int rc;

	*has = 0;
	/* the text check refuses a NUL that would cut the value short */
	if ((rc = req_query_text(r, name, MAX_TIME_QUERY_BYTES, &v)) <= 0)
		return rc;
	if (rfc3339_parse(v, &sec) != 0) {
		req_problem(r, 400, "invalid-query", "since and until are "
		    "RFC 3339 times, such as 2026-01-31T12:00:00Z.");
		return -1;
	}
	*has = 1;
	*ms = sec * 1000;
	return 0;
}

static void
audit_list_route(struct req *r)
{
	static const char *const allowed[] = { "after", "limit", "case_id",
	    "actor_id", "action", "since", "until", NULL };
	struct store_audit_filter f;
	struct list_ctx c;
	const char *action;
	uint64_t after, limit;
	int code;

	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	c.r = r;
	if (query_only(r, allowed) != 0 ||
	    req_query_u64(r, "after", UINT64_MAX, (uint64_t)INT64_MAX - 1,
	    &after) != 0 ||
	    req_query_u64(r, "limit", DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT,
	    &limit) != 0)
		return;
	f.after = after == UINT64_MAX ? -1 : (int64_t)after;
	f.limit = (unsigned)limit;
	f.case_id = req_query(r, "case_id");
	f.actor_id = req_query(r, "actor_id");
	action = req_query(r, "action");
	if (limit == 0 || (f.case_id != NULL && !jsonin_is_id(f.case_id)) ||
	    (f.actor_id != NULL && !jsonin_is_id(f.actor_id))) {
		req_problem(r, 400, "invalid-query",
		    "limit is 1..500, and case_id and actor_id are ids.");
		return;
	}
	if (action != NULL) {
		if ((code = audit_action_code(action, strlen(action))) < 0) {
			req_problem(r, 400, "invalid-query",
			    "action is not an audit action name.");
			return;
		}
		f.action = code;
	}
	if (query_time(r, "since", &f.has_since, &f.since_ms) != 0 ||
	    query_time(r, "until", &f.has_until, &f.until_ms) != 0)
		return;
	jsonout_init(&c.out);
	jsonout_object_begin(&c.out);
	jsonout_key(&c.out, "entries");
	jsonout_array_begin(&c.out);
	if (store_audit_list(r->db, &f, list_one, &c) != STORE_OK || c.bad ||
	    c.failed) {
		if (c.bad)
			req_problem(r, 500, "audit-damaged", "A stored audit "
			    "entry is damaged; verify an export.");
		else if (c.out.err)
			req_internal(r);
		else
			req_unavailable(r);
		jsonout_free(&c.out);
		return;
	}
	jsonout_array_end(&c.out);
	jsonout_object_end(&c.out);
	req_json_text(r, 200, &c.out);
}

/* --- checkpoint and key -------------------------------------------------------- */

static void
audit_checkpoint_route(struct req *r)
{
	char *buf;
	size_t len = 0;
	uint64_t size;

	if ((buf = malloc(NOTE_MAX_BYTES)) == NULL) {
		req_internal(r);
		return;
	}
	if (audit_latest_checkpoint(buf, NOTE_MAX_BYTES, &len, &size) != 0) {
		free(buf);
		req_unavailable(r);
		return;
	}
	/* with the witnesses' cosignatures over exactly this checkpoint */
	cosign_decorate(buf, NOTE_MAX_BYTES, &len);
	req_raw(r, 200, "text/plain; charset=utf-8", buf, len);
}

/* The witnesses' state and lag behind the latest checkpoint. */
static void
audit_witnesses_route(struct req *r)
{
	char *buf;
	size_t len = 0;
	uint64_t size = 0;
	json_t *arr;

	if ((buf = malloc(NOTE_MAX_BYTES)) == NULL) {
		req_internal(r);
		return;
	}
	if (audit_latest_checkpoint(buf, NOTE_MAX_BYTES, &len, &size) != 0)
		size = 0;
	free(buf);
	if ((arr = cosign_status_json(size)) == NULL) {
		req_internal(r);
		return;
	}
	req_json(r, 200, json_pack("{s:I, s:o}", "checkpoint_size",
	    (json_int_t)size, "witnesses", arr));
}

static void
audit_public_key_route(struct req *r)
{
	struct note_vkey vk;
	char text[NOTE_VKEY_MAX_BYTES], b64[64], id[9], fp[XFER_FP_CHARS];

	audit_vkey(&vk);
	xfer_fingerprint(fp, vk.pk);
	if (note_vkey_format(text, sizeof(text), &vk) != NOTE_OK ||
	    encode_b64(b64, sizeof(b64), vk.pk, sizeof(vk.pk)) != 0 ||
	    snprintf(id, sizeof(id), "%08" PRIx32, vk.key_id) != 8) {
		req_internal(r);
		return;
	}
	req_json(r, 200, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
	    "origin", vk.name, "algorithm", "ed25519", "public_key", b64,
	    "key_id", id, "vkey", text, "fingerprint", fp));
}

/* --- proofs ----------------------------------------------------------------------- */

static json_t *
hashes_json(const uint8_t *proof, size_t len)
{
	json_t *arr = json_array();
	char b64[64];

	for (size_t off = 0; arr != NULL && off < len;
	    off += MERKLE_HASH_BYTES) {
		if (encode_b64(b64, sizeof(b64), proof + off,
		    MERKLE_HASH_BYTES) != 0 ||
		    json_array_append_new(arr, json_string(b64)) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

struct one_entry {
	char	b64[AUDIT_ENTRY_MAX * 2];
	int	found;
};

static int
entry_b64(void *arg, const struct store_audit_item *it)
{
	struct one_entry *o = arg;

	if (encode_b64(o->b64, sizeof(o->b64), it->entry, it->entry_len) != 0)
		return -1;
	o->found = 1;
	return 0;
}

static void
audit_inclusion_route(struct req *r)
{
	static const char *const allowed[] = { "seq", "size", NULL };
	uint8_t proof[MERKLE_PROOF_MAX_BYTES];
	struct store_tiles_reader *rd;
	struct one_entry one;
	char *note;
	uint64_t seq, size, durable, cp_size = 0;
	size_t len = 0, note_len;
	json_t *hashes;
	int rc;

	durable = audit_durable_size();
	/* by default, the tree of the latest checkpoint */
	if ((note = malloc(NOTE_MAX_BYTES)) == NULL) {
		req_internal(r);
		return;
	}
	if (audit_latest_checkpoint(note, NOTE_MAX_BYTES, &note_len,
	    &cp_size) != 0 || cp_size > durable)
		cp_size = durable;	/* a checkpoint not yet flushed */
	free(note);
	if (query_only(r, allowed) != 0 || query_required(r, "seq", &seq) != 0 ||
	    req_query_u64(r, "size", cp_size, (uint64_t)INT64_MAX, &size) != 0)
		return;
	if (size > durable || seq >= size) {
		out_of_range(r);
		return;
	}
	memset(&one, 0, sizeof(one));
	if (store_audit_entries(r->db, seq, seq + 1, 1, entry_b64, &one) !=
	    STORE_OK || !one.found) {
		req_unavailable(r);
		return;
	}
	if ((rd = malloc(sizeof(*rd))) == NULL) {
		req_internal(r);
		return;
	}
	store_tiles_reader_init(rd, r->db, size);
	rc = merkle_inclusion_proof_nodes(proof, sizeof(proof), &len, seq,
	    size, store_tiles_node, rd);
	free(rd);
	if (rc != 0 || (hashes = hashes_json(proof, len)) == NULL) {
		req_unavailable(r);
		return;
	}
	req_json(r, 200, json_pack("{s:I, s:I, s:o, s:s}",
	    "leaf_index", (json_int_t)seq, "tree_size", (json_int_t)size,
	    "hashes", hashes, "entry", one.b64));
}

static void
audit_consistency_route(struct req *r)
{
	static const char *const allowed[] = { "from", "to", NULL };
	uint8_t proof[MERKLE_PROOF_MAX_BYTES];
	struct store_tiles_reader *rd;
	uint64_t from, to;
	size_t len = 0;
	json_t *hashes;
	int rc;

	if (query_only(r, allowed) != 0 || query_required(r, "from", &from) !=
	    0 || query_required(r, "to", &to) != 0)
		return;
	if (from > to || to > audit_durable_size()) {
		out_of_range(r);
		return;
	}
	if ((rd = malloc(sizeof(*rd))) == NULL) {
		req_internal(r);
		return;
	}
	store_tiles_reader_init(rd, r->db, to);
	rc = merkle_consistency_proof_nodes(proof, sizeof(proof), &len, from,
	    to, store_tiles_node, rd);
	free(rd);
	if (rc != 0 || (hashes = hashes_json(proof, len)) == NULL) {
		req_unavailable(r);
		return;
	}
	req_json(r, 200, json_pack("{s:I, s:I, s:o}", "from", (json_int_t)from,
	    "to", (json_int_t)to, "hashes", hashes));
}

/* --- tiles ------------------------------------------------------------------------- */

/* An entry bundle: each entry as 2-byte big-endian length and bytes. */
struct bundle {
	uint8_t		*buf;
	size_t		 len, cap;
	uint64_t	 next;		/* the seq expected next */
};

static int
bundle_add(void *arg, const struct store_audit_item *it)
{
	struct bundle *b = arg;

	if (it->seq != b->next || it->entry_len > 0xffff ||
	    b->cap - b->len < 2 + it->entry_len)
		return -1;
	b->buf[b->len++] = (uint8_t)(it->entry_len >> 8);
	b->buf[b->len++] = (uint8_t)it->entry_len;
	memcpy(b->buf + b->len, it->entry, it->entry_len);
	b->len += it->entry_len;
	b->next++;
	return 0;
}

/*
 * GET /audit/tile/<L>/<N>[.p/<W>] and /audit/tile/entries/<N>[.p/<W>]
 * (docs/audit.md, "Tiles"), for the tree of the durable size: a tile
 * exists when it has hashes at that size; a partial one may be asked for
 * at any width up to its width there (a prefix of every later one), a
 * full one only once it is full. Malformed paths are 400, well-formed ones
 * that name no tile of the tree 404.
 */
static void
audit_tile_route(struct req *r)
{
	const char *p = r->path + strlen("/audit/");
	struct tile_id t;
	struct bundle b;
	uint64_t durable = audit_durable_size();
	unsigned have;
	uint8_t *buf;
	int rc;

	if (tile_path_parse(&t, p, strlen(p)) != 0) {
		req_problem(r, 400, "invalid-tile-path", "The path is not a "
		    "tlog-tiles tile or entry bundle path.");
		return;
	}
	have = t.level < STORE_TILES_LEVELS ?
	    tile_width_at(t.level, t.index, durable) : 0;
	if (have == 0 || t.width > have) {
		req_problem(r, 404, "not-found", "The log has no such tile.");
		return;
	}
	if (!t.entries) {
		if ((buf = malloc((size_t)t.width * MERKLE_HASH_BYTES)) ==
		    NULL) {
			req_internal(r);
			return;
		}
		rc = store_tiles_read(r->db, t.level, t.index, t.width, buf);
		if (rc != STORE_OK) {
			free(buf);
			req_unavailable(r);
			return;
		}
		req_raw(r, 200, "application/octet-stream", (char *)buf,
		    (size_t)t.width * MERKLE_HASH_BYTES);
		return;
	}
	memset(&b, 0, sizeof(b));
	b.cap = (size_t)t.width * (2 + AUDIT_ENTRY_MAX);
	b.next = t.index * TILE_WIDTH;
	if ((b.buf = malloc(b.cap)) == NULL) {
		req_internal(r);
		return;
	}
	if (store_audit_entries(r->db, b.next, b.next + t.width, t.width,
	    bundle_add, &b) != STORE_OK || b.next != t.index * TILE_WIDTH +
	    t.width) {
		free(b.buf);
		req_unavailable(r);
		return;
	}
	req_raw(r, 200, "application/octet-stream", (char *)b.buf, b.len);
}

/* --- export ------------------------------------------------------------------------ */

/* Exports streaming now; at most MAX_AUDIT_EXPORTS (limits.h). */
static struct req_streams exports = REQ_STREAMS_INIT(MAX_AUDIT_EXPORTS);

/* Entries read per batch while streaming. */
#define EXPORT_BATCH	256u

struct export_stream {
	struct store		*db;	/* pooled, holds the read snapshot */
	int			 snapshot;
	uint64_t		 n;	/* entries in the snapshot */
	uint64_t		 next;	/* next entry to write */
	/* the next stored checkpoint, read ahead */
	int			 cp_have, cp_done;
	int64_t			 cp_id;
	uint64_t		 cp_size;
	size_t			 cp_len;
	char			 cp_note[NOTE_MAX_BYTES];
	/* signed for this export, committed after the snapshot was taken */
	char			 final_note[NOTE_MAX_BYTES];
	size_t			 final_len;
	/* output */
	char			*buf;
	size_t			 len, off, cap;
	int			 failed, done;
	struct audit_export_writer w;
};

static int
export_sink(void *arg, const void *p, size_t len)
{
	struct export_stream *es = arg;
	char *nb;
	size_t cap;

	if (es->len + len > es->cap) {
		cap = es->cap ? es->cap : HTTP_STREAM_BLOCK_BYTES;
		while (cap < es->len + len)
			cap *= 2;
		if ((nb = realloc(es->buf, cap)) == NULL)
			return -1;
		es->buf = nb;
		es->cap = cap;
	}
	memcpy(es->buf + es->len, p, len);
	es->len += len;
	return 0;
}

static int
export_cp(void *arg, int64_t id, uint64_t size, const char *note,
    size_t note_len)
{
	struct export_stream *es = arg;

	if (note_len == 0 || note_len > sizeof(es->cp_note))
		return -1;
	memcpy(es->cp_note, note, note_len);
	es->cp_len = note_len;
	es->cp_id = id;
	es->cp_size = size;
	es->cp_have = 1;
	return 0;
}

static int
export_entry(void *arg, const struct store_audit_item *it)
{
	struct export_stream *es = arg;

	if (it->seq != es->next ||
	    audit_export_put_entry(&es->w, it->entry, it->entry_len) != 0)
		return -1;
	es->next++;
	return 0;
}

/*
 * Produce more export lines into es->buf, until it holds want bytes or the
 * export is complete. Entries and stored checkpoints are merged in log
 * order: a checkpoint of size S right after entry S - 1. The writer checks
 * the order, seq numbers and times, so a damaged stored log stops the
 * export instead of producing a file that looks complete. 0 or -1.
 */
static int
export_produce(struct export_stream *es, size_t want)
{
	uint64_t from, to;

	while (es->len < want && !es->done) {
		if (!es->cp_have && !es->cp_done) {
			if (store_audit_checkpoints(es->db, es->n, es->cp_size,
			    es->cp_id, 1, export_cp, es) != STORE_OK)
				return -1;
			if (!es->cp_have)
				es->cp_done = 1;
		}
		if (es->cp_have && es->cp_size <= es->next) {
			if (audit_export_put_checkpoint(&es->w, es->cp_note,
			    es->cp_len) != 0)
				return -1;
			es->cp_have = 0;
			continue;
		}
		if (es->next < es->n) {
			from = es->next;
			to = es->cp_have ? es->cp_size : es->n;
			if (store_audit_entries(es->db, from, to, EXPORT_BATCH,
			    export_entry, es) != STORE_OK)
				return -1;
			if (es->next == from)
				return -1;	/* a gap in the stored log */
			continue;
		}
		/* everything stored is out: close with the checkpoint signed
		 * for this export if the last one does not cover the log */
		if (audit_export_finish(&es->w) != AUDIT_EXPORT_OK &&
		    (es->final_len == 0 ||
		    audit_export_put_checkpoint(&es->w, es->final_note,
		    es->final_len) != 0 ||
		    audit_export_finish(&es->w) != AUDIT_EXPORT_OK))
			return -1;
		es->done = 1;
	}
	return 0;
}

static ssize_t
export_read(void *arg, char *out, size_t max)
{
	struct export_stream *es = arg;
	size_t n;

	if (es->failed)
		return -1;
	if (es->off == es->len) {
		es->off = es->len = 0;
		if (export_produce(es, max) != 0) {
			es->failed = 1;
			/* ids only: the seq where the stored log stopped */
			log_line(LOG_ERROR, "audit export stopped at seq "
			    "%" PRIu64 ": the stored log is damaged or "
			    "unreadable", es->next);
			return -1;
		}
	}
	n = es->len - es->off;
	if (n > max)
		n = max;
	memcpy(out, es->buf + es->off, n);
	es->off += n;
	return (ssize_t)n;
}

static void
export_free(void *arg)
{
	struct export_stream *es = arg;

	if (es->db != NULL) {
		if (es->snapshot)
			store_audit_snapshot_end(es->db);
		store_pool_release(es->db);
	}
	free(es->buf);
	free(es);
	req_streams_give(&exports);
}

static void
audit_export_route(struct req *r)
{
	struct export_stream *es;
	struct req_stream st;
	struct note_vkey vk;
	uint64_t n;

	if (req_streams_take(r, &exports, "Too many exports at once; retry.")
	    != 0)
		return;
	if ((es = calloc(1, sizeof(*es))) == NULL) {
		req_streams_give(&exports);
		req_internal(r);
		return;
	}
	es->cp_id = -1;
	st.read = export_read;
	st.free = export_free;
	st.arg = es;
	/* the connection first: never wait for the pool holding the lock */
	if ((es->db = store_pool_acquire()) == NULL)
		goto unavailable;
	if (req_write_begin(r) != 0)
		goto fail;
	/* Under the write lock nothing commits: the snapshot holds exactly
	 * the committed tree, and the checkpoint signed for its size (if
	 * the latest does not cover it) commits with this request's entry.
	 * That entry (seq n) is the first one after the export. */
	if (store_audit_snapshot_begin(es->db) != STORE_OK)
		goto unavailable;
	es->snapshot = 1;
	if (audit_checkpoint_in_tx(r->db, &n, es->final_note,
	    &es->final_len) != 0)
		goto unavailable;
	es->n = n;
	audit_vkey(&vk);
	if (audit_export_begin(&es->w, export_sink, es, &vk) != 0)
		goto unavailable;
	req_stream(r, 200, "text/plain; charset=us-ascii", &st);
	return;
unavailable:
	req_unavailable(r);
fail:
	export_free(es);
}

/* --- reasons ------------------------------------------------------------------------ */

static void
audit_reason_erase_route(struct req *r)
{
	static const char *const allowed[] = { "seq", NULL };
	char id[24];
	int64_t seq = 0;
	int rc, was;

	if (jsonin_only(r->json, allowed) != JSONIN_OK ||
	    jsonin_int(r->json, "seq", 1, 0, INT64_MAX, &seq, NULL) !=
	    JSONIN_OK) {
		req_bad_body(r);
		return;
	}
	/* the object of an erasure is the entry, by its seq */
	snprintf(id, sizeof(id), "%" PRId64, seq);
	req_audit_object(r, AUDIT_OBJ_AUDIT, id);
	if (req_write_begin(r) != 0)
		return;
	rc = store_audit_reason_erase(r->db, (uint64_t)seq,
	    (int64_t)audit_now_ms(), &was);
	if (rc == STORE_ENOTFOUND) {
		req_problem(r, 404, "not-found",
		    "No entry with a break-glass reason has that seq.");
		return;
	}
	if (rc != STORE_OK) {
		req_unavailable(r);
		return;
	}
	/* after the commit, push the old page out of the WAL (best effort,
	 * as after a shred) */
	r->after.checkpoint = !was;
	req_no_content(r);
}

const struct route route_audit_table[] = {
	{ M_GET, "/audit", R_AUDITOR, ROUTE_QUERY, AUDIT_AUDIT_READ,
	  AUDIT_OBJ_AUDIT, audit_list_route },
	{ M_GET, "/audit/checkpoint", R_AUDITOR, 0, AUDIT_AUDIT_READ,
	  AUDIT_OBJ_AUDIT, audit_checkpoint_route },
	{ M_GET, "/audit/witnesses", R_AUDITOR, 0, AUDIT_AUDIT_READ,
	  AUDIT_OBJ_AUDIT, audit_witnesses_route },
	{ M_GET, "/audit/public-key", R_AUDITOR, 0, AUDIT_AUDIT_READ,
	  AUDIT_OBJ_AUDIT, audit_public_key_route },
	{ M_GET, "/audit/proof/inclusion", R_AUDITOR, ROUTE_QUERY,
	  AUDIT_AUDIT_READ, AUDIT_OBJ_AUDIT, audit_inclusion_route },
	{ M_GET, "/audit/proof/consistency", R_AUDITOR, ROUTE_QUERY,
	  AUDIT_AUDIT_READ, AUDIT_OBJ_AUDIT, audit_consistency_route },
	{ M_GET, "/audit/tile/*", R_AUDITOR, 0, AUDIT_AUDIT_READ,
	  AUDIT_OBJ_AUDIT, audit_tile_route },
	{ M_GET, "/audit/export", R_AUDITOR, 0, AUDIT_AUDIT_EXPORT,
	  AUDIT_OBJ_AUDIT, audit_export_route },
	{ M_POST, "/audit/reasons/erase", R_ADMIN, ROUTE_BODY,
	  AUDIT_AUDIT_REASON_ERASE, AUDIT_OBJ_AUDIT, audit_reason_erase_route },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
