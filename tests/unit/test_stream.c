/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_stream: crypto/stream.h, the chunked encryption of attachments.
 * A stream opens only whole, in order, at its place and under its key:
 * reordered, repeated, dropped, flipped or moved chunks fail, and a
 * stream cut before its FINAL chunk is never reported final.
 */
#include <string.h>

#include "crypto/secmem.h"
#include "crypto/stream.h"
#include "testutil.h"

#define N	3
#define LEN	100

static const uint8_t ad[] = "corridor/v1|attachment|case|att";
static const uint8_t ad2[] = "corridor/v1|attachment|case|other";

static uint8_t key[STREAM_KEY_BYTES], hdr[STREAM_HEADER_BYTES];
static uint8_t ct[N][LEN + STREAM_ABYTES];

static void
make(void)
{
	struct stream_state st;
	uint8_t pt[LEN];
	size_t n;

	stream_keygen(key);
	check(stream_push_init(&st, hdr, key) == 0);
	for (int i = 0; i < N; i++) {
		memset(pt, 'a' + i, sizeof(pt));
		check(stream_push(&st, ct[i], sizeof(ct[i]), &n, pt, LEN, ad,
		    sizeof(ad) - 1, i == N - 1) == 0 && n == sizeof(ct[i]));
	}
	/* an output buffer one byte short is refused */
	check(stream_push(&st, ct[0], LEN + STREAM_ABYTES - 1, &n, pt, LEN, ad,
	    sizeof(ad) - 1, 0) == -1);
	stream_state_wipe(&st);
}

/* Pull the chunks in order[] (count of them); returns how many opened,
 * and *final whether the last opened was FINAL. */
static int
pull(const int *order, int count, const uint8_t *k, const uint8_t *a,
    size_t a_len, int *final)
{
	struct stream_state st;
	uint8_t pt[LEN];
	size_t n;
	int i;

	*final = 0;
	if (stream_pull_init(&st, hdr, k) != 0)
		return -1;
	for (i = 0; i < count; i++) {
		if (stream_pull(&st, pt, sizeof(pt), &n, ct[order[i]],
		    sizeof(ct[0]), a, a_len, final) != 0)
			break;
		if (n != LEN || pt[0] != 'a' + order[i])
			break;
	}
	stream_state_wipe(&st);
	return i;
}

int
main(void)
{
	static const int ok[] = { 0, 1, 2 }, swap[] = { 1, 0, 2 },
	    rep[] = { 0, 0, 1 }, cut[] = { 0, 1 }, skip[] = { 0, 2 };
	uint8_t other[STREAM_KEY_BYTES];
	int final;

	if (secmem_init() != 0)
		return 1;
	make();
	check(pull(ok, 3, key, ad, sizeof(ad) - 1, &final) == 3 && final);
	check(pull(swap, 3, key, ad, sizeof(ad) - 1, &final) == 0);
	check(pull(rep, 3, key, ad, sizeof(ad) - 1, &final) == 1);
	check(pull(skip, 2, key, ad, sizeof(ad) - 1, &final) == 1);
	/* truncation: every chunk opens, but FINAL never comes */
	check(pull(cut, 2, key, ad, sizeof(ad) - 1, &final) == 2 && !final);
	/* moved to another attachment, or another key */
	check(pull(ok, 3, key, ad2, sizeof(ad2) - 1, &final) == 0);
	stream_keygen(other);
	check(pull(ok, 3, other, ad, sizeof(ad) - 1, &final) == 0);
	/* one flipped bit in the middle chunk */
	ct[1][5] ^= 1;
	check(pull(ok, 3, key, ad, sizeof(ad) - 1, &final) == 1);
	ct[1][5] ^= 1;
	/* a flipped header */
	hdr[0] ^= 1;
	check(pull(ok, 3, key, ad, sizeof(ad) - 1, &final) == 0);
	hdr[0] ^= 1;
	check(pull(ok, 3, key, ad, sizeof(ad) - 1, &final) == 3 && final);
	return test_done("stream");
}
