/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_strip: the streaming metadata stripper (server/core/strip.h) that
 * every uploaded image passes through. Input: one byte choosing the kind
 * (JPEG, PNG, pass-through) and a split pattern, then the file. Checks:
 *   - a stream is a stream: the file fed whole, byte by byte, and in
 *     pieces of varying size gives the same bytes and the same verdict
 *     (uploads arrive in whatever pieces the network makes);
 *   - nothing is added: the output is never longer than the input, and
 *     pass-through is the identity;
 *   - a file the stripper accepts comes out clean: stripping the output
 *     again accepts it and removes nothing (no APP1/APP13/COM segment,
 *     no eXIf or text chunk, no trailer survives).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/strip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX	(1u << 20)

struct sink {
	uint8_t	*p;
	size_t	 len;
};

static int
sink_put(void *arg, const uint8_t *p, size_t len)
{
	struct sink *s = arg;

	if (len > OUT_MAX - s->len)
		abort();	/* longer than any input we replay */
	memcpy(s->p + s->len, p, len);
	s->len += len;
	return 0;
}

/* Strip in pieces of sizes drawn from pattern (0: whole). The verdict:
 * STRIP_OK, or the first error of feed or finish. */
static int
run(enum strip_kind kind, const uint8_t *in, size_t len, unsigned pattern,
    struct sink *out, uint64_t *dropped)
{
	struct strip s;
	size_t off = 0, n;
	int rc = STRIP_OK;

	out->len = 0;
	strip_init(&s, kind);
	while (off < len) {
		n = pattern == 0 ? len - off : 1 + (pattern + off * 7) % 13;
		if (n > len - off)
			n = len - off;
		if ((rc = strip_feed(&s, in + off, n, sink_put, out)) != STRIP_OK)
			break;
		off += n;
	}
	if (rc == STRIP_OK)
		rc = strip_finish(&s);
	*dropped = s.dropped;
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t a[OUT_MAX], b[OUT_MAX], c[OUT_MAX];
	struct sink sa = { a, 0 }, sb = { b, 0 }, sc = { c, 0 };
	enum strip_kind kind;
	uint64_t da, db, dc;
	int ra, rb, rc;

	if (size < 1 || size - 1 > OUT_MAX)
		return 0;
	kind = (enum strip_kind)(data[0] % 3);
	ra = run(kind, data + 1, size - 1, 0, &sa, &da);
	rb = run(kind, data + 1, size - 1, 1 + data[0] / 3, &sb, &db);
	/* byte by byte */
	rc = run(kind, data + 1, size - 1, 13 * 7, &sc, &dc);
	(void)dc;
	if (ra != rb || (ra == STRIP_OK && (sa.len != sb.len ||
	    memcmp(a, b, sa.len) != 0)))
		abort();
	if (rc != ra)
		abort();
	if (sa.len > size - 1)
		abort();
	if (kind == STRIP_PASS && (sa.len != size - 1 ||
	    memcmp(a, data + 1, sa.len) != 0))
		abort();
	if (ra == STRIP_OK && kind != STRIP_PASS) {
		if (sa.len + da != size - 1)
			abort();	/* every byte kept or counted dropped */
		if (run(kind, a, sa.len, 0, &sc, &dc) != STRIP_OK || dc != 0 ||
		    sc.len != sa.len || memcmp(c, a, sa.len) != 0)
			abort();	/* stripped output is clean */
	}
	return 0;
}
