/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * audit_export: write and parse the audit export text format (see
 * audit_export.h and docs/audit.md). The parser never holds more than one
 * line and one decoded payload, so memory is bounded whatever the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/encode.h"
#include "server/audit/audit_export.h"

#define KW_ORIGIN	"origin "
#define KW_PUBKEY	"public-key "
#define KW_ENTRY	"entry "
#define KW_CHECKPOINT	"checkpoint "

const char *
audit_export_strerror(int err)
{
	switch (err) {
	case AUDIT_EXPORT_OK:		return "ok";
	case AUDIT_EXPORT_EIO:		return "read or write error";
	case AUDIT_EXPORT_EFORMAT:	return "malformed line";
	case AUDIT_EXPORT_ELONG:	return "line too long";
	case AUDIT_EXPORT_ETRUNC:	return "file ends inside a line";
	case AUDIT_EXPORT_EORDER:	return "entry or checkpoint out of order";
	case AUDIT_EXPORT_EENTRY:	return "entry does not decode";
	default:			return "unknown error";
	}
}

/* --- writer -------------------------------------------------------------- */

/* Emit keyword + base64(data) + "\n" as one sink call. */
static int
write_b64_line(struct audit_export_writer *w, const char *kw,
    const void *data, size_t data_len)
{
	size_t kw_len = strlen(kw), b64_len;

	if (data_len > NOTE_MAX_BYTES)
		return AUDIT_EXPORT_EFORMAT;
	b64_len = encode_b64_len(data_len);	/* includes the NUL */
	if (kw_len + b64_len > sizeof(w->line))
		return AUDIT_EXPORT_EFORMAT;
	memcpy(w->line, kw, kw_len);
	if (encode_b64(w->line + kw_len, sizeof(w->line) - kw_len, data,
	    data_len) != 0)
		return AUDIT_EXPORT_EFORMAT;
	/* Replace the NUL with the newline. */
	w->line[kw_len + b64_len - 1] = '\n';
	if (w->sink(w->sink_arg, w->line, kw_len + b64_len) != 0)
		return AUDIT_EXPORT_EIO;
	return AUDIT_EXPORT_OK;
}

static int
writer_fail(struct audit_export_writer *w, int rc)
{
	w->failed = 1;
	return rc;
}

int
audit_export_begin(struct audit_export_writer *w, audit_export_sink_fn sink,
    void *sink_arg, const struct note_vkey *vk)
{
	char vkey[NOTE_VKEY_MAX_BYTES];
	int n;

	memset(w, 0, sizeof(*w));
	w->sink = sink;
	w->sink_arg = sink_arg;
	if (!note_name_valid(vk->name, vk->name_len) ||
	    note_vkey_format(vkey, sizeof(vkey), vk) != NOTE_OK)
		return writer_fail(w, AUDIT_EXPORT_EFORMAT);
	memcpy(w->origin, vk->name, vk->name_len + 1);
	w->origin_len = vk->name_len;
	n = snprintf(w->line, sizeof(w->line), "%s\n%s%s\n%s%s\n",
	    AUDIT_EXPORT_MAGIC, KW_ORIGIN, w->origin, KW_PUBKEY, vkey);
	if (n < 0 || (size_t)n >= sizeof(w->line))
		return writer_fail(w, AUDIT_EXPORT_EFORMAT);
	if (sink(sink_arg, w->line, (size_t)n) != 0)
		return writer_fail(w, AUDIT_EXPORT_EIO);
	return AUDIT_EXPORT_OK;
}

int
audit_export_put_entry(struct audit_export_writer *w, const uint8_t *entry,
    size_t entry_len)
{
	struct audit_entry e;
	int rc;

	if (w->failed)
		return AUDIT_EXPORT_EIO;
	if (audit_entry_decode(&e, entry, entry_len) != 0)
		return writer_fail(w, AUDIT_EXPORT_EENTRY);
	if (e.seq != w->entries || w->entries >= (uint64_t)INT64_MAX ||
	    (w->entries > 0 && e.time_ms < w->last_time_ms))
		return writer_fail(w, AUDIT_EXPORT_EORDER);
	if ((rc = write_b64_line(w, KW_ENTRY, entry, entry_len)) != 0)
		return writer_fail(w, rc);
	w->entries++;
	w->last_time_ms = e.time_ms;
	return AUDIT_EXPORT_OK;
}

int
audit_export_put_checkpoint(struct audit_export_writer *w, const char *note,
    size_t note_len)
{
	struct note_checkpoint cp;
	int rc;

	if (w->failed)
		return AUDIT_EXPORT_EIO;
	if (note_checkpoint_parse(&cp, note, note_len) != NOTE_OK)
		return writer_fail(w, AUDIT_EXPORT_EFORMAT);
	if (cp.origin_len != w->origin_len ||
	    memcmp(cp.origin, w->origin, w->origin_len) != 0)
		return writer_fail(w, AUDIT_EXPORT_EFORMAT);
	if (cp.size != w->entries)
		return writer_fail(w, AUDIT_EXPORT_EORDER);
	if ((rc = write_b64_line(w, KW_CHECKPOINT, note, note_len)) != 0)
		return writer_fail(w, rc);
	w->have_cp = 1;
	w->cp_size = cp.size;
	return AUDIT_EXPORT_OK;
}

int
audit_export_finish(const struct audit_export_writer *w)
{
	if (w->failed)
		return AUDIT_EXPORT_EIO;
	if (!w->have_cp || w->cp_size != w->entries)
		return AUDIT_EXPORT_EORDER;
	return AUDIT_EXPORT_OK;
}

/* --- parser -------------------------------------------------------------- */

enum pstate {
	P_MAGIC = 0,
	P_ORIGIN,
	P_PUBKEY,
	P_BODY,
};

struct audit_export_parser {
	audit_export_source_fn source;
	void *source_arg;
	enum pstate state;
	int err;			/* sticky error, 0 if none */
	enum audit_export_kind err_kind;
	int eof;
	uint64_t line_no;
	size_t rpos, rlen;
	char origin[NOTE_NAME_MAX_BYTES + 1];
	size_t origin_len;
	uint8_t rbuf[AUDIT_EXPORT_READ_BYTES];
	char line[AUDIT_EXPORT_LINE_MAX];
	uint8_t data[NOTE_MAX_BYTES];
};

struct audit_export_parser *
audit_export_parser_new(audit_export_source_fn source, void *source_arg)
{
	struct audit_export_parser *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->source = source;
	p->source_arg = source_arg;
	return p;
}

void
audit_export_parser_free(struct audit_export_parser *p)
{
	free(p);
}

/*
 * Read the next line into p->line without its "\n". Returns 1 with
 * *len set, 0 at a clean end of input, or an audit_export_err. Stops
 * reading as soon as a line grows past the cap.
 */
static int
read_line(struct audit_export_parser *p, size_t *len)
{
	size_t n = 0, chunk, got;
	const uint8_t *nl;

	for (;;) {
		if (p->rpos == p->rlen) {
			if (p->eof)
				break;
			if (p->source(p->source_arg, p->rbuf, sizeof(p->rbuf),
			    &got) != 0 || got > sizeof(p->rbuf))
				return AUDIT_EXPORT_EIO;
			p->rpos = 0;
			p->rlen = got;
			if (got == 0)
				p->eof = 1;
			continue;
		}
		nl = memchr(p->rbuf + p->rpos, '\n', p->rlen - p->rpos);
		chunk = nl != NULL ? (size_t)(nl - (p->rbuf + p->rpos)) :
		    p->rlen - p->rpos;
		if (chunk > sizeof(p->line) - n)
			return AUDIT_EXPORT_ELONG;
		memcpy(p->line + n, p->rbuf + p->rpos, chunk);
		n += chunk;
		p->rpos += chunk;
		if (nl != NULL) {
			p->rpos++;	/* the "\n" */
			p->line_no++;
			*len = n;
			return 1;
		}
	}
	if (n != 0) {
		p->line_no++;
		return AUDIT_EXPORT_ETRUNC;
	}
	return 0;
}

static int
has_prefix(const char *s, size_t s_len, const char *kw)
{
	size_t kw_len = strlen(kw);

	return s_len >= kw_len && memcmp(s, kw, kw_len) == 0;
}

/* Decode the base64 after keyword kw into p->data (at most max bytes,
 * at least one). */
static int
decode_payload(struct audit_export_parser *p, size_t len, const char *kw,
    size_t max, size_t *out_len)
{
	size_t kw_len = strlen(kw);

	if (decode_b64(p->data, max, out_len, p->line + kw_len,
	    len - kw_len) != 0 || *out_len == 0)
		return AUDIT_EXPORT_EFORMAT;
	return AUDIT_EXPORT_OK;
}

static int
parser_fail(struct audit_export_parser *p, struct audit_export_item *it,
    int err, enum audit_export_kind kind)
{
	p->err = err;
	p->err_kind = kind;
	it->kind = kind;
	it->line = p->line_no;
	return err;
}

int
audit_export_next(struct audit_export_parser *p, struct audit_export_item *it)
{
	char canon[NOTE_VKEY_MAX_BYTES];
	size_t len = 0, n;
	int rc;

	memset(it, 0, sizeof(*it));
	if (p->err != 0) {
		it->kind = p->err_kind;
		it->line = p->line_no;
		return p->err;
	}
	if ((rc = read_line(p, &len)) < 0)
		return parser_fail(p, it, rc, AUDIT_EXPORT_NONE);
	if (rc == 0) {
		/* A file that stops inside the header is not an export. */
		if (p->state != P_BODY)
			return parser_fail(p, it, AUDIT_EXPORT_ETRUNC,
			    AUDIT_EXPORT_NONE);
		return 0;
	}
	it->line = p->line_no;

	switch (p->state) {
	case P_MAGIC:
		if (len != strlen(AUDIT_EXPORT_MAGIC) ||
		    memcmp(p->line, AUDIT_EXPORT_MAGIC, len) != 0)
			return parser_fail(p, it, AUDIT_EXPORT_EFORMAT,
			    AUDIT_EXPORT_MAGIC_LINE);
		p->state = P_ORIGIN;
		/* The magic line carries nothing; go on to the origin. */
		return audit_export_next(p, it);
	case P_ORIGIN:
		if (!has_prefix(p->line, len, KW_ORIGIN))
			return parser_fail(p, it, AUDIT_EXPORT_EFORMAT,
			    AUDIT_EXPORT_ORIGIN);
		n = len - strlen(KW_ORIGIN);
		if (!note_name_valid(p->line + strlen(KW_ORIGIN), n))
			return parser_fail(p, it, AUDIT_EXPORT_EFORMAT,
			    AUDIT_EXPORT_ORIGIN);
		memcpy(p->origin, p->line + strlen(KW_ORIGIN), n);
		p->origin[n] = '\0';
		p->origin_len = n;
		p->state = P_PUBKEY;
		it->kind = AUDIT_EXPORT_ORIGIN;
		it->data = (const uint8_t *)p->origin;
		it->data_len = n;
		return 1;
	case P_PUBKEY:
		if (!has_prefix(p->line, len, KW_PUBKEY))
			return parser_fail(p, it, AUDIT_EXPORT_EFORMAT,
			    AUDIT_EXPORT_PUBLIC_KEY);
		n = len - strlen(KW_PUBKEY);
		/* Canonical spelling only (lower-case hex), as the writer
		 * emits it: one export, one text. */
		if (note_vkey_parse(&it->vkey, p->line + strlen(KW_PUBKEY),
		    n) != NOTE_OK || it->vkey.name_len != p->origin_len ||
		    memcmp(it->vkey.name, p->origin, p->origin_len) != 0 ||
		    note_vkey_format(canon, sizeof(canon), &it->vkey) !=
		    NOTE_OK || strlen(canon) != n ||
		    memcmp(canon, p->line + strlen(KW_PUBKEY), n) != 0)
			return parser_fail(p, it, AUDIT_EXPORT_EFORMAT,
			    AUDIT_EXPORT_PUBLIC_KEY);
		p->state = P_BODY;
		it->kind = AUDIT_EXPORT_PUBLIC_KEY;
		it->data = (const uint8_t *)p->line + strlen(KW_PUBKEY);
		it->data_len = n;
		return 1;
	case P_BODY:
		if (has_prefix(p->line, len, KW_ENTRY)) {
			if (decode_payload(p, len, KW_ENTRY, AUDIT_ENTRY_MAX,
			    &n) != 0)
				return parser_fail(p, it, AUDIT_EXPORT_EFORMAT,
				    AUDIT_EXPORT_ENTRY);
			it->kind = AUDIT_EXPORT_ENTRY;
		} else if (has_prefix(p->line, len, KW_CHECKPOINT)) {
			if (decode_payload(p, len, KW_CHECKPOINT,
			    NOTE_MAX_BYTES, &n) != 0)
				return parser_fail(p, it, AUDIT_EXPORT_EFORMAT,
				    AUDIT_EXPORT_CHECKPOINT);
			it->kind = AUDIT_EXPORT_CHECKPOINT;
		} else {
			return parser_fail(p, it, AUDIT_EXPORT_EFORMAT,
			    AUDIT_EXPORT_NONE);
		}
		it->data = p->data;
		it->data_len = n;
		return 1;
	}
	return parser_fail(p, it, AUDIT_EXPORT_EFORMAT, AUDIT_EXPORT_NONE);
}

/* --- sources ------------------------------------------------------------- */

int
audit_export_source_mem(void *arg, uint8_t *buf, size_t buf_len, size_t *got)
{
	struct audit_export_mem *m = arg;
	size_t n = m->len - m->off;

	if (n > buf_len)
		n = buf_len;
	if (n > 0)
		memcpy(buf, m->buf + m->off, n);
	m->off += n;
	*got = n;
	return 0;
}

int
audit_export_source_file(void *arg, uint8_t *buf, size_t buf_len, size_t *got)
{
	FILE *f = arg;
	size_t n = fread(buf, 1, buf_len, f);

	*got = n;
	if (n == 0 && ferror(f))
		return -1;
	return 0;
}
