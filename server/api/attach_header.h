/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * attach_header: the request and response headers of an attachment
 * (route_attach.c), as pure functions of their text, so that the fuzz
 * target (tests/fuzz/fuzz_attachhdr.c) runs exactly the code the upload
 * and the download run. Content-Type picks an entry of the allow-list;
 * X-Filename is percent-encoded UTF-8 and decodes to a name, never a path;
 * Content-Disposition carries the stored name back, as an ASCII stand-in
 * and as RFC 8187 filename*.
 */
#ifndef CORRIDOR_ATTACH_HEADER_H
#define CORRIDOR_ATTACH_HEADER_H

#include <stddef.h>

#include "server/limits.h"

/* One entry of the allow-list: the media type as stored and served back,
 * and how the upload is stripped (enum strip_kind, server/core/strip.h).
 * Entries live for the life of the process. */
struct attach_media {
	const char	*type;
	int		 strip;
};

/* The allow-list entry of a Content-Type value (case-insensitive; any
 * parameters after ';' ignored), or NULL. ct may be NULL. */
const struct attach_media *attach_header_media_type(const char *ct);

/* The allow-list entry whose type is exactly type (a stored media type),
 * or NULL. */
const struct attach_media *attach_header_media_stored(const char *type);

/*
 * Decode an X-Filename value h (NUL-terminated; may be NULL) into out:
 * percent-encoded UTF-8, printable ASCII standing for itself. The result
 * is 1..MAX_FILENAME_BYTES bytes of strict UTF-8 (no overlong forms,
 * surrogates or code points past U+10FFFF), without C0, DEL or C1
 * controls, '/', '\' or NUL, and is not "." or "..". 0, or -1 (out is
 * then unspecified).
 */
int attach_header_filename_decode(const char *h,
    char out[MAX_FILENAME_BYTES + 1]) __attribute__((warn_unused_result));

/* Content-Disposition for a download of name (a decoded filename) into
 * out (out_max bytes): attachment; filename="<ASCII stand-in>";
 * filename*=UTF-8''<percent-encoded name>. 0, or -1 when it would not
 * fit. */
int attach_header_disposition(char *out, size_t out_max, const char *name)
    __attribute__((warn_unused_result));

#endif
