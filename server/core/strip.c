/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * strip: the streaming metadata stripper for JPEG and PNG (strip.h). Each
 * call consumes its whole input; runs of kept bytes go to emit in one call
 * each, so a 25 MiB image costs a few hundred emit calls per MiB at most.
 */
#include <string.h>

#include "server/core/strip.h"

enum {
	/* JPEG */
	J_SOI = 1,	/* FF D8 */
	J_FF,		/* a marker's FF */
	J_MARKER,	/* the marker byte (FF fill bytes skipped) */
	J_LEN,		/* two length bytes */
	J_BODY,		/* segment payload (remain bytes) */
	J_ECS,		/* entropy-coded data after SOS */
	J_ECS_FF,	/* an FF inside it */
	J_END,		/* after EOI: the rest is dropped */
	/* PNG */
	P_SIG,		/* the 8-byte signature */
	P_HDR,		/* length + type */
	P_BODY,		/* data + CRC (remain bytes) */
	P_END,		/* after IEND */
	/* other */
	X_PASS,
};

static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
    '\n' };

void
strip_init(struct strip *s, enum strip_kind kind)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->state = kind == STRIP_JPEG ? J_SOI : kind == STRIP_PNG ? P_SIG :
	    X_PASS;
}

static int
put(strip_emit emit, void *arg, const uint8_t *p, size_t len)
{
	if (len == 0)
		return STRIP_OK;
	return emit(arg, p, len) == 0 ? STRIP_OK : STRIP_EEMIT;
}

/* JPEG: what follows marker m (after its FF). */
static int
jpeg_marker(struct strip *s, uint8_t m, strip_emit emit, void *arg)
{
	uint8_t two[2] = { 0xff, m };

	if (m == 0xd8 || m == 0x00)
		return STRIP_EMALFORMED;	/* second SOI, stray stuffing */
	if (m == 0xd9) {
		s->state = J_END;
		return put(emit, arg, two, 2);
	}
	if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
		/* standalone markers: no length */
		s->state = J_FF;
		return put(emit, arg, two, 2);
	}
	s->marker = m;
	s->hdr_n = 0;
	s->state = J_LEN;
	return STRIP_OK;
}

static int
jpeg_after_segment(struct strip *s)
{
	s->state = s->is_sos ? J_ECS : J_FF;
	return STRIP_OK;
}

/* Consume the payload of the current segment or chunk: up to remain
 * bytes of in, kept or dropped. Returns how many were used. */
static size_t
body(struct strip *s, const uint8_t *in, size_t len, strip_emit emit,
    void *arg, int *rc)
{
	size_t n = len;

	if ((uint64_t)n > s->remain)
		n = (size_t)s->remain;
	if (s->drop)
		s->dropped += n;
	else
		*rc = put(emit, arg, in, n);
	s->remain -= n;
	return n;
}

static int
jpeg_feed(struct strip *s, const uint8_t *in, size_t len, strip_emit emit,
    void *arg)
{
	static const uint8_t ff = 0xff;
	size_t i = 0, n;
	const uint8_t *p;
	int rc = STRIP_OK;
	uint8_t b;

	while (i < len && rc == STRIP_OK) {
		switch (s->state) {
		case J_SOI:
			b = in[i++];
			if (b != (s->hdr_n == 0 ? 0xff : 0xd8))
				return STRIP_EMALFORMED;
			if (++s->hdr_n == 2) {
				static const uint8_t soi[2] = { 0xff, 0xd8 };

				rc = put(emit, arg, soi, 2);
				s->state = J_FF;
			}
			break;
		case J_FF:
			if (in[i++] != 0xff)
				return STRIP_EMALFORMED;
			s->state = J_MARKER;
			break;
		case J_MARKER:
			b = in[i++];
			if (b == 0xff) {
				s->dropped++;	/* fill byte */
				break;
			}
			rc = jpeg_marker(s, b, emit, arg);
			break;
		case J_LEN:
			s->hdr[s->hdr_n++] = in[i++];
			if (s->hdr_n < 2)
				break;
			s->remain = ((uint64_t)s->hdr[0] << 8) | s->hdr[1];
			if (s->remain < 2)
				return STRIP_EMALFORMED;
			s->remain -= 2;
			/* APP1 (Exif, XMP), APP13 (IPTC), COM */
			s->drop = s->marker == 0xe1 || s->marker == 0xed ||
			    s->marker == 0xfe;
			s->is_sos = s->marker == 0xda;
			if (s->drop)
				s->dropped += 4;
			else {
				uint8_t h[4] = { 0xff, s->marker, s->hdr[0],
				    s->hdr[1] };

				rc = put(emit, arg, h, 4);
			}
			if (s->remain == 0)
				rc = rc == STRIP_OK ? jpeg_after_segment(s) : rc;
			else
				s->state = J_BODY;
			break;
		case J_BODY:
			i += body(s, in + i, len - i, emit, arg, &rc);
			if (s->remain == 0 && rc == STRIP_OK)
				rc = jpeg_after_segment(s);
			break;
		case J_ECS:
			p = memchr(in + i, 0xff, len - i);
			n = p != NULL ? (size_t)(p - (in + i)) : len - i;
			rc = put(emit, arg, in + i, n);
			i += n;
			if (p != NULL) {
				i++;
				s->state = J_ECS_FF;
			}
			break;
		case J_ECS_FF:
			b = in[i++];
			if (b == 0xff) {
				s->dropped++;	/* fill before a marker */
				break;
			}
			if (b == 0x00 || (b >= 0xd0 && b <= 0xd7)) {
				/* stuffed FF or a restart marker: data */
				rc = put(emit, arg, &ff, 1);
				if (rc == STRIP_OK)
					rc = put(emit, arg, &b, 1);
				s->state = J_ECS;
				break;
			}
			s->is_sos = 0;
			rc = jpeg_marker(s, b, emit, arg);
			break;
		case J_END:
			s->dropped += len - i;
			i = len;
			break;
		default:
			return STRIP_EMALFORMED;
		}
	}
	return rc;
}

static int
png_droppable(const uint8_t type[4])
{
	static const char *const drop[] = { "eXIf", "tEXt", "iTXt", "zTXt" };

	for (size_t k = 0; k < sizeof(drop) / sizeof(drop[0]); k++)
		if (memcmp(type, drop[k], 4) == 0)
			return 1;
	return 0;
}

static int
png_feed(struct strip *s, const uint8_t *in, size_t len, strip_emit emit,
    void *arg)
{
	size_t i = 0;
	int rc = STRIP_OK;
	uint32_t clen;

	while (i < len && rc == STRIP_OK) {
		switch (s->state) {
		case P_SIG:
			if (in[i++] != png_sig[s->hdr_n])
				return STRIP_EMALFORMED;
			if (++s->hdr_n == sizeof(png_sig)) {
				rc = put(emit, arg, png_sig, sizeof(png_sig));
				s->hdr_n = 0;
				s->state = P_HDR;
			}
			break;
		case P_HDR:
			s->hdr[s->hdr_n++] = in[i++];
			if (s->hdr_n < 8)
				break;
			s->hdr_n = 0;
			clen = ((uint32_t)s->hdr[0] << 24) |
			    ((uint32_t)s->hdr[1] << 16) |
			    ((uint32_t)s->hdr[2] << 8) | s->hdr[3];
			if (clen > 0x7fffffffu)
				return STRIP_EMALFORMED;	/* PNG 5.3 */
			for (unsigned k = 4; k < 8; k++)
				if (!((s->hdr[k] >= 'A' && s->hdr[k] <= 'Z') ||
				    (s->hdr[k] >= 'a' && s->hdr[k] <= 'z')))
					return STRIP_EMALFORMED;
			s->drop = png_droppable(s->hdr + 4);
			s->is_iend = memcmp(s->hdr + 4, "IEND", 4) == 0;
			if (s->drop)
				s->dropped += 8;
			else
				rc = put(emit, arg, s->hdr, 8);
			s->remain = (uint64_t)clen + 4;	/* + CRC */
			s->state = P_BODY;
			break;
		case P_BODY:
			i += body(s, in + i, len - i, emit, arg, &rc);
			if (s->remain == 0)
				s->state = s->is_iend ? P_END : P_HDR;
			break;
		case P_END:
			s->dropped += len - i;
			i = len;
			break;
		default:
			return STRIP_EMALFORMED;
		}
	}
	return rc;
}

int
strip_feed(struct strip *s, const uint8_t *in, size_t len, strip_emit emit,
    void *arg)
{
	switch (s->kind) {
	case STRIP_JPEG:
		return jpeg_feed(s, in, len, emit, arg);
	case STRIP_PNG:
		return png_feed(s, in, len, emit, arg);
	default:
		return put(emit, arg, in, len);
	}
}

int
strip_finish(const struct strip *s)
{
	switch (s->kind) {
	case STRIP_JPEG:
		return s->state == J_END ? STRIP_OK : STRIP_EMALFORMED;
	case STRIP_PNG:
		return s->state == P_END ? STRIP_OK : STRIP_EMALFORMED;
	default:
		return STRIP_OK;
	}
}
