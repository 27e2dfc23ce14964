/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* stream: chunked secretstream encryption (attachments, upload spool). */
#include <sodium.h>

#include "crypto/stream.h"

#define SS(x)	crypto_secretstream_xchacha20poly1305_##x

_Static_assert(sizeof(SS(state)) == STREAM_STATE_BYTES,
    "STREAM_STATE_BYTES == sizeof state");

static SS(state) *
state_of(struct stream_state *st)
{
	/* the opaque array is exactly the state, which holds only bytes */
	return (SS(state) *)(void *)st->opaque;
}

void
stream_keygen(uint8_t key[STREAM_KEY_BYTES])
{
	SS(keygen)(key);
}

int
stream_push_init(struct stream_state *st, uint8_t header[STREAM_HEADER_BYTES],
    const uint8_t key[STREAM_KEY_BYTES])
{
	return SS(init_push)(state_of(st), header, key) == 0 ? 0 : -1;
}

int
stream_push(struct stream_state *st, uint8_t *out, size_t out_max,
    size_t *out_len, const uint8_t *in, size_t in_len, const uint8_t *ad,
    size_t ad_len, int final)
{
	unsigned long long n = 0;

	if (in_len > SS(MESSAGEBYTES_MAX) || out_max < STREAM_ABYTES ||
	    out_max - STREAM_ABYTES < in_len)
		return -1;
	if (SS(push)(state_of(st), out, &n, in, in_len, ad, ad_len,
	    final ? SS(TAG_FINAL) : SS(TAG_MESSAGE)) != 0)
		return -1;
	*out_len = (size_t)n;
	return 0;
}

int
stream_pull_init(struct stream_state *st,
    const uint8_t header[STREAM_HEADER_BYTES],
    const uint8_t key[STREAM_KEY_BYTES])
{
	return SS(init_pull)(state_of(st), header, key) == 0 ? 0 : -1;
}

int
stream_pull(struct stream_state *st, uint8_t *out, size_t out_max,
    size_t *out_len, const uint8_t *in, size_t in_len, const uint8_t *ad,
    size_t ad_len, int *final)
{
	unsigned long long n = 0;
	unsigned char tag = 0;

	*final = 0;
	if (in_len < STREAM_ABYTES || out_max < in_len - STREAM_ABYTES)
		return -1;
	if (SS(pull)(state_of(st), out, &n, &tag, in, in_len, ad, ad_len) != 0) {
		sodium_memzero(out, in_len - STREAM_ABYTES);
		return -1;
	}
	/* only MESSAGE and FINAL are ever pushed: anything else is forged */
	if (tag != SS(TAG_MESSAGE) && tag != SS(TAG_FINAL)) {
		sodium_memzero(out, in_len - STREAM_ABYTES);
		return -1;
	}
	*final = tag == SS(TAG_FINAL);
	*out_len = (size_t)n;
	return 0;
}

void
stream_state_wipe(struct stream_state *st)
{
	if (st != NULL)
		sodium_memzero(st, sizeof(*st));
}
