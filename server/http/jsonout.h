/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * jsonout: a JSON answer written as text, straight into one buffer.
 *
 * The list routes (GET /cases, GET /users, GET /audit) answered through a
 * jansson tree: about 40 allocations per row (each object, its hashtable,
 * every key and string), each wiped when freed, then a serialization pass
 * and a free pass on another thread. Profiled, that was most of a list's
 * CPU (issue 17). Here a row costs a few memcpy and no allocation: the
 * buffer grows by doubling. Like every response body it is a
 * secmem_buf_alloc buffer (MADV_DONTDUMP, wiped on free), since a list
 * names cases and regions.
 *
 * The writer places the commas itself: call jsonout_key before each member
 * of an object, then exactly one value. Errors are sticky (allocation
 * failure, MAX_RESPONSE_BYTES, nesting past JSONOUT_MAX_DEPTH, a string
 * that is not UTF-8) and reported once, by jsonout_finish.
 */
#ifndef CORRIDOR_JSONOUT_H
#define CORRIDOR_JSONOUT_H

#include <stddef.h>
#include <stdint.h>

/* Nesting the answers here need: the body, a list, a row, a member's
 * object or array, and one more level. */
#define JSONOUT_MAX_DEPTH	8

struct jsonout {
	char		*buf;		/* secmem_buf_alloc'd (wiped on free) */
	size_t		 len;
	size_t		 cap;
	int		 err;		/* sticky */
	int		 after_key;	/* the next value follows a key */
	unsigned	 depth;
	unsigned char	 more[JSONOUT_MAX_DEPTH + 1];	/* depth has a value */
};

/* Start an empty writer (no allocation yet). */
void jsonout_init(struct jsonout *o);

void jsonout_object_begin(struct jsonout *o);
void jsonout_object_end(struct jsonout *o);
void jsonout_array_begin(struct jsonout *o);
void jsonout_array_end(struct jsonout *o);

/* An object member's name; the next call writes its value. */
void jsonout_key(struct jsonout *o, const char *key);

/* A string, escaped as jansson escapes it (", \, control characters; UTF-8
 * kept as is). s must be UTF-8, or the writer fails; NULL writes null. */
void jsonout_string(struct jsonout *o, const char *s);
void jsonout_stringn(struct jsonout *o, const char *s, size_t s_len);
/* Free text that may not be UTF-8 (a stored reason): each byte outside
 * printable ASCII is written as '?', as route_audit's text_json did. */
void jsonout_text(struct jsonout *o, const uint8_t *s, size_t s_len);
void jsonout_int(struct jsonout *o, int64_t v);
void jsonout_bool(struct jsonout *o, int v);
void jsonout_null(struct jsonout *o);

/*
 * End the writing: on success *buf (len bytes, not NUL-terminated)
 * passes to the caller, who frees it with secmem_buf_free, and 0 is
 * returned. On any error, or if an object or array is
 * still open, the buffer is wiped and freed, *buf is NULL and -1 is
 * returned.
 */
int jsonout_finish(struct jsonout *o, char **buf, size_t *len);

/* Wipe and free what o holds (after an abandoned write). */
void jsonout_free(struct jsonout *o);

#endif
