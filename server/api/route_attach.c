/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * route_attach: /cases/{id}/attachments, documents and photos of a case
 * (docs/cases.md). Who may do what is the case content's rule
 * (access.h): the assigned caseworkers upload, read and delete; a
 * coordinator reads through break-glass (X-Access-Reason, audited).
 *
 *   POST    the raw body (http.c has spooled it, encrypted, as it came),
 *           its media type in Content-Type (an allow-list), its filename
 *           in X-Filename, percent-encoded UTF-8 so that any name fits a
 *           header and none goes into a URL. The body is read back once,
 *           stripped of image metadata (strip.h) and encrypted chunk by
 *           chunk into rows of the request's write transaction, which
 *           commits with the audit entry or not at all.
 *   GET     the list: id, filename, media type, size, time, author.
 *   GET     one download, streamed chunk by chunk after its
 *           case.attachment.read entry is durable.
 *   DELETE  crypto-shred: the key wrap and every chunk are deleted (pages
 *           zeroed by secure_delete, the WAL checkpointed after).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/secmem.h"
#include "schema/store_attach.h"
#include "server/api/attach_header.h"
#include "server/api/route.h"
#include "server/audit/audit.h"
#include "server/core/access.h"
#include "server/core/attach.h"
#include "server/core/strip.h"
#include "server/http/rfc3339.h"
#include "server/http/spool.h"
#include "server/log/log.h"

static json_t *
info_json(const struct attach_info *i)
{
	char when[RFC3339_BYTES];

	rfc3339_format(when, i->created_at);
	return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "id", i->id,
	    "filename", i->filename, "media_type", i->media_type,
	    "size", (json_int_t)i->size, "created_at", when,
	    "author_id", i->author_id);
}

/* --- POST /cases/{id}/attachments ------------------------------------------- */

/* The magic numbers of the images the stripper knows: a body declared
 * as something else but carrying one is refused, so that a mislabelled
 * photo cannot skip the stripping. */
static int
looks_like_image(const uint8_t *p, size_t n)
{
	static const uint8_t jpg[3] = { 0xff, 0xd8, 0xff };
	static const uint8_t png[4] = { 0x89, 'P', 'N', 'G' };

	return (n >= 3 && memcmp(p, jpg, 3) == 0) ||
	    (n >= 4 && memcmp(p, png, 4) == 0);
}

static void
attach_create_route(struct req *r)
{
	char fname[MAX_FILENAME_BYTES + 1];
	struct access_case a;
	struct attach_writer w;
	struct attach_info info;
	struct strip sx;
	uint8_t *buf = NULL;
	int64_t count = 0;
	ssize_t n;
	const struct attach_media *mt;
	int rc, began = 0, first = 1;
	json_t *out;

	memset(&w, 0, sizeof(w));
	memset(&info, 0, sizeof(info));
	if (access_case_open(r, r->params[0],
	    ACCESS_CONTENT | ACCESS_WRITE | ACCESS_ASSIGNED, &a) != 0)
		return;
	if ((mt = attach_header_media_type(req_header(r, "Content-Type"))) ==
	    NULL) {
		req_problem(r, 415, "unsupported-media-type",
		    "Attachments may be image/jpeg, image/png, "
		    "application/pdf or text/plain.");
		goto done;
	}
	if (attach_header_filename_decode(req_header(r, "X-Filename"),
	    fname) != 0) {
		req_problem(r, 422, "invalid-filename",
		    "X-Filename must be a percent-encoded UTF-8 file name of "
		    "1 to 255 bytes, without '/', '\\\\' or control "
		    "characters.");
		goto done;
	}
	if (r->upload == NULL) {
		req_unavailable(r);	/* invariant: http.c kept the body */
		goto done;
	}
	if (spool_size(r->upload) == 0) {
		req_problem(r, 422, "empty-attachment",
		    "The attachment has no bytes.");
		goto done;
	}
	if (store_attach_count(r->db, a.c.id, &count) != STORE_OK) {
		req_unavailable(r);
		goto done;
	}
	if (count >= (int64_t)MAX_ATTACHMENTS_PER_CASE) {
		req_problem(r, 409, "attachment-limit",
		    "This case holds the most attachments allowed.");
		goto done;
	}
	if ((buf = malloc(ATTACHMENT_CHUNK_BYTES)) == NULL) {
		req_internal(r);
		goto done;
	}
	began = 1;
	rc = attach_writer_begin(&w, r->db, &a.c, a.key, r->actor_id, fname,
	    mt->type);
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		goto done;
	}
	strip_init(&sx, (enum strip_kind)mt->strip);
	while ((n = spool_read(r->upload, buf, ATTACHMENT_CHUNK_BYTES)) > 0) {
		if (first && mt->strip == STRIP_PASS &&
		    looks_like_image(buf, (size_t)n)) {
			req_problem(r, 415, "media-type-mismatch",
			    "The body is an image; send it as image/jpeg or "
			    "image/png so that its metadata is removed.");
			goto done;
		}
		first = 0;
		rc = strip_feed(&sx, buf, (size_t)n, attach_writer_put, &w);
		secmem_wipe(buf, (size_t)n);
		if (rc == STRIP_EMALFORMED) {
			req_problem(r, 422, "invalid-image",
			    "The image is not a well-formed JPEG or PNG file.");
			goto done;
		}
		if (rc != STRIP_OK) {
			access_fail(r, w.err);
			goto done;
		}
	}
	if (n < 0) {
		req_unavailable(r);	/* the spool was damaged */
		goto done;
	}
	if (strip_finish(&sx) != STRIP_OK) {
		req_problem(r, 422, "invalid-image",
		    "The image is not a well-formed JPEG or PNG file.");
		goto done;
	}
	if (w.size == 0) {
		req_problem(r, 422, "empty-attachment",
		    "The attachment has no bytes.");
		goto done;
	}
	if ((rc = attach_writer_end(&w)) != CASEFILE_OK) {
		access_fail(r, rc);
		goto done;
	}
	memcpy(info.id, w.id, sizeof(info.id));
	memcpy(info.author_id, r->actor_id, sizeof(info.author_id));
	info.created_at = store_now();
	info.size = w.size;
	memcpy(info.filename, fname, sizeof(info.filename));
	snprintf(info.media_type, sizeof(info.media_type), "%s",
	    mt->type);
	if ((out = info_json(&info)) == NULL)
		req_internal(r);
	else
		req_json(r, 201, out);
done:
	if (buf != NULL) {
		secmem_wipe(buf, ATTACHMENT_CHUNK_BYTES);
		free(buf);
	}
	if (began)
		attach_writer_free(&w);
	attach_info_wipe(&info);
	secmem_wipe(fname, sizeof(fname));
	access_case_close(r, &a);
}

/* --- GET /cases/{id}/attachments ------------------------------------------- */

static int
list_one(void *arg, const struct attach_info *i)
{
	json_t *item = info_json(i);

	return item == NULL || json_array_append_new(arg, item) != 0 ? -1 : 0;
}

static void
attach_list_route(struct req *r)
{
	struct access_case a;
	json_t *arr;
	int rc;

	if (access_case_open(r, r->params[0], ACCESS_CONTENT, &a) != 0)
		return;
	if ((arr = json_array()) == NULL) {
		req_internal(r);
		goto done;
	}
	rc = attach_each(r->db, &a.c, a.key, list_one, arr);
	if (rc != CASEFILE_OK) {
		json_decref(arr);
		access_fail(r, rc);
		goto done;
	}
	req_json(r, 200, json_pack("{s:o}", "attachments", arr));
done:
	access_case_close(r, &a);
}

/* --- GET /cases/{id}/attachments/{aid} -------------------------------------- */

/* Downloads streaming now; at most MAX_ATTACHMENT_DOWNLOADS (limits.h). */
static struct req_streams downloads =
    REQ_STREAMS_INIT(MAX_ATTACHMENT_DOWNLOADS);

struct dl_stream {
	struct store		*db;	/* pooled; a snapshot only while the
					 * row is read */
	int			 snapshot;
	int			 have_reader;
	struct attach_reader	 rd;
	uint8_t			*buf;	/* ATTACHMENT_CHUNK_BYTES plaintext */
	size_t			 off, len;
	int			 failed;
};

static ssize_t
dl_read(void *arg, char *out, size_t max)
{
	struct dl_stream *d = arg;
	size_t n;

	if (d->failed)
		return -1;
	if (d->off == d->len) {
		secmem_wipe(d->buf, d->len);
		d->off = d->len = 0;
		if (attach_read(&d->rd, d->db, d->buf, ATTACHMENT_CHUNK_BYTES,
		    &d->len) != CASEFILE_OK) {
			/* cut the connection: the client sees a short body
			 * against Content-Length, never a complete one */
			d->failed = 1;
			log_line(LOG_ERROR, "attachment %s: chunk %" PRId64
			    " did not open; download cut", d->rd.id,
			    d->rd.seq);
			return -1;
		}
		if (d->len == 0)
			return 0;
	}
	n = d->len - d->off;
	if (n > max)
		n = max;
	memcpy(out, d->buf + d->off, n);
	d->off += n;
	return (ssize_t)n;
}

static void
dl_free(void *arg)
{
	struct dl_stream *d = arg;

	if (d->have_reader)
		attach_reader_free(&d->rd);
	if (d->buf != NULL) {
		secmem_wipe(d->buf, ATTACHMENT_CHUNK_BYTES);
		free(d->buf);
	}
	if (d->db != NULL) {
		if (d->snapshot)
			store_read_end(d->db);
		store_pool_release(d->db);
	}
	free(d);
	req_streams_give(&downloads);
}

static void
attach_read_route(struct req *r)
{
	struct access_case a;
	struct attach_info info;
	struct dl_stream *d;
	struct req_stream st;
	const struct attach_media *mt;
	int rc;

	memset(&info, 0, sizeof(info));
	if (req_streams_take(r, &downloads,
	    "Too many downloads at once; retry.") != 0)
		return;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		req_streams_give(&downloads);
		req_internal(r);
		return;
	}
	/* the stream's connection first: never wait for the pool while
	 * holding one (as the audit export does) */
	if ((d->db = store_pool_acquire()) == NULL) {
		req_unavailable(r);
		dl_free(d);
		return;
	}
	if (access_case_open(r, r->params[0], ACCESS_CONTENT, &a) != 0) {
		dl_free(d);
		return;
	}
	if ((d->buf = malloc(ATTACHMENT_CHUNK_BYTES)) == NULL) {
		req_internal(r);
		goto fail;
	}
	/* The row in a snapshot of its own; the chunks are then read one
	 * autocommit statement each, so a slow client holds no snapshot that
	 * would stall the WAL checkpoint (and with it a shred's erasure).
	 * That is safe because chunks never change once committed: a delete
	 * that commits meanwhile makes the next read fail, and the download
	 * is cut, never spliced (attach_read checks order, FINAL and size). */
	if (store_read_begin(d->db) != STORE_OK) {
		req_unavailable(r);
		goto fail;
	}
	d->snapshot = 1;
	rc = attach_open(d->db, &a.c, a.key, r->params[1], &info, &d->rd);
	store_read_end(d->db);
	d->snapshot = 0;
	if (rc == ATTACH_ENOTFOUND) {
		req_problem(r, 404, "not-found", "No such attachment.");
		goto fail;
	}
	if (rc != CASEFILE_OK) {
		access_fail(r, rc);
		goto fail;
	}
	d->have_reader = 1;
	if (attach_header_disposition(r->resp_disposition,
	    sizeof(r->resp_disposition), info.filename) != 0) {
		req_internal(r);
		goto fail;
	}
	st.read = dl_read;
	st.free = dl_free;
	st.arg = d;
	/* the allow-list's strings live for ever; resp_type is borrowed */
	mt = attach_header_media_stored(info.media_type);
	r->resp_type = mt != NULL ? mt->type : NULL;
	if (r->resp_type == NULL) {
		req_internal(r);
		goto fail;
	}
	r->resp_stream_len = (uint64_t)info.size + 1;
	req_stream(r, 200, r->resp_type, &st);
	attach_info_wipe(&info);
	access_case_close(r, &a);
	return;
fail:
	r->resp_disposition[0] = '\0';
	attach_info_wipe(&info);
	access_case_close(r, &a);
	dl_free(d);
}

/* --- DELETE /cases/{id}/attachments/{aid} ------------------------------------ */

static void
attach_delete_route(struct req *r)
{
	struct access_case a;
	int rc;

	if (access_case_open(r, r->params[0], ACCESS_WRITE | ACCESS_ASSIGNED,
	    &a) != 0)
		return;
	rc = attach_delete(r->db, a.c.id, r->params[1]);
	if (rc == ATTACH_ENOTFOUND)
		req_problem(r, 404, "not-found", "No such attachment.");
	else if (rc != CASEFILE_OK)
		access_fail(r, rc);
	else {
		/* after the commit, push the zeroed pages out of the WAL */
		r->after.checkpoint = 1;
		req_no_content(r);
	}
	access_case_close(r, &a);
}

const struct route route_attach_table[] = {
	{ M_POST, "/cases/{id}/attachments", R_CASEWORKER, ROUTE_UPLOAD,
	  AUDIT_ATTACHMENT_CREATE, AUDIT_OBJ_CASE, attach_create_route },
	{ M_GET, "/cases/{id}/attachments", R_CASEWORKER | R_COORD, 0,
	  AUDIT_ATTACHMENT_LIST, AUDIT_OBJ_CASE, attach_list_route },
	{ M_GET, "/cases/{id}/attachments/{aid}", R_CASEWORKER | R_COORD, 0,
	  AUDIT_ATTACHMENT_READ, AUDIT_OBJ_CASE, attach_read_route },
	{ M_DELETE, "/cases/{id}/attachments/{aid}", R_CASEWORKER, 0,
	  AUDIT_ATTACHMENT_DELETE, AUDIT_OBJ_CASE, attach_delete_route },
	{ 0, NULL, 0, 0, 0, 0, NULL },
};
