/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * tile: tlog-tiles paths and addressing (see tile.h). Pure arithmetic, no
 * I/O; the parser is a fuzz target (tests/fuzz/fuzz_tilepath.c) because
 * the server feeds it request paths.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/tile.h"

/* Decimal without leading zeros (a lone "0" is fine), at most max.
 * Consumes up to the next '/' or '.' or the end. */
static int
parse_dec(const char **pp, const char *end, uint64_t max, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (p == end || *p < '0' || *p > '9')
		return -1;
	if (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9')
		return -1;	/* leading zero */
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (max - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*pp = p;
	*out = v;
	return 0;
}

static int
three_digits(const char *p, const char *end, unsigned *out)
{
	if (end - p < 3)
		return -1;
	for (int i = 0; i < 3; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	*out = (unsigned)(p[0] - '0') * 100u + (unsigned)(p[1] - '0') * 10u +
	    (unsigned)(p[2] - '0');
	return 0;
}

/* N: ("x" ddd "/")* ddd, the first x-group not x000. */
static int
parse_index(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	unsigned g, groups = 0;

	while (p < end && *p == 'x') {
		if (three_digits(p + 1, end, &g) != 0 || end - p < 5 ||
		    p[4] != '/')
			return -1;
		if (groups == 0 && g == 0)
			return -1;	/* not canonical */
		if (++groups > 5 || v > (TILE_INDEX_MAX - g) / 1000)
			return -1;
		v = v * 1000 + g;
		p += 5;
	}
	if (three_digits(p, end, &g) != 0)
		return -1;
	if (v > (TILE_INDEX_MAX - g) / 1000)
		return -1;
	v = v * 1000 + g;
	*pp = p + 3;
	*out = v;
	return 0;
}

int
tile_path_parse(struct tile_id *t, const char *p, size_t len)
{
	const char *end = p + len;
	uint64_t v;

	memset(t, 0, sizeof(*t));
	if (len < 5 || memcmp(p, "tile/", 5) != 0)
		return -1;
	p += 5;
	if (end - p >= 8 && memcmp(p, "entries/", 8) == 0) {
		t->entries = 1;
		p += 8;
	} else {
		if (parse_dec(&p, end, TILE_LEVEL_MAX, &v) != 0 || p == end ||
		    *p != '/')
			return -1;
		t->level = (unsigned)v;
		p++;
	}
	if (parse_index(&p, end, &t->index) != 0)
		return -1;
	t->width = TILE_WIDTH;
	if (p == end)
		return 0;
	if (end - p < 4 || memcmp(p, ".p/", 3) != 0)
		return -1;
	p += 3;
	if (parse_dec(&p, end, TILE_WIDTH - 1, &v) != 0 || p != end || v == 0)
		return -1;
	t->width = (unsigned)v;
	return 0;
}

int
tile_path_format(char *out, size_t out_len, const struct tile_id *t)
{
	unsigned g[6];
	uint64_t n = t->index;
	size_t off;
	int k = 0, w;

	if (t->level > TILE_LEVEL_MAX || t->index > TILE_INDEX_MAX ||
	    t->width == 0 || t->width > TILE_WIDTH || (t->entries &&
	    t->level != 0))
		return -1;
	do {
		g[k++] = (unsigned)(n % 1000);
		n /= 1000;
	} while (n > 0 && k < 6);
	if (t->entries)
		w = snprintf(out, out_len, "tile/entries/");
	else
		w = snprintf(out, out_len, "tile/%u/", t->level);
	if (w < 0 || (size_t)w >= out_len)
		return -1;
	off = (size_t)w;
	while (k-- > 0) {
		w = snprintf(out + off, out_len - off, k > 0 ? "x%03u/" :
		    "%03u", g[k]);
		if (w < 0 || (size_t)w >= out_len - off)
			return -1;
		off += (size_t)w;
	}
	if (t->width < TILE_WIDTH) {
		w = snprintf(out + off, out_len - off, ".p/%u", t->width);
		if (w < 0 || (size_t)w >= out_len - off)
			return -1;
	}
	return 0;
}

unsigned
tile_width_at(unsigned level, uint64_t index, uint64_t size)
{
	uint64_t hashes;

	if (level * TILE_HEIGHT >= 64)
		return 0;
	hashes = size >> (level * TILE_HEIGHT);	/* hashes at this level */
	if (index >= hashes / TILE_WIDTH + 1)
		return 0;
	if (index < hashes / TILE_WIDTH)
		return TILE_WIDTH;
	return (unsigned)(hashes % TILE_WIDTH);
}

void
tile_node_locate(unsigned height, uint64_t node_index, unsigned *tile_level,
    uint64_t *tile_index, unsigned *off, unsigned *count)
{
	unsigned r = height % TILE_HEIGHT;
	/* the node's first hash at the tile level: < 2^63 for nodes of a
	 * tree below 2^63 leaves */
	uint64_t first = node_index << r;

	*tile_level = height / TILE_HEIGHT;
	*tile_index = first / TILE_WIDTH;
	*off = (unsigned)(first % TILE_WIDTH);
	*count = 1u << r;
}
