/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * strip: remove identifying metadata from an image as its bytes stream
 * past, before they are encrypted (a photo's GPS position can locate a
 * safe house). A small state machine over the structure of the file; it
 * never decodes pixels and never holds more than a chunk header, so memory
 * is constant whatever the file's size.
 *
 *   JPEG  APP1 (Exif, XMP), APP13 (Photoshop IPTC) and COM segments are
 *         dropped, and anything after EOI (phone makers' trailers, a second
 *         embedded image). Everything else passes byte for byte, entropy-
 *         coded data included. The Exif orientation goes with APP1 (see
 *         docs/cases.md).
 *   PNG   eXIf, tEXt, iTXt and zTXt chunks are dropped, and anything after
 *         IEND. Every other chunk passes byte for byte; chunks carry their
 *         own CRC, so nothing is recomputed.
 *   other passed through unchanged (PDF and text are not rewritten: see
 *         docs/cases.md for what that leaves in a PDF).
 *
 * A file whose structure does not parse is refused (-1), not passed: a
 * malformed JPEG could hide an APP1 that a lenient viewer still reads.
 */
#ifndef CORRIDOR_STRIP_H
#define CORRIDOR_STRIP_H

#include <stddef.h>
#include <stdint.h>

enum strip_kind {
	STRIP_PASS = 0,		/* no structure known: bytes pass */
	STRIP_JPEG,
	STRIP_PNG,
};

/* The caller's sink for kept bytes: 0 to go on, -1 to stop. */
typedef int (*strip_emit)(void *arg, const uint8_t *p, size_t len);

struct strip {
	int		 kind;
	int		 state;
	uint64_t	 remain;	/* bytes left in the current segment */
	int		 drop;		/* the current segment is dropped */
	int		 is_sos;	/* entropy-coded data follows it */
	int		 is_iend;
	uint8_t		 marker;
	uint8_t		 hdr[8];	/* JPEG length / PNG length + type */
	unsigned	 hdr_n;
	uint64_t	 dropped;	/* bytes removed so far */
};

enum strip_result {
	STRIP_OK = 0,
	STRIP_EMALFORMED = -1,	/* not a well-formed file of its kind */
	STRIP_EEMIT = -2,	/* emit returned -1 */
};

void strip_init(struct strip *s, enum strip_kind kind);

/* Feed len more bytes; kept bytes go to emit, in order. A strip_result. */
int strip_feed(struct strip *s, const uint8_t *in, size_t len,
    strip_emit emit, void *arg) __attribute__((warn_unused_result));

/* The input has ended: STRIP_OK if the file was complete (JPEG up to EOI,
 * PNG up to IEND), else STRIP_EMALFORMED. */
int strip_finish(const struct strip *s) __attribute__((warn_unused_result));

#endif
