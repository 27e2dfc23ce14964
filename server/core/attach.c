/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * attach: per-attachment keys, chunked encryption and key rotation of
 * attachments (attach.h). The storage is schema/store_attach.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/secmem.h"
#include "crypto/token.h"
#include "schema/store_attach.h"
#include "server/core/attach.h"

/* Places in the associated data. Part of the stored format. */
#define T_ATT		"attachments"
#define F_KEY		"key"
#define F_FILENAME	"filename"
#define F_MEDIA		"media_type"
#define META_VERSION	1u	/* fields under K_att never rotate */

static int
from_store(int rc)
{
	switch (rc) {
	case STORE_OK:		return CASEFILE_OK;
	case STORE_ENOTFOUND:	return ATTACH_ENOTFOUND;
	case STORE_ENOMEM:	return CASEFILE_ENOMEM;
	case STORE_ECORRUPT:	return CASEFILE_EINTEGRITY;
	default:		return CASEFILE_ESTORE;
	}
}

/* "<case id>/<attachment id>": the place of the wrap and the fields. */
static int
place(char *out, size_t out_max, const char *case_id, const char *id)
{
	int n = snprintf(out, out_max, "%s/%s", case_id, id);

	return n < 0 || (size_t)n >= out_max ? -1 : 0;
}

static int
chunk_ad(char *out, size_t out_max, size_t *out_len, const char *case_id,
    const char *id)
{
	int n = snprintf(out, out_max, "corridor/v1|attachment|%s|%s", case_id,
	    id);

	if (n < 0 || (size_t)n >= out_max)
		return -1;
	*out_len = (size_t)n;
	return 0;
}

void
attach_info_wipe(struct attach_info *i)
{
	secmem_wipe(i, sizeof(*i));
}

/* --- writing ------------------------------------------------------------------ */

int
attach_writer_begin(struct attach_writer *w, struct store *s,
    const struct case_row *c, const uint8_t case_key[CASEFILE_KEY_BYTES],
    const char *author_id, const char *filename, const char *media_type)
{
	struct attach_row row;
	uint8_t *wrap = NULL, *fn = NULL, *mt = NULL;
	size_t wrap_len = 0, fn_len = 0, mt_len = 0;
	char where[2 * ID_CHARS + 2];
	int rc;

	memset(w, 0, sizeof(*w));
	memset(&row, 0, sizeof(row));
	w->s = s;
	memcpy(w->case_id, c->id, sizeof(w->case_id));
	token_new_id(w->id);
	if ((w->plain = malloc(ATTACHMENT_CHUNK_BYTES)) == NULL ||
	    (w->ct = malloc(ATTACHMENT_CHUNK_BYTES + STREAM_ABYTES)) == NULL) {
		rc = CASEFILE_ENOMEM;
		goto done;
	}
	if (place(where, sizeof(where), c->id, w->id) != 0 ||
	    chunk_ad(w->ad, sizeof(w->ad), &w->ad_len, c->id, w->id) != 0) {
		rc = CASEFILE_EINTEGRITY;
		goto done;
	}
	stream_keygen(w->key);
	if (stream_push_init(&w->st, row.header, w->key) != 0) {
		rc = CASEFILE_EINTEGRITY;
		goto done;
	}
	rc = casefile_encrypt(&wrap, &wrap_len, case_key, T_ATT, where, F_KEY,
	    c->key_version, w->key, sizeof(w->key));
	if (rc == CASEFILE_OK)
		rc = casefile_encrypt(&fn, &fn_len, w->key, T_ATT, where,
		    F_FILENAME, META_VERSION, filename, strlen(filename));
	if (rc == CASEFILE_OK)
		rc = casefile_encrypt(&mt, &mt_len, w->key, T_ATT, where,
		    F_MEDIA, META_VERSION, media_type, strlen(media_type));
	if (rc != CASEFILE_OK)
		goto done;
	memcpy(row.id, w->id, sizeof(row.id));
	memcpy(row.case_id, c->id, sizeof(row.case_id));
	snprintf(row.author_id, sizeof(row.author_id), "%s", author_id);
	row.created_at = store_now();
	row.key_version = c->key_version;
	row.key_wrap = wrap;
	row.key_wrap_len = wrap_len;
	row.filename = fn;
	row.filename_len = fn_len;
	row.media_type = mt;
	row.media_type_len = mt_len;
	rc = from_store(store_attach_insert(s, &row));
done:
	free(wrap);
	free(fn);
	free(mt);
	w->err = rc;
	return rc;
}

/* Encrypt and store the buffered chunk. */
static int
flush(struct attach_writer *w, int final)
{
	size_t n = 0;

	if (stream_push(&w->st, w->ct, ATTACHMENT_CHUNK_BYTES + STREAM_ABYTES,
	    &n, w->plain, w->plain_len, (const uint8_t *)w->ad, w->ad_len,
	    final) != 0) {
		w->err = CASEFILE_EINTEGRITY;
		return -1;
	}
	secmem_wipe(w->plain, w->plain_len);
	w->plain_len = 0;
	w->err = from_store(store_attach_chunk_put(w->s, w->id, w->seq, w->ct,
	    n));
	if (w->err != CASEFILE_OK)
		return -1;
	w->seq++;
	return 0;
}

int
attach_writer_put(void *arg, const uint8_t *p, size_t len)
{
	struct attach_writer *w = arg;
	size_t n;

	if (w->err != CASEFILE_OK)
		return -1;
	while (len > 0) {
		/* a full chunk is written only once more bytes come, so
		 * that the last one can carry FINAL */
		if (w->plain_len == ATTACHMENT_CHUNK_BYTES && flush(w, 0) != 0)
			return -1;
		n = ATTACHMENT_CHUNK_BYTES - w->plain_len;
		if (n > len)
			n = len;
		memcpy(w->plain + w->plain_len, p, n);
		w->plain_len += n;
		w->size += (int64_t)n;
		p += n;
		len -= n;
	}
	return 0;
}

int
attach_writer_end(struct attach_writer *w)
{
	if (w->err != CASEFILE_OK)
		return w->err;
	if (flush(w, 1) != 0)
		return w->err;
	w->err = from_store(store_attach_finish(w->s, w->id, w->size, w->seq));
	return w->err;
}

void
attach_writer_free(struct attach_writer *w)
{
	if (w->plain != NULL) {
		secmem_wipe(w->plain, ATTACHMENT_CHUNK_BYTES);
		free(w->plain);
	}
	free(w->ct);
	w->plain = w->ct = NULL;
	stream_state_wipe(&w->st);
	secmem_wipe(w->key, sizeof(w->key));
}

/* --- reading ------------------------------------------------------------------ */

struct open_ctx {
	const struct case_row	*c;
	const uint8_t		*case_key;
	struct attach_info	*info;
	struct attach_reader	*rd;	/* or NULL */
	int			 rc;
};

/* Decrypt one field under K_att into out (out_max bytes with the NUL). */
static int
meta_field(char *out, size_t out_max, const uint8_t key[32],
    const char *where, const char *field, const uint8_t *ct, size_t ct_len)
{
	struct casefile_plain pt = { NULL, 0 };
	int rc;

	rc = casefile_decrypt(&pt, key, T_ATT, where, field, META_VERSION, ct,
	    ct_len);
	if (rc == CASEFILE_OK && pt.len >= out_max)
		rc = CASEFILE_EINTEGRITY;
	if (rc == CASEFILE_OK)
		memcpy(out, pt.p, pt.len + 1);
	casefile_plain_free(&pt);
	return rc;
}

static int
open_row(void *arg, const struct attach_row *a)
{
	struct open_ctx *o = arg;
	struct casefile_plain k = { NULL, 0 };
	char where[2 * ID_CHARS + 2];
	int rc;

	memset(o->info, 0, sizeof(*o->info));
	if (place(where, sizeof(where), o->c->id, a->id) != 0) {
		o->rc = CASEFILE_EINTEGRITY;
		return 0;
	}
	/* a wrap at another version than the case's is stale: refuse it
	 * rather than try two keys (field.h's warning) */
	rc = a->key_version == o->c->key_version ?
	    casefile_decrypt(&k, o->case_key, T_ATT, where, F_KEY,
	    a->key_version, a->key_wrap, a->key_wrap_len) : CASEFILE_EINTEGRITY;
	if (rc == CASEFILE_OK && k.len != STREAM_KEY_BYTES)
		rc = CASEFILE_EINTEGRITY;
	if (rc == CASEFILE_OK)
		rc = meta_field(o->info->filename, sizeof(o->info->filename),
		    (const uint8_t *)k.p, where, F_FILENAME, a->filename,
		    a->filename_len);
	if (rc == CASEFILE_OK)
		rc = meta_field(o->info->media_type,
		    sizeof(o->info->media_type), (const uint8_t *)k.p, where,
		    F_MEDIA, a->media_type, a->media_type_len);
	if (rc == CASEFILE_OK && o->rd != NULL) {
		memset(o->rd, 0, sizeof(*o->rd));
		memcpy(o->rd->id, a->id, sizeof(o->rd->id));
		o->rd->chunks = a->chunks;
		o->rd->size = a->size;
		if (chunk_ad(o->rd->ad, sizeof(o->rd->ad), &o->rd->ad_len,
		    o->c->id, a->id) != 0 ||
		    stream_pull_init(&o->rd->st, a->header,
		    (const uint8_t *)k.p) != 0)
			rc = CASEFILE_EINTEGRITY;
		else if ((o->rd->ct = malloc(ATTACHMENT_CHUNK_BYTES +
		    STREAM_ABYTES)) == NULL)
			rc = CASEFILE_ENOMEM;
	}
	if (rc == CASEFILE_OK) {
		memcpy(o->info->id, a->id, sizeof(o->info->id));
		memcpy(o->info->author_id, a->author_id,
		    sizeof(o->info->author_id));
		o->info->created_at = a->created_at;
		o->info->size = a->size;
	}
	casefile_plain_free(&k);
	o->rc = rc;
	return 0;
}

int
attach_open(struct store *s, const struct case_row *c,
    const uint8_t case_key[CASEFILE_KEY_BYTES], const char *id,
    struct attach_info *info, struct attach_reader *rd)
{
	struct open_ctx o = { c, case_key, info, rd, CASEFILE_OK };
	int rc;

	if (rd != NULL)
		memset(rd, 0, sizeof(*rd));
	rc = from_store(store_attach_get(s, c->id, id, open_row, &o));
	if (rc == CASEFILE_OK)
		rc = o.rc;
	if (rc != CASEFILE_OK) {
		attach_info_wipe(info);
		if (rd != NULL)
			attach_reader_free(rd);
	}
	return rc;
}

int
attach_read(struct attach_reader *rd, struct store *s, uint8_t *out,
    size_t out_max, size_t *n)
{
	size_t ct_len = 0;
	int final = 0, rc;

	*n = 0;
	if (rd->done)
		return CASEFILE_OK;
	if (rd->seq >= rd->chunks || out_max < ATTACHMENT_CHUNK_BYTES)
		return CASEFILE_EINTEGRITY;
	rc = from_store(store_attach_chunk_get(s, rd->id, rd->seq, rd->ct,
	    ATTACHMENT_CHUNK_BYTES + STREAM_ABYTES, &ct_len));
	if (rc == ATTACH_ENOTFOUND)
		rc = CASEFILE_EINTEGRITY;	/* a chunk went missing */
	if (rc != CASEFILE_OK)
		return rc;
	if (stream_pull(&rd->st, out, out_max, n, rd->ct, ct_len,
	    (const uint8_t *)rd->ad, rd->ad_len, &final) != 0)
		return CASEFILE_EINTEGRITY;
	rd->seq++;
	rd->total += (int64_t)*n;
	/* FINAL exactly on the last chunk, and the size as recorded:
	 * truncation and extension both fail */
	if ((final != 0) != (rd->seq == rd->chunks) || rd->total > rd->size ||
	    (final && rd->total != rd->size)) {
		secmem_wipe(out, *n);
		*n = 0;
		return CASEFILE_EINTEGRITY;
	}
	if (final)
		rd->done = 1;
	return CASEFILE_OK;
}

void
attach_reader_free(struct attach_reader *rd)
{
	free(rd->ct);
	rd->ct = NULL;
	stream_state_wipe(&rd->st);
}

struct each_ctx {
	struct open_ctx	 o;
	struct attach_info info;
	int		(*cb)(void *, const struct attach_info *);
	void		*arg;
};

static int
each_row(void *arg, const struct attach_row *a)
{
	struct each_ctx *e = arg;
	int stop;

	(void)open_row(&e->o, a);
	if (e->o.rc != CASEFILE_OK)
		return -1;
	stop = e->cb(e->arg, &e->info);
	attach_info_wipe(&e->info);
	if (stop)
		e->o.rc = CASEFILE_ENOMEM;
	return stop ? -1 : 0;
}

int
attach_each(struct store *s, const struct case_row *c,
    const uint8_t case_key[CASEFILE_KEY_BYTES],
    int (*cb)(void *, const struct attach_info *), void *arg)
{
	struct each_ctx e;
	int rc;

	memset(&e, 0, sizeof(e));
	e.o.c = c;
	e.o.case_key = case_key;
	e.o.info = &e.info;
	e.cb = cb;
	e.arg = arg;
	rc = store_attach_each(s, c->id, each_row, &e);
	attach_info_wipe(&e.info);
	if (e.o.rc != CASEFILE_OK)
		return e.o.rc;
	return from_store(rc);
}

/* --- rotation and deletion -------------------------------------------------- */

struct wrap_item {
	char	 id[ID_CHARS + 1];
	uint8_t	*wrap;
	size_t	 wrap_len;
	uint32_t version;
};

struct wrap_list {
	struct wrap_item *v;
	size_t		 n, cap;
};

static int
collect_wrap(void *arg, const struct attach_row *a)
{
	struct wrap_list *l = arg;
	struct wrap_item *it;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *p = realloc(l->v, cap * sizeof(*l->v));

		if (p == NULL)
			return -1;
		l->v = p;
		l->cap = cap;
	}
	it = &l->v[l->n];
	memset(it, 0, sizeof(*it));
	if ((it->wrap = malloc(a->key_wrap_len)) == NULL)
		return -1;
	memcpy(it->id, a->id, sizeof(it->id));
	memcpy(it->wrap, a->key_wrap, a->key_wrap_len);
	it->wrap_len = a->key_wrap_len;
	it->version = a->key_version;
	l->n++;
	return 0;
}

int
attach_case_rewrap(struct store *s, const char *case_id,
    const uint8_t old_key[CASEFILE_KEY_BYTES], uint32_t old_v,
    const uint8_t new_key[CASEFILE_KEY_BYTES], uint32_t new_v)
{
	struct wrap_list l = { NULL, 0, 0 };
	struct casefile_plain k = { NULL, 0 };
	char where[2 * ID_CHARS + 2];
	uint8_t *nw = NULL;
	size_t nw_len = 0, i;
	int rc;

	/* collected first: no update while the listing statement runs */
	rc = from_store(store_attach_each(s, case_id, collect_wrap, &l));
	for (i = 0; rc == CASEFILE_OK && i < l.n; i++) {
		if (l.v[i].version != old_v ||
		    place(where, sizeof(where), case_id, l.v[i].id) != 0) {
			rc = CASEFILE_EINTEGRITY;
			break;
		}
		rc = casefile_decrypt(&k, old_key, T_ATT, where, F_KEY, old_v,
		    l.v[i].wrap, l.v[i].wrap_len);
		if (rc == CASEFILE_OK)
			rc = casefile_encrypt(&nw, &nw_len, new_key, T_ATT,
			    where, F_KEY, new_v, k.p, k.len);
		casefile_plain_free(&k);
		if (rc == CASEFILE_OK)
			rc = from_store(store_attach_set_wrap(s, l.v[i].id,
			    new_v, nw, nw_len));
		free(nw);
		nw = NULL;
	}
	for (i = 0; i < l.n; i++)
		free(l.v[i].wrap);
	free(l.v);
	return rc;
}

int
attach_delete(struct store *s, const char *case_id, const char *id)
{
	return from_store(store_attach_delete(s, case_id, id));
}
