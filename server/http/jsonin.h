/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * jsonin: request JSON, parsed with an explicit length and
 * JSON_REJECT_DUPLICATES, then checked against the caps in limits.h
 * (jansson itself allows 2048 levels of nesting and unbounded sizes), and
 * read through strict typed getters that reject unknown members.
 */
#ifndef CORRIDOR_JSONIN_H
#define CORRIDOR_JSONIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum jsonin_err {
	JSONIN_OK = 0,
	JSONIN_EMALFORMED = -1,	/* not JSON, bad UTF-8, duplicate key */
	JSONIN_ELIMIT = -2,	/* too deep, too many elements, too long */
	JSONIN_ESHAPE = -3,	/* not an object, unknown member, wrong type */
};

/* Parse buf (not NUL-terminated). *out is owned by the caller
 * (json_decref). Returns a jsonin_err. */
int jsonin_parse(const uint8_t *buf, size_t len, json_t **out);

/* Check depth, element count and string/key lengths of v. */
int jsonin_check_limits(const json_t *v, size_t max_depth,
    size_t max_elements, size_t max_string);

/* obj must be an object whose keys are all in the NULL-terminated list. */
int jsonin_only(const json_t *obj, const char *const *allowed);

/*
 * Typed getters. required: absence is an error; otherwise absence leaves
 * *out untouched and returns JSONIN_OK with *present = 0 (present may be
 * NULL). Strings must be valid UTF-8 (jansson guarantees), without
 * control characters (C0, DEL or C1) unless allow_ctl, and min..max bytes
 * long.
 */
int jsonin_string(const json_t *obj, const char *key, int required,
    size_t min, size_t max, int allow_ctl, const char **out, int *present);
int jsonin_int(const json_t *obj, const char *key, int required,
    int64_t min, int64_t max, int64_t *out, int *present);
/* Would s, n bytes from elsewhere (a query parameter), pass
 * jsonin_string with min, max and no control characters: valid UTF-8,
 * no NUL? 1 or 0. */
int jsonin_text(const char *s, size_t n, size_t min, size_t max);
/* One of a NULL-terminated set of strings; *out is its index. */
int jsonin_enum(const json_t *obj, const char *key, int required,
    const char *const *values, int *out, int *present);

/*
 * A free-form object member (a person, evacuation details): it must be a
 * JSON object within MAX_FREEFORM_DEPTH levels and MAX_FREEFORM_STRING_BYTES
 * per string, and serialize (compact) to at most max_bytes. *out gets the
 * serialization in a malloc'd NUL-terminated buffer of *out_len bytes,
 * which the caller releases with jsonin_wipe_free (it is case content).
 * Absent and not required: JSONIN_OK, *present = 0, *out = NULL.
 */
int jsonin_freeform(const json_t *obj, const char *key, int required,
    size_t max_bytes, char **out, size_t *out_len, int *present);
/* Wipe and free a jsonin_freeform buffer; len is its *out_len. */
void jsonin_wipe_free(char *p, size_t len);

/* obj is exactly { key: <an opaque id> } (a body naming one user or
 * case): *out points into obj, or is NULL on error. */
int jsonin_id_body(const json_t *obj, const char *key, const char **out);

/* Is s a well-formed opaque id (22 base64url chars)? */
int jsonin_is_id(const char *s);

#endif
