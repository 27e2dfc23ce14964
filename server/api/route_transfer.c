/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_transfer: handing a case to a partner organisation (docs/
 * cases.md, "Handing a case to a partner"). Coordinators only.
 *
 *   POST /cases/{id}/transfer   {partner, reason}: the case, its contacts
 *        and attachments as a bundle (server/core/bundle.h) sealed to the
 *        partner's instance key and signed with ours, built in the
 *        request's write transaction into an unnamed spool file and
 *        streamed back as application/vnd.corridor.bundle once the
 *        case.transfer entry (with the bundle's id and hash) is durable.
 *   POST /transfers/import      the bundle as a raw body (spooled as it
 *        arrives): the signature is checked against the registered
 *        partner's key before anything is opened, then the case is
 *        created under new local keys, audited case.import with the same
 *        bundle hash. A bundle id seen before is refused.
 *
 * The case's key is reached through the org key (a fresh password
 * confirmation, as for every org-key operation); the transfer's reason
 * goes into the bundle for the partner, not into the log. A refused
 * partner or bundle (unknown, altered, forged, not ours, seen before) is
 * audited as denied, not as an error: it is a refusal an auditor should
 * see as one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/encode.h"
#include "crypto/note.h"
#include "crypto/secmem.h"
#include "schema/store_partner.h"
#include "server/api/route.h"
#include "server/audit/audit.h"
#include "server/core/access.h"
#include "server/core/session.h"
#include "server/core/transfer.h"
#include "server/http/jsonin.h"
#include "server/http/rfc3339.h"
#include "server/http/spool.h"
#include "server/log/log.h"

static int
spool_sink(void *arg, const uint8_t *p, size_t len)
{
	return spool_write(arg, p, len);
}

/* The response body: the sealed spool, read back block by block. */
struct out_stream {
	struct spool	*sp;
	uint8_t		 buf[ATTACHMENT_CHUNK_BYTES];
	size_t		 off, len;
	int		 done;
};

static ssize_t
out_read(void *arg, char *out, size_t max)
{
	struct out_stream *o = arg;
	ssize_t n;
	size_t k;

	if (o->off == o->len) {
		if (o->done)
			return 0;
		o->off = o->len = 0;
		if ((n = spool_read(o->sp, o->buf, sizeof(o->buf))) < 0)
			return -1;	/* cut: short against Content-Length */
		if (n == 0) {
			o->done = 1;
			return 0;
		}
		o->len = (size_t)n;
	}
	k = o->len - o->off;
	if (k > max)
		k = max;
	memcpy(out, o->buf + o->off, k);
	o->off += k;
	return (ssize_t)k;
}

/* Bundles building or streaming now; at most MAX_BUNDLE_DOWNLOADS. */
static struct req_streams bundles = REQ_STREAMS_INIT(MAX_BUNDLE_DOWNLOADS);

/* Frees the stream and gives its place back. */
static void
out_free(void *arg)
{
	struct out_stream *o = arg;

	spool_free(o->sp);
	free(o);
	req_streams_give(&bundles);
}

static void
hex_of(char *out, size_t out_len, const uint8_t *p, size_t n)
{
	if (encode_hex(out, out_len, p, n) != 0)
		out[0] = '\0';
}

/* --- POST /cases/{id}/transfer ------------------------------------------------ */

static void
transfer_route(struct req *r)
{
	static const char *const allowed[] = { "partner", "reason", NULL };
	struct access_case a;
	struct partner_row p;
	struct transfer_provenance prov;
	struct note_checkpoint cp;
	struct note_vkey vk;
	struct out_stream *o = NULL;
	struct req_stream st;
	const char *partner = NULL, *reason = NULL;
	char note[NOTE_MAX_BYTES], fname[CODENAME_MAX_BYTES + 32];
	uint8_t id[BUNDLE_ID_BYTES], hash[XFER_HASH_BYTES];
	size_t note_len = 0;
	uint64_t size = 0;
	int rc, opened = 0;

	memset(&prov, 0, sizeof(prov));
	if (jsonin_only(r->json, allowed) != JSONIN_OK ||
	    jsonin_string(r->json, "partner", 1, 1, PARTNER_ORIGIN_MAX, 0,
	    &partner, NULL) != JSONIN_OK ||
	    jsonin_string(r->json, "reason", 1, 1, MAX_REASON_BYTES, 0,
	    &reason, NULL) != JSONIN_OK) {
		req_audit_object(r, AUDIT_OBJ_CASE, r->params[0]);
		req_bad_body(r);
		return;
	}
	if (req_streams_take(r, &bundles,
	    "Too many transfers at once; retry.") != 0)
		return;
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		req_streams_give(&bundles);
		req_internal(r);
		return;
	}
	if (access_case_open(r, r->params[0], ACCESS_MANAGE | ACCESS_WRITE,
	    &a) != 0)
		goto done;
	opened = 1;
	rc = store_partner_find(r->db, partner, &p);
	if (rc == STORE_ENOTFOUND) {
		req_deny(r, 422, "unknown-partner",
		    "No partner is registered under that id or name; the "
		    "operator adds one with `corridor partner add`.");
		goto done;
	}
	if (rc != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	/* provenance: our origin and the log as it stands, signed now */
	audit_vkey(&vk);
	if (audit_checkpoint_in_tx(r->db, &size, note, &note_len) != 0) {
		req_unavailable(r);
		goto done;
	}
	if (note_len == 0 && audit_latest_checkpoint(note, sizeof(note),
	    &note_len, &size) != 0) {
		req_unavailable(r);
		goto done;
	}
	if (note_checkpoint_parse(&cp, note, note_len) != NOTE_OK) {
		req_internal(r);
		goto done;
	}
	memcpy(prov.origin, vk.name, vk.name_len + 1);
	memcpy(prov.codename, a.c.codename, sizeof(prov.codename));
	prov.audit_size = cp.size;
	memcpy(prov.audit_root, cp.root, sizeof(prov.audit_root));
	prov.sent_at = store_now();
	snprintf(prov.reason, sizeof(prov.reason), "%s", reason);
	if (http_spool_dir() == NULL ||
	    (o->sp = spool_new(http_spool_dir())) == NULL) {
		req_unavailable(r);
		goto done;
	}
	rc = transfer_build(r->db, &a.c, a.key, &p, &prov, spool_sink, o->sp,
	    audit_instance_sign, id, hash);
	if (rc == TRANSFER_ETOOBIG) {
		req_problem(r, 413, "bundle-too-large",
		    "The case's attachments make a bundle larger than allowed; "
		    "hand some documents over another way.");
		goto done;
	}
	if (rc == TRANSFER_ESTORE || rc == TRANSFER_EIO) {
		req_unavailable(r);
		goto done;
	}
	if (rc != TRANSFER_OK || spool_seal(o->sp) != 0) {
		req_internal(r);
		goto done;
	}
	if (store_transfer_insert(r->db, id, TRANSFER_SENT, a.c.id, p.origin,
	    hash) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	req_audit_bundle(r, id, hash);
	if (snprintf(fname, sizeof(fname), "%s.corridor-bundle", a.c.codename)
	    >= (int)sizeof(fname) || snprintf(r->resp_disposition,
	    sizeof(r->resp_disposition), "attachment; filename=\"%s\"", fname)
	    >= (int)sizeof(r->resp_disposition)) {
		req_internal(r);
		goto done;
	}
	st.read = out_read;
	st.free = out_free;
	st.arg = o;
	r->resp_stream_len = spool_size(o->sp) + 1;
	o = NULL;
	req_stream(r, 200, BUNDLE_MEDIA_TYPE, &st);
done:
	if (o != NULL)
		out_free(o);
	secmem_wipe(&prov, sizeof(prov));
	if (opened)
		access_case_close(r, &a);
}

/* --- POST /transfers/import ------------------------------------------------------ */

static ssize_t
src_read(void *arg, uint8_t *buf, size_t max)
{
	return spool_read(arg, buf, max);
}

static int
src_rewind(void *arg)
{
	return spool_rewind(arg);
}

struct key_ctx {
	struct store		*db;
	struct partner_row	 p;
	int			 found;
};

static int
partner_key(void *arg, const char *origin, uint8_t pk[XFER_ED_PK_BYTES])
{
	struct key_ctx *k = arg;

	if (store_partner_find(k->db, origin, &k->p) != STORE_OK ||
	    strcmp(k->p.origin, origin) != 0)
		return -1;
	k->found = 1;
	memcpy(pk, k->p.pk, XFER_ED_PK_BYTES);
	return 0;
}

static int
is_bundle_type(const char *ct)
{
	size_t n = strlen(BUNDLE_MEDIA_TYPE);

	return ct != NULL && strncasecmp(ct, BUNDLE_MEDIA_TYPE, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';');
}

static void
import_route(struct req *r)
{
	struct bundle_source src;
	struct bundle_header h;
	struct bundle_reader rd;
	struct key_ctx kc;
	struct note_vkey vk;
	struct case_row c;
	struct transfer_provenance prov;
	uint8_t hash[XFER_HASH_BYTES], x_pk[XFER_X_PK_BYTES];
	uint8_t x_sk[XFER_X_SK_BYTES];
	char hash_hex[2 * XFER_HASH_BYTES + 1], root[64];
	int rc, known = 0, have_reader = 0;

	memset(&rd, 0, sizeof(rd));
	memset(&kc, 0, sizeof(kc));
	memset(&prov, 0, sizeof(prov));
	memset(x_sk, 0, sizeof(x_sk));
	if (!is_bundle_type(req_header(r, "Content-Type"))) {
		req_problem(r, 415, "unsupported-media-type",
		    "Send the bundle as " BUNDLE_MEDIA_TYPE ".");
		return;
	}
	if (r->upload == NULL) {
		req_unavailable(r);	/* invariant: http.c kept the body */
		return;
	}
	if (req_write_begin(r) != 0)
		return;
	src.read = src_read;
	src.rewind = src_rewind;
	src.arg = r->upload;
	src.size = spool_size(r->upload);
	kc.db = r->db;
	rc = bundle_verify(&src, &h, partner_key, &kc, hash);
	if (rc == BUNDLE_ETOOBIG) {
		req_problem(r, 413, "body-too-large",
		    "The request body is larger than allowed.");
		goto done;
	}
	if (rc == BUNDLE_EFORMAT) {
		req_deny(r, 422, "invalid-bundle",
		    "The body is not a well-formed transfer bundle.");
		goto done;
	}
	if (rc == BUNDLE_ESIG && !kc.found) {
		req_deny(r, 422, "unknown-partner",
		    "The bundle comes from an instance that is not a "
		    "registered partner.");
		goto done;
	}
	if (rc == BUNDLE_ESIG) {
		req_deny(r, 422, "bad-signature",
		    "The bundle's signature does not verify against the "
		    "registered partner's key: it was altered or forged.");
		goto done;
	}
	if (rc != BUNDLE_OK) {
		req_unavailable(r);
		goto done;
	}
	audit_vkey(&vk);
	if (strcmp(h.recipient, vk.name) != 0) {
		req_deny(r, 422, "not-for-us",
		    "The bundle is sealed to another instance.");
		goto done;
	}
	if (store_transfer_known(r->db, h.id, &known) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	if (known) {
		req_deny(r, 409, "already-imported",
		    "This bundle has been imported already.");
		goto done;
	}
	if (audit_instance_x25519(x_pk, x_sk) != 0) {
		req_internal(r);
		goto done;
	}
	have_reader = 1;
	rc = bundle_reader_open(&rd, &src, &h, x_pk, x_sk);
	secmem_wipe(x_sk, sizeof(x_sk));
	if (rc == BUNDLE_ESEAL) {
		req_deny(r, 422, "not-for-us",
		    "The bundle is sealed to another instance.");
		goto done;
	}
	if (rc != BUNDLE_OK) {
		req_deny(r, 422, "invalid-bundle",
		    "The body is not a well-formed transfer bundle.");
		goto done;
	}
	rc = transfer_import(r->db, &rd, &h, r->actor_id, &c, &prov);
	if (rc == TRANSFER_EBUNDLE) {
		req_deny(r, 422, "invalid-bundle",
		    "The bundle's content is not a valid case.");
		goto done;
	}
	if (rc == TRANSFER_ESTORE) {
		req_unavailable(r);
		goto done;
	}
	if (rc != TRANSFER_OK) {
		req_internal(r);
		goto done;
	}
	if (store_transfer_insert(r->db, h.id, TRANSFER_IMPORTED, c.id,
	    h.sender, hash) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	req_audit_object(r, AUDIT_OBJ_CASE, c.id);
	req_audit_bundle(r, h.id, hash);
	hex_of(hash_hex, sizeof(hash_hex), hash, sizeof(hash));
	if (encode_b64(root, sizeof(root), prov.audit_root,
	    sizeof(prov.audit_root)) != 0) {
		req_internal(r);
		goto done;
	}
	req_json(r, 201, json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s,"
	    " s:I, s:s, s:I, s:s}}",
	    "case_id", c.id, "codename", c.codename, "bundle_id", h.id_hex,
	    "bundle_hash", hash_hex, "provenance", "partner", kc.p.name,
	    "origin", prov.origin, "codename", prov.codename,
	    "audit_size", (json_int_t)prov.audit_size, "audit_root", root,
	    "sent_at", (json_int_t)prov.sent_at, "reason", prov.reason));
done:
	if (have_reader)
		bundle_reader_free(&rd);
	secmem_wipe(x_sk, sizeof(x_sk));
	secmem_wipe(&prov, sizeof(prov));
}

const struct route route_transfer_table[] = {
	{ M_POST, "/cases/{id}/transfer", R_COORD, ROUTE_BODY,
	  AUDIT_CASE_TRANSFER, AUDIT_OBJ_CASE, transfer_route },
	{ M_POST, "/transfers/import", R_COORD, ROUTE_UPLOAD | ROUTE_BUNDLE,
	  AUDIT_CASE_IMPORT, AUDIT_OBJ_CASE, import_route },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
