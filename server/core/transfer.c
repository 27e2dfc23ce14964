/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * transfer: a case into a bundle and a bundle into a case (transfer.h).
 * The payloads are JSON inside the sealed, signed records: the signature
 * and the AEAD cover the ciphertext bytes, never a re-serialization, so
 * JSON here is only the container of fields, parsed strictly on import.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/encode.h"
#include "crypto/secmem.h"
#include "schema/store_attach.h"
#include "schema/store_contact.h"
#include "server/core/attach.h"
#include "server/core/transfer.h"
#include "server/http/jsonin.h"

#define FORMAT_NAME	"corridor-transfer/1"

static const char *const media_types[] = {
	"image/jpeg", "image/png", "application/pdf", "text/plain", NULL,
};

/* Serialize o compactly into a secmem buffer and put it as a record. */
static int
put_json(struct bundle_writer *w, int type, json_t *o)
{
	char *buf = NULL;
	size_t n;
	int rc = TRANSFER_ENOMEM;

	if (o == NULL || (n = json_dumpb(o, NULL, 0, JSON_COMPACT)) == 0 ||
	    (buf = secmem_buf_alloc(n)) == NULL ||
	    json_dumpb(o, buf, n, JSON_COMPACT) != n)
		goto done;
	if (n > BUNDLE_RECORD_MAX_BYTES) {
		rc = TRANSFER_ETOOBIG;
		goto done;
	}
	rc = bundle_writer_put(w, type, (const uint8_t *)buf, n);
	rc = rc == BUNDLE_OK ? TRANSFER_OK : rc == BUNDLE_ETOOBIG ?
	    TRANSFER_ETOOBIG : TRANSFER_EIO;
done:
	secmem_buf_free(buf);
	return rc;
}

/* --- sending ------------------------------------------------------------------ */

struct build_ctx {
	struct store		*s;
	const struct case_row	*c;
	const uint8_t		*key;
	struct bundle_writer	*w;
	int			 rc;
	uint64_t		 bytes;		/* attachment bytes */
};

static int
contact_out(void *arg, const struct contact_row *row)
{
	struct build_ctx *b = arg;
	struct casefile_plain pt = { NULL, 0 };
	json_t *entry = NULL, *o = NULL;
	int rc;

	rc = casefile_decrypt(&pt, b->key, CASEFILE_T_CONTACTS, row->id,
	    CASEFILE_F_ENTRY, b->c->key_version, row->entry, row->entry_len);
	if (rc != CASEFILE_OK) {
		b->rc = TRANSFER_EINTEGRITY;
		return -1;
	}
	entry = json_loadb(pt.p, pt.len, JSON_REJECT_DUPLICATES, NULL);
	casefile_plain_free(&pt);
	if (entry == NULL) {
		b->rc = TRANSFER_EINTEGRITY;
		return -1;
	}
	o = json_pack("{s:I, s:o}", "created_at", (json_int_t)row->created_at,
	    "entry", entry);
	b->rc = put_json(b->w, BUNDLE_REC_CONTACT, o);
	json_decref(o);
	return b->rc == TRANSFER_OK ? 0 : -1;
}

static int
attach_size_sum(void *arg, const struct attach_info *i)
{
	struct build_ctx *b = arg;

	b->bytes += (uint64_t)i->size;
	return 0;
}

/* One attachment: its record, then its bytes in DATA records. */
static int
attach_out(void *arg, const struct attach_info *i)
{
	struct build_ctx *b = arg;
	struct attach_reader rd;
	struct attach_info info;
	uint8_t *buf = NULL;
	size_t n = 0;
	json_t *o;
	int rc;

	memset(&rd, 0, sizeof(rd));
	memset(&info, 0, sizeof(info));
	o = json_pack("{s:s, s:s, s:I, s:I}", "filename", i->filename,
	    "media_type", i->media_type, "size", (json_int_t)i->size,
	    "created_at", (json_int_t)i->created_at);
	b->rc = put_json(b->w, BUNDLE_REC_ATTACH, o);
	json_decref(o);
	if (b->rc != TRANSFER_OK)
		return -1;
	if ((buf = malloc(ATTACHMENT_CHUNK_BYTES)) == NULL) {
		b->rc = TRANSFER_ENOMEM;
		return -1;
	}
	rc = attach_open(b->s, b->c, b->key, i->id, &info, &rd);
	attach_info_wipe(&info);
	if (rc != CASEFILE_OK) {
		b->rc = TRANSFER_EINTEGRITY;
		goto done;
	}
	for (;;) {
		if (attach_read(&rd, b->s, buf, ATTACHMENT_CHUNK_BYTES, &n) !=
		    CASEFILE_OK) {
			b->rc = TRANSFER_EINTEGRITY;
			goto done;
		}
		if (n == 0)
			break;
		rc = bundle_writer_put(b->w, BUNDLE_REC_DATA, buf, n);
		secmem_wipe(buf, n);
		if (rc != BUNDLE_OK) {
			b->rc = rc == BUNDLE_ETOOBIG ? TRANSFER_ETOOBIG :
			    TRANSFER_EIO;
			goto done;
		}
	}
done:
	attach_reader_free(&rd);
	secmem_wipe(buf, ATTACHMENT_CHUNK_BYTES);
	free(buf);
	return b->rc == TRANSFER_OK ? 0 : -1;
}

/* The case record: the case's fields and the provenance. NULL on
 * failure; the caller wipes it with put_json's buffer. */
static json_t *
case_json(const struct case_row *c, const struct bundle_writer *w,
    const struct partner_row *p, const struct transfer_provenance *prov,
    const char *person, size_t person_len, const char *notes,
    int64_t contacts, int64_t attachments)
{
	char id_hex[2u * BUNDLE_ID_BYTES + 1u], root[64];
	json_t *pj, *o;

	if (encode_hex(id_hex, sizeof(id_hex), w->id, sizeof(w->id)) != 0 ||
	    encode_b64(root, sizeof(root), prov->audit_root,
	    sizeof(prov->audit_root)) != 0)
		return NULL;
	pj = json_loadb(person, person_len, JSON_REJECT_DUPLICATES, NULL);
	if (pj == NULL || !json_is_object(pj)) {
		json_decref(pj);
		return NULL;
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:I, s:s}, s:I, s:s,"
	    " s:{s:s, s:s, s:s, s:i, s:I, s:o, s:s}, s:I, s:I}",
	    "format", FORMAT_NAME, "bundle_id", id_hex,
	    "origin", prov->origin, "recipient", p->origin,
	    "codename", c->codename,
	    "audit", "size", (json_int_t)prov->audit_size, "root", root,
	    "sent_at", (json_int_t)prov->sent_at, "reason", prov->reason,
	    "case", "status", case_status_names[c->status],
	    "risk", case_risk_names[c->risk], "region", c->region,
	    "household_size", c->household_size,
	    "created_at", (json_int_t)c->created_at, "person", pj,
	    "notes", notes,
	    "contacts", (json_int_t)contacts,
	    "attachments", (json_int_t)attachments);
	return o;
}

int
transfer_build(struct store *s, const struct case_row *c,
    const uint8_t case_key[CASEFILE_KEY_BYTES], const struct partner_row *p,
    const struct transfer_provenance *prov,
    int (*sink)(void *arg, const uint8_t *b, size_t len), void *sink_arg,
    int (*sign)(uint8_t sig[XFER_SIG_BYTES],
    const uint8_t digest[XFER_HASH_BYTES]),
    uint8_t id[BUNDLE_ID_BYTES], uint8_t hash[XFER_HASH_BYTES])
{
	struct bundle_writer w;
	struct build_ctx b;
	struct casefile_plain person = { NULL, 0 }, notes = { NULL, 0 };
	uint8_t *pct = NULL, *nct = NULL;
	size_t pct_len = 0, nct_len = 0;
	int64_t ncontacts = 0, nattach = 0;
	json_t *o = NULL;
	int rc;

	memset(&b, 0, sizeof(b));
	b.s = s;
	b.c = c;
	b.key = case_key;
	b.w = &w;
	if (store_contact_count(s, c->id, &ncontacts) != STORE_OK ||
	    store_attach_count(s, c->id, &nattach) != STORE_OK) {
		memset(&w, 0, sizeof(w));
		return TRANSFER_ESTORE;
	}
	/* the cap before any work: the attachments' plaintext is most of
	 * the bundle */
	if (attach_each(s, c, case_key, attach_size_sum, &b) != CASEFILE_OK) {
		memset(&w, 0, sizeof(w));
		return TRANSFER_EINTEGRITY;
	}
	if (b.bytes > MAX_BUNDLE_BYTES) {
		memset(&w, 0, sizeof(w));
		return TRANSFER_ETOOBIG;
	}
	rc = bundle_writer_begin(&w, sink, sink_arg, prov->origin, p->origin,
	    p->pk);
	if (rc != BUNDLE_OK) {
		rc = rc == BUNDLE_ENOMEM ? TRANSFER_ENOMEM : TRANSFER_EIO;
		goto done;
	}
	if (store_case_content(s, c->id, &pct, &pct_len, &nct, &nct_len) !=
	    STORE_OK) {
		rc = TRANSFER_ESTORE;
		goto done;
	}
	if (casefile_decrypt(&person, case_key, CASEFILE_T_CASES, c->id,
	    CASEFILE_F_PERSON, c->key_version, pct, pct_len) != CASEFILE_OK ||
	    casefile_decrypt(&notes, case_key, CASEFILE_T_CASES, c->id,
	    CASEFILE_F_NOTES, c->key_version, nct, nct_len) != CASEFILE_OK) {
		rc = TRANSFER_EINTEGRITY;
		goto done;
	}
	o = case_json(c, &w, p, prov, person.p, person.len, notes.p, ncontacts,
	    nattach);
	if ((rc = put_json(&w, BUNDLE_REC_CASE, o)) != TRANSFER_OK)
		goto done;
	b.rc = TRANSFER_OK;
	if (store_contact_each(s, c->id, contact_out, &b) != STORE_OK) {
		rc = b.rc != TRANSFER_OK ? b.rc : TRANSFER_ESTORE;
		goto done;
	}
	if (attach_each(s, c, case_key, attach_out, &b) != CASEFILE_OK) {
		rc = b.rc != TRANSFER_OK ? b.rc : TRANSFER_EINTEGRITY;
		goto done;
	}
	if (bundle_writer_put(&w, BUNDLE_REC_END, NULL, 0) != BUNDLE_OK ||
	    bundle_writer_finish(&w, sign, hash) != BUNDLE_OK) {
		rc = w.err == BUNDLE_ETOOBIG ? TRANSFER_ETOOBIG : TRANSFER_EIO;
		goto done;
	}
	memcpy(id, w.id, BUNDLE_ID_BYTES);
	rc = TRANSFER_OK;
done:
	json_decref(o);		/* wiping allocators (secmem_json_allocators) */
	casefile_plain_free(&person);
	casefile_plain_free(&notes);
	free(pct);
	free(nct);
	bundle_writer_free(&w);
	return rc;
}

/* --- receiving ----------------------------------------------------------------- */

void
transfer_case_rec_free(struct transfer_case_rec *cr)
{
	jsonin_wipe_free(cr->person, cr->person_len);
	secmem_buf_free(cr->notes);
	cr->person = cr->notes = NULL;
}

int
transfer_case_parse(const uint8_t *p, size_t len,
    const struct bundle_header *h, struct transfer_case_rec *out,
    struct transfer_provenance *prov)
{
	static const char *const top[] = { "format", "bundle_id", "origin",
	    "recipient", "codename", "audit", "sent_at", "reason", "case",
	    "contacts", "attachments", NULL };
	static const char *const audit_keys[] = { "size", "root", NULL };
	static const char *const case_keys[] = { "status", "risk", "region",
	    "household_size", "created_at", "person", "notes", NULL };
	const char *fmt, *bid, *origin, *recip, *code, *root, *reason;
	const char *region, *notes;
	json_t *o = NULL, *au, *ca;
	int64_t size, sent, hh, created, nc, na;
	size_t rl = 0, nl;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(prov, 0, sizeof(*prov));
	if (jsonin_parse(p, len, &o) != JSONIN_OK || jsonin_only(o, top) !=
	    JSONIN_OK)
		goto done;
	au = json_object_get(o, "audit");
	ca = json_object_get(o, "case");
	if (jsonin_string(o, "format", 1, 1, 64, 0, &fmt, NULL) != JSONIN_OK ||
	    strcmp(fmt, FORMAT_NAME) != 0 ||
	    jsonin_string(o, "bundle_id", 1, 32, 32, 0, &bid, NULL) != 0 ||
	    strcmp(bid, h->id_hex) != 0 ||
	    jsonin_string(o, "origin", 1, 1, BUNDLE_ORIGIN_MAX, 0, &origin,
	    NULL) != 0 || strcmp(origin, h->sender) != 0 ||
	    jsonin_string(o, "recipient", 1, 1, BUNDLE_ORIGIN_MAX, 0, &recip,
	    NULL) != 0 || strcmp(recip, h->recipient) != 0 ||
	    jsonin_string(o, "codename", 1, 1, CODENAME_MAX_BYTES, 0, &code,
	    NULL) != 0 ||
	    jsonin_int(o, "sent_at", 1, 0, INT64_MAX, &sent, NULL) != 0 ||
	    jsonin_string(o, "reason", 1, 1, MAX_REASON_BYTES, 0, &reason,
	    NULL) != 0 ||
	    jsonin_int(o, "contacts", 1, 0, MAX_CONTACTS_PER_CASE, &nc,
	    NULL) != 0 ||
	    jsonin_int(o, "attachments", 1, 0, MAX_ATTACHMENTS_PER_CASE, &na,
	    NULL) != 0)
		goto done;
	if (au == NULL || jsonin_only(au, audit_keys) != JSONIN_OK ||
	    jsonin_int(au, "size", 1, 0, INT64_MAX, &size, NULL) != 0 ||
	    jsonin_string(au, "root", 1, 44, 44, 0, &root, NULL) != 0 ||
	    decode_b64(prov->audit_root, sizeof(prov->audit_root), &rl, root,
	    strlen(root)) != 0 || rl != sizeof(prov->audit_root))
		goto done;
	if (ca == NULL || jsonin_only(ca, case_keys) != JSONIN_OK ||
	    jsonin_enum(ca, "status", 1, case_status_names, &out->c.status,
	    NULL) != 0 ||
	    jsonin_enum(ca, "risk", 1, case_risk_names, &out->c.risk, NULL)
	    != 0 ||
	    jsonin_string(ca, "region", 1, 0, MAX_REGION_BYTES, 0, &region,
	    NULL) != 0 ||
	    jsonin_int(ca, "household_size", 1, 1, MAX_HOUSEHOLD_SIZE, &hh,
	    NULL) != 0 ||
	    jsonin_int(ca, "created_at", 1, 0, INT64_MAX, &created, NULL) != 0 ||
	    jsonin_freeform(ca, "person", 1, MAX_PERSON_BYTES, &out->person,
	    &out->person_len, NULL) != 0 ||
	    jsonin_string(ca, "notes", 1, 0, MAX_NOTES_BYTES, 1, &notes, NULL)
	    != 0)
		goto done;
	nl = strlen(notes);
	if ((out->notes = secmem_buf_alloc(nl + 1)) == NULL)
		goto done;
	memcpy(out->notes, notes, nl + 1);
	out->notes_len = nl;
	memcpy(out->c.region, region, strlen(region) + 1);
	out->c.household_size = (int)hh;
	out->contacts = (uint64_t)nc;
	out->attachments = (uint64_t)na;
	memcpy(prov->origin, origin, strlen(origin) + 1);
	memcpy(prov->codename, code, strlen(code) + 1);
	memcpy(prov->reason, reason, strlen(reason) + 1);
	prov->audit_size = (uint64_t)size;
	prov->sent_at = sent;
	prov->created_at = created;
	rc = 0;
done:
	if (rc != 0) {
		transfer_case_rec_free(out);
		secmem_wipe(prov, sizeof(*prov));
	}
	json_decref(o);
	return rc;
}

int
transfer_contact_parse(const uint8_t *p, size_t len, char **pt,
    size_t *pt_len)
{
	static const char *const top[] = { "created_at", "entry", NULL };
	static const char *const keys[] = { "at", "channel", "summary",
	    "next_steps", NULL };
	const char *channel, *summary, *next = NULL;
	json_t *o = NULL, *e, *entry = NULL;
	int64_t at, created;
	size_t n;
	int rc = -1;

	*pt = NULL;
	*pt_len = 0;
	if (jsonin_parse(p, len, &o) != JSONIN_OK ||
	    jsonin_only(o, top) != JSONIN_OK ||
	    jsonin_int(o, "created_at", 1, 0, INT64_MAX, &created, NULL) != 0 ||
	    (e = json_object_get(o, "entry")) == NULL ||
	    jsonin_only(e, keys) != JSONIN_OK ||
	    jsonin_int(e, "at", 1, 0, INT64_MAX, &at, NULL) != 0 ||
	    jsonin_string(e, "channel", 1, 1, MAX_CHANNEL_BYTES, 0, &channel,
	    NULL) != 0 ||
	    jsonin_string(e, "summary", 1, 1, MAX_SUMMARY_BYTES, 1, &summary,
	    NULL) != 0 ||
	    (!json_is_null(json_object_get(e, "next_steps")) &&
	    jsonin_string(e, "next_steps", 0, 0, MAX_NEXT_STEPS_BYTES, 1,
	    &next, NULL) != 0))
		goto done;
	/* the stored form, as POST /cases/{id}/contacts writes it ("s?":
	 * no next steps is null) */
	entry = json_pack("{s:I, s:s, s:s, s:s?}", "at", (json_int_t)at,
	    "channel", channel, "summary", summary, "next_steps", next);
	if (entry == NULL || (n = json_dumpb(entry, NULL, 0, JSON_COMPACT)) == 0 ||
	    (*pt = secmem_buf_alloc(n)) == NULL ||
	    json_dumpb(entry, *pt, n, JSON_COMPACT) != n) {
		secmem_buf_free(*pt);
		*pt = NULL;
		goto done;
	}
	*pt_len = n;
	rc = 0;
done:
	json_decref(entry);
	json_decref(o);
	return rc;
}

int
transfer_attach_parse(const uint8_t *p, size_t len,
    char filename[MAX_FILENAME_BYTES + 1], const char **media_type,
    uint64_t *size)
{
	static const char *const keys[] = { "filename", "media_type", "size",
	    "created_at", NULL };
	const char *fn;
	json_t *o = NULL;
	int64_t sz, created;
	int mt, rc = -1;
	size_t n;

	filename[0] = '\0';
	if (jsonin_parse(p, len, &o) != JSONIN_OK ||
	    jsonin_only(o, keys) != JSONIN_OK ||
	    jsonin_string(o, "filename", 1, 1, MAX_FILENAME_BYTES, 0, &fn,
	    NULL) != 0 ||
	    jsonin_enum(o, "media_type", 1, media_types, &mt, NULL) != 0 ||
	    jsonin_int(o, "size", 1, 1, MAX_ATTACHMENT_BYTES, &sz, NULL) != 0 ||
	    jsonin_int(o, "created_at", 1, 0, INT64_MAX, &created, NULL) != 0)
		goto done;
	n = strlen(fn);
	/* a name, never a path (as X-Filename on upload) */
	if (strcmp(fn, ".") == 0 || strcmp(fn, "..") == 0 ||
	    memchr(fn, '/', n) != NULL || memchr(fn, '\\', n) != NULL)
		goto done;
	memcpy(filename, fn, n + 1);
	*media_type = media_types[mt];
	*size = (uint64_t)sz;
	rc = 0;
done:
	json_decref(o);
	return rc;
}

static int
store_rc(int casefile_rc)
{
	return casefile_rc == CASEFILE_ESTORE ? TRANSFER_ESTORE :
	    casefile_rc == CASEFILE_ENOMEM ? TRANSFER_ENOMEM :
	    TRANSFER_EINTEGRITY;
}

int
transfer_import(struct store *s, struct bundle_reader *rd,
    const struct bundle_header *h, const char *actor_id, struct case_row *c,
    struct transfer_provenance *prov)
{
	struct transfer_case_rec cr;
	struct bundle_order ord;
	struct attach_writer aw;
	struct contact_row row;
	char fname[MAX_FILENAME_BYTES + 1];
	const char *mt = NULL;
	const uint8_t *p;
	uint8_t key[CASEFILE_KEY_BYTES];
	uint8_t *ct = NULL;
	char *pt = NULL;
	size_t len, pt_len = 0, ct_len = 0;
	uint64_t asize = 0;
	int type, final = 0, rc, writing = 0;

	memset(&cr, 0, sizeof(cr));
	memset(&ord, 0, sizeof(ord));
	memset(&aw, 0, sizeof(aw));
	memset(key, 0, sizeof(key));
	memset(c, 0, sizeof(*c));
	/* the case record first */
	if (bundle_reader_next(rd, &type, &p, &len, &final) != BUNDLE_OK) {
		rc = TRANSFER_EBUNDLE;
		goto done;
	}
	if (bundle_order_next(&ord, type, len, final, 0) != BUNDLE_OK ||
	    transfer_case_parse(p, len, h, &cr, prov) != 0) {
		rc = TRANSFER_EBUNDLE;
		goto done;
	}
	*c = cr.c;
	memcpy(c->created_by, actor_id, sizeof(c->created_by));
	rc = casefile_case_create(s, c, NULL, cr.person, cr.person_len,
	    cr.notes, cr.notes_len, key);
	if (rc != CASEFILE_OK) {
		rc = store_rc(rc);
		goto done;
	}
	for (;;) {
		if (bundle_reader_next(rd, &type, &p, &len, &final) !=
		    BUNDLE_OK) {
			rc = TRANSFER_EBUNDLE;
			goto done;
		}
		asize = 0;
		if (type == BUNDLE_REC_ATTACH && transfer_attach_parse(p, len,
		    fname, &mt, &asize) != 0) {
			rc = TRANSFER_EBUNDLE;
			goto done;
		}
		if (writing && type != BUNDLE_REC_DATA) {
			/* the previous attachment is whole (the order check
			 * below refuses a short one before this runs) */
			if (ord.got != ord.want) {
				rc = TRANSFER_EBUNDLE;
				goto done;
			}
			rc = attach_writer_end(&aw);
			attach_writer_free(&aw);
			writing = 0;
			if (rc != CASEFILE_OK) {
				rc = store_rc(rc);
				goto done;
			}
		}
		if (bundle_order_next(&ord, type, len, final, asize) !=
		    BUNDLE_OK) {
			rc = TRANSFER_EBUNDLE;
			goto done;
		}
		if (type == BUNDLE_REC_END)
			break;
		if (type == BUNDLE_REC_CONTACT) {
			memset(&row, 0, sizeof(row));
			if (transfer_contact_parse(p, len, &pt, &pt_len) != 0) {
				rc = TRANSFER_EBUNDLE;
				goto done;
			}
			token_new_id(row.id);
			rc = casefile_encrypt(&ct, &ct_len, key,
			    CASEFILE_T_CONTACTS, row.id, CASEFILE_F_ENTRY,
			    c->key_version, pt, pt_len);
			secmem_buf_free(pt);
			pt = NULL;
			if (rc != CASEFILE_OK) {
				rc = store_rc(rc);
				goto done;
			}
			memcpy(row.case_id, c->id, sizeof(row.case_id));
			memcpy(row.author_id, actor_id, sizeof(row.author_id));
			row.created_at = store_now();
			row.entry = ct;
			row.entry_len = ct_len;
			rc = store_contact_insert(s, &row);
			free(ct);
			ct = NULL;
			if (rc != STORE_OK) {
				rc = TRANSFER_ESTORE;
				goto done;
			}
		} else if (type == BUNDLE_REC_ATTACH) {
			writing = 1;
			rc = attach_writer_begin(&aw, s, c, key, actor_id, fname,
			    mt);
			secmem_wipe(fname, sizeof(fname));
			if (rc != CASEFILE_OK) {
				rc = store_rc(rc);
				goto done;
			}
		} else if (type == BUNDLE_REC_DATA) {
			if (attach_writer_put(&aw, p, len) != 0) {
				rc = store_rc(aw.err);
				goto done;
			}
		}
	}
	if (ord.contacts != cr.contacts || ord.attachments != cr.attachments) {
		rc = TRANSFER_EBUNDLE;
		goto done;
	}
	rc = TRANSFER_OK;
done:
	if (writing)
		attach_writer_free(&aw);
	transfer_case_rec_free(&cr);
	secmem_buf_free(pt);
	free(ct);
	secmem_wipe(key, sizeof(key));
	secmem_wipe(fname, sizeof(fname));
	return rc;
}
