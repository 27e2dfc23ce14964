/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bundle: write, verify and read transfer bundle files (bundle.h). The
 * framing is checked before anything is decrypted, and nothing is
 * decrypted before the whole file's signature has verified.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/encode.h"
#include "crypto/secmem.h"
#include "server/core/bundle.h"
#include "server/limits.h"

/* One record's ciphertext at most: type byte + payload + ABYTES. */
#define REC_CT_MAX	(1u + BUNDLE_RECORD_MAX_BYTES + STREAM_ABYTES)

static const char ad_prefix[] = "corridor/transfer/v1|";

static int
origin_ok(const uint8_t *s, size_t n)
{
	if (n == 0 || n > BUNDLE_ORIGIN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

static int
make_ad(char *ad, size_t ad_max, size_t *ad_len, const char *id_hex)
{
	int n = snprintf(ad, ad_max, "%s%s", ad_prefix, id_hex);

	if (n < 0 || (size_t)n >= ad_max)
		return -1;
	*ad_len = (size_t)n;
	return 0;
}

int
bundle_header_parse(struct bundle_header *h, const uint8_t *buf,
    size_t buf_len)
{
	size_t o = 0, n;

	memset(h, 0, sizeof(*h));
	if (buf_len < BUNDLE_MAGIC_BYTES ||
	    memcmp(buf, BUNDLE_MAGIC, BUNDLE_MAGIC_BYTES) != 0)
		return BUNDLE_EFORMAT;
	o = BUNDLE_MAGIC_BYTES;
	for (int k = 0; k < 2; k++) {
		char *dst = k == 0 ? h->sender : h->recipient;

		if (o >= buf_len)
			return BUNDLE_EFORMAT;
		n = buf[o++];
		if (n > buf_len - o || !origin_ok(buf + o, n))
			return BUNDLE_EFORMAT;
		memcpy(dst, buf + o, n);
		dst[n] = '\0';
		o += n;
	}
	if (buf_len - o < BUNDLE_ID_BYTES + 2u)
		return BUNDLE_EFORMAT;
	memcpy(h->id, buf + o, BUNDLE_ID_BYTES);
	o += BUNDLE_ID_BYTES;
	n = (size_t)buf[o] << 8 | buf[o + 1];
	o += 2;
	if (n == 0 || n > SEAL_MSG_BLOB_MAX || n > buf_len - o)
		return BUNDLE_EFORMAT;
	memcpy(h->sealed, buf + o, n);
	h->sealed_len = n;
	o += n;
	if (buf_len - o < STREAM_HEADER_BYTES)
		return BUNDLE_EFORMAT;
	memcpy(h->stream_header, buf + o, STREAM_HEADER_BYTES);
	o += STREAM_HEADER_BYTES;
	if (encode_hex(h->id_hex, sizeof(h->id_hex), h->id,
	    BUNDLE_ID_BYTES) != 0)
		return BUNDLE_EFORMAT;
	h->len = o;
	return BUNDLE_OK;
}

/* --- writing ---------------------------------------------------------------- */

static int
w_out(struct bundle_writer *w, const uint8_t *p, size_t len)
{
	if (w->err != BUNDLE_OK)
		return w->err;
	if (len > MAX_BUNDLE_BYTES - w->size) {
		w->err = BUNDLE_ETOOBIG;
		return w->err;
	}
	xfer_hash_update(&w->body, p, len);
	xfer_hash_update(&w->whole, p, len);
	if (w->sink(w->arg, p, len) != 0) {
		w->err = BUNDLE_EIO;
		return w->err;
	}
	w->size += len;
	return BUNDLE_OK;
}

int
bundle_writer_begin(struct bundle_writer *w,
    int (*sink)(void *arg, const uint8_t *p, size_t len), void *arg,
    const char *sender, const char *recipient,
    const uint8_t recipient_pk[XFER_ED_PK_BYTES])
{
	uint8_t hdr[BUNDLE_HEADER_MAX], key[STREAM_KEY_BYTES];
	uint8_t x_pk[XFER_X_PK_BYTES], sh[STREAM_HEADER_BYTES];
	char id_hex[2u * BUNDLE_ID_BYTES + 1u];
	size_t o = 0, sl = 0, n;
	int rc = BUNDLE_EFORMAT;

	memset(w, 0, sizeof(*w));
	w->sink = sink;
	w->arg = arg;
	xfer_hash_init(&w->body);
	xfer_hash_init(&w->whole);
	if ((w->rec = malloc(4u + REC_CT_MAX)) == NULL)
		return w->err = BUNDLE_ENOMEM;
	secmem_random(w->id, sizeof(w->id));
	memcpy(hdr, BUNDLE_MAGIC, BUNDLE_MAGIC_BYTES);
	o = BUNDLE_MAGIC_BYTES;
	for (int k = 0; k < 2; k++) {
		const char *s = k == 0 ? sender : recipient;

		n = strlen(s);
		if (!origin_ok((const uint8_t *)s, n))
			goto done;
		hdr[o++] = (uint8_t)n;
		memcpy(hdr + o, s, n);
		o += n;
	}
	memcpy(hdr + o, w->id, BUNDLE_ID_BYTES);
	o += BUNDLE_ID_BYTES;
	if (encode_hex(id_hex, sizeof(id_hex), w->id, sizeof(w->id)) != 0 ||
	    make_ad(w->ad, sizeof(w->ad), &w->ad_len, id_hex) != 0 ||
	    xfer_x25519_pk(x_pk, recipient_pk) != 0)
		goto done;
	stream_keygen(key);
	/* K_b, bound to this bundle's id; the recipient's origin is in the
	 * signed header */
	if (seal_msg(hdr + o + 2, SEAL_MSG_BLOB_MAX, &sl, BUNDLE_SEAL_KIND,
	    id_hex, "partner", key, sizeof(key), x_pk) != 0)
		goto done;
	hdr[o] = (uint8_t)(sl >> 8);
	hdr[o + 1] = (uint8_t)sl;
	o += 2 + sl;
	if (stream_push_init(&w->st, sh, key) != 0)
		goto done;
	memcpy(hdr + o, sh, sizeof(sh));
	o += sizeof(sh);
	rc = w_out(w, hdr, o);
done:
	secmem_wipe(key, sizeof(key));
	if (rc != BUNDLE_OK && w->err == BUNDLE_OK)
		w->err = rc;
	return rc;
}

int
bundle_writer_put(struct bundle_writer *w, int type, const uint8_t *p,
    size_t len)
{
	uint8_t *pt = NULL;
	size_t n = 0;
	int final = type == BUNDLE_REC_END, rc;

	if (w->err != BUNDLE_OK)
		return w->err;
	if (w->final || len > BUNDLE_RECORD_MAX_BYTES || type < BUNDLE_REC_CASE ||
	    type > BUNDLE_REC_END)
		return w->err = BUNDLE_EFORMAT;
	if ((pt = malloc(1u + len)) == NULL)
		return w->err = BUNDLE_ENOMEM;
	pt[0] = (uint8_t)type;
	if (len > 0)
		memcpy(pt + 1, p, len);
	if (stream_push(&w->st, w->rec + 4, REC_CT_MAX, &n, pt, 1u + len,
	    (const uint8_t *)w->ad, w->ad_len, final) != 0) {
		rc = w->err = BUNDLE_ECRYPT;
		goto done;
	}
	w->rec[0] = (uint8_t)(n >> 24);
	w->rec[1] = (uint8_t)(n >> 16);
	w->rec[2] = (uint8_t)(n >> 8);
	w->rec[3] = (uint8_t)n;
	rc = w_out(w, w->rec, 4u + n);
	w->final = final;
done:
	secmem_wipe(pt, 1u + len);
	free(pt);
	return rc;
}

int
bundle_writer_finish(struct bundle_writer *w,
    int (*sign)(uint8_t sig[XFER_SIG_BYTES],
    const uint8_t digest[XFER_HASH_BYTES]), uint8_t hash[XFER_HASH_BYTES])
{
	uint8_t digest[XFER_HASH_BYTES], sig[XFER_SIG_BYTES];
	int rc;

	if (w->err != BUNDLE_OK)
		return w->err;
	if (!w->final)
		return w->err = BUNDLE_EFORMAT;
	xfer_hash_final(&w->body, digest);
	if (sign(sig, digest) != 0)
		return w->err = BUNDLE_ESIG;
	if ((rc = w_out(w, sig, sizeof(sig))) != BUNDLE_OK)
		return rc;
	xfer_hash_final(&w->whole, hash);
	return BUNDLE_OK;
}

void
bundle_writer_free(struct bundle_writer *w)
{
	if (w == NULL)
		return;
	stream_state_wipe(&w->st);
	if (w->rec != NULL) {
		secmem_wipe(w->rec, 4u + REC_CT_MAX);
		free(w->rec);
	}
	w->rec = NULL;
}

/* --- reading ---------------------------------------------------------------- */

static ssize_t
mem_read(void *arg, uint8_t *buf, size_t max)
{
	struct bundle_mem *m = arg;
	size_t n = m->len - m->off;

	if (n > max)
		n = max;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static int
mem_rewind(void *arg)
{
	((struct bundle_mem *)arg)->off = 0;
	return 0;
}

void
bundle_source_mem(struct bundle_source *src, struct bundle_mem *m,
    const uint8_t *p, size_t len)
{
	m->p = p;
	m->len = len;
	m->off = 0;
	src->read = mem_read;
	src->rewind = mem_rewind;
	src->arg = m;
	src->size = len;
}

/* Buffered exact reads over a source, optionally hashing what passes. */
struct rd {
	const struct bundle_source *src;
	uint8_t		*buf;
	size_t		 len, off;
	uint64_t	 pos;
	struct xfer_hash *h1, *h2;
};

static int
rd_take(struct rd *r, uint8_t *out, size_t n)
{
	ssize_t got;
	size_t k;

	while (n > 0) {
		if (r->off == r->len) {
			got = r->src->read(r->src->arg, r->buf,
			    BUNDLE_READ_BYTES);
			if (got <= 0)
				return got == 0 ? BUNDLE_EFORMAT : BUNDLE_EIO;
			r->len = (size_t)got;
			r->off = 0;
		}
		k = r->len - r->off;
		if (k > n)
			k = n;
		if (out != NULL) {
			memcpy(out, r->buf + r->off, k);
			out += k;
		}
		if (r->h1 != NULL)
			xfer_hash_update(r->h1, r->buf + r->off, k);
		if (r->h2 != NULL)
			xfer_hash_update(r->h2, r->buf + r->off, k);
		r->off += k;
		r->pos += k;
		n -= k;
	}
	return BUNDLE_OK;
}

/* Read and parse the header at the source's start: its length is found by
 * reading its fields one by one. */
static int
rd_header(struct rd *r, struct bundle_header *h)
{
	uint8_t hdr[BUNDLE_HEADER_MAX];
	size_t o = 0, n;
	int rc;

	if ((rc = rd_take(r, hdr, BUNDLE_MAGIC_BYTES + 1u)) != BUNDLE_OK)
		return rc;
	o = BUNDLE_MAGIC_BYTES + 1u;
	n = hdr[o - 1];
	if ((rc = rd_take(r, hdr + o, n + 1u)) != BUNDLE_OK)
		return rc;
	o += n + 1u;
	n = hdr[o - 1];
	if ((rc = rd_take(r, hdr + o, n + BUNDLE_ID_BYTES + 2u)) != BUNDLE_OK)
		return rc;
	o += n + BUNDLE_ID_BYTES + 2u;
	n = (size_t)hdr[o - 2] << 8 | hdr[o - 1];
	if (n > SEAL_MSG_BLOB_MAX)
		return BUNDLE_EFORMAT;
	if ((rc = rd_take(r, hdr + o, n + STREAM_HEADER_BYTES)) != BUNDLE_OK)
		return rc;
	o += n + STREAM_HEADER_BYTES;
	return bundle_header_parse(h, hdr, o) == BUNDLE_OK && h->len == o ?
	    BUNDLE_OK : BUNDLE_EFORMAT;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
bundle_verify(const struct bundle_source *src, struct bundle_header *h,
    int (*key_of)(void *arg, const char *origin,
    uint8_t pk[XFER_ED_PK_BYTES]), void *key_arg,
    uint8_t hash[XFER_HASH_BYTES])
{
	struct xfer_hash body, whole;
	struct rd r;
	uint8_t len4[4], sig[XFER_SIG_BYTES], digest[XFER_HASH_BYTES];
	uint8_t pk[XFER_ED_PK_BYTES];
	uint64_t end;
	uint32_t n;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(h, 0, sizeof(*h));
	if (src->size > MAX_BUNDLE_BYTES)
		return BUNDLE_ETOOBIG;
	if (src->size < XFER_SIG_BYTES)
		return BUNDLE_EFORMAT;
	if ((r.buf = malloc(BUNDLE_READ_BYTES)) == NULL)
		return BUNDLE_ENOMEM;
	/* from the first byte, whoever read the source before */
	if (src->rewind(src->arg) != 0) {
		free(r.buf);
		return BUNDLE_EIO;
	}
	r.src = src;
	xfer_hash_init(&body);
	xfer_hash_init(&whole);
	r.h1 = &body;
	r.h2 = &whole;
	end = src->size - XFER_SIG_BYTES;
	if ((rc = rd_header(&r, h)) != BUNDLE_OK)
		goto done;
	/* the framing: records of sane length up to exactly the signature */
	while (r.pos < end) {
		if (end - r.pos < 4u) {
			rc = BUNDLE_EFORMAT;
			goto done;
		}
		if ((rc = rd_take(&r, len4, 4)) != BUNDLE_OK)
			goto done;
		n = be32(len4);
		rc = BUNDLE_EFORMAT;
		if (n < 1u + STREAM_ABYTES || n > REC_CT_MAX ||
		    n > end - r.pos)
			goto done;
		if ((rc = rd_take(&r, NULL, n)) != BUNDLE_OK)
			goto done;
	}
	if (r.pos != end || end == h->len) {
		rc = BUNDLE_EFORMAT;
		goto done;
	}
	r.h1 = NULL;
	if ((rc = rd_take(&r, sig, sizeof(sig))) != BUNDLE_OK)
		goto done;
	xfer_hash_final(&body, digest);
	xfer_hash_final(&whole, hash);
	if (key_of(key_arg, h->sender, pk) != 0 ||
	    xfer_verify(sig, digest, pk) != 0) {
		rc = BUNDLE_ESIG;
		goto done;
	}
	/* nothing may follow the signature */
	rc = r.src->read(r.src->arg, r.buf, BUNDLE_READ_BYTES) == 0 &&
	    r.off == r.len ? BUNDLE_OK : BUNDLE_EFORMAT;
done:
	free(r.buf);
	return rc;
}

int
bundle_order_next(struct bundle_order *o, int type, size_t len, int final,
    uint64_t attach_size)
{
	if (o->state == 3)
		return BUNDLE_EFORMAT;
	if (final != (type == BUNDLE_REC_END))
		return BUNDLE_EFORMAT;
	if (o->state == 0) {
		if (type != BUNDLE_REC_CASE)
			return BUNDLE_EFORMAT;
		o->state = 1;
		return BUNDLE_OK;
	}
	if (type == BUNDLE_REC_DATA) {
		if (o->state != 2 || len == 0 || len > o->want - o->got)
			return BUNDLE_EFORMAT;
		o->got += len;
		return BUNDLE_OK;
	}
	/* anything else ends the current attachment, which must be whole */
	if (o->state == 2 && o->got != o->want)
		return BUNDLE_EFORMAT;
	o->state = 1;
	switch (type) {
	case BUNDLE_REC_CONTACT:
		if (o->contacts >= MAX_CONTACTS_PER_CASE)
			return BUNDLE_EFORMAT;
		o->contacts++;
		return BUNDLE_OK;
	case BUNDLE_REC_ATTACH:
		if (o->attachments >= MAX_ATTACHMENTS_PER_CASE ||
		    attach_size == 0 || attach_size > MAX_ATTACHMENT_BYTES)
			return BUNDLE_EFORMAT;
		o->attachments++;
		o->state = 2;
		o->want = attach_size;
		o->got = 0;
		return BUNDLE_OK;
	case BUNDLE_REC_END:
		if (len != 0)
			return BUNDLE_EFORMAT;
		o->state = 3;
		return BUNDLE_OK;
	default:
		return BUNDLE_EFORMAT;
	}
}

int
bundle_reader_open(struct bundle_reader *r, const struct bundle_source *src,
    const struct bundle_header *h, const uint8_t x_pk[XFER_X_PK_BYTES],
    const uint8_t x_sk[XFER_X_SK_BYTES])
{
	struct bundle_header again;
	struct rd rr;
	uint8_t key[STREAM_KEY_BYTES];
	size_t kl = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	r->src = src;
	if ((r->buf = malloc(BUNDLE_READ_BYTES)) == NULL ||
	    (r->ct = malloc(REC_CT_MAX)) == NULL ||
	    (r->pt = malloc(REC_CT_MAX)) == NULL)
		return BUNDLE_ENOMEM;
	if (src->rewind(src->arg) != 0)
		return BUNDLE_EIO;
	memset(&rr, 0, sizeof(rr));
	rr.src = src;
	rr.buf = r->buf;
	if ((rc = rd_header(&rr, &again)) != BUNDLE_OK)
		return rc;
	/* the file must not have changed between the passes */
	if (memcmp(&again, h, sizeof(again)) != 0)
		return BUNDLE_EFORMAT;
	r->buf_len = rr.len;
	r->buf_off = rr.off;
	r->pos = rr.pos;
	r->body_end = src->size - XFER_SIG_BYTES;
	if (make_ad(r->ad, sizeof(r->ad), &r->ad_len, h->id_hex) != 0)
		return BUNDLE_EFORMAT;
	if (seal_msg_open(key, sizeof(key), &kl, BUNDLE_SEAL_KIND, h->id_hex,
	    "partner", x_pk, x_sk, h->sealed, h->sealed_len) != 0 ||
	    kl != sizeof(key)) {
		secmem_wipe(key, sizeof(key));
		return BUNDLE_ESEAL;
	}
	rc = stream_pull_init(&r->st, h->stream_header, key) == 0 ?
	    BUNDLE_OK : BUNDLE_ECRYPT;
	secmem_wipe(key, sizeof(key));
	return rc;
}

int
bundle_reader_next(struct bundle_reader *r, int *type, const uint8_t **p,
    size_t *len, int *final)
{
	struct rd rr;
	uint8_t len4[4];
	size_t n = 0;
	uint32_t cl;
	int rc;

	*type = 0;
	*p = NULL;
	*len = 0;
	*final = 0;
	if (r->done || r->pos >= r->body_end)
		return BUNDLE_EFORMAT;
	memset(&rr, 0, sizeof(rr));
	rr.src = r->src;
	rr.buf = r->buf;
	rr.len = r->buf_len;
	rr.off = r->buf_off;
	rr.pos = r->pos;
	rc = rd_take(&rr, len4, 4);
	if (rc != BUNDLE_OK)
		goto done;
	cl = be32(len4);
	rc = BUNDLE_EFORMAT;
	if (cl < 1u + STREAM_ABYTES || cl > REC_CT_MAX ||
	    cl > r->body_end - rr.pos)
		goto done;
	if ((rc = rd_take(&rr, r->ct, cl)) != BUNDLE_OK)
		goto done;
	if (stream_pull(&r->st, r->pt, REC_CT_MAX, &n, r->ct, cl,
	    (const uint8_t *)r->ad, r->ad_len, final) != 0 || n < 1) {
		rc = BUNDLE_ECRYPT;
		goto done;
	}
	*type = r->pt[0];
	*p = r->pt + 1;
	*len = n - 1;
	if (*final) {
		r->done = 1;
		/* FINAL must be the last record before the signature */
		if (rr.pos != r->body_end) {
			rc = BUNDLE_EFORMAT;
			goto done;
		}
	}
	rc = BUNDLE_OK;
done:
	r->buf_len = rr.len;
	r->buf_off = rr.off;
	r->pos = rr.pos;
	return rc;
}

void
bundle_reader_free(struct bundle_reader *r)
{
	if (r == NULL)
		return;
	stream_state_wipe(&r->st);
	if (r->pt != NULL) {
		secmem_wipe(r->pt, REC_CT_MAX);
		free(r->pt);
	}
	free(r->ct);
	free(r->buf);
	r->pt = r->ct = r->buf = NULL;
}

const char *
bundle_strerror(int err)
{
	switch (err) {
	case BUNDLE_OK:		return "ok";
	case BUNDLE_EFORMAT:	return "not a well-formed bundle";
	case BUNDLE_ESIG:	return "signature does not verify";
	case BUNDLE_ESEAL:	return "not sealed to this instance";
	case BUNDLE_ECRYPT:	return "a record does not open";
	case BUNDLE_EIO:	return "read or write failed";
	case BUNDLE_ENOMEM:	return "out of memory";
	case BUNDLE_ETOOBIG:	return "bundle too large";
	default:		return "unknown error";
	}
}
