/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * qr: QR codes as SVG data: URIs, over libqrencode (qr.h). libqrencode
 * was chosen because it is packaged in Debian 12 (libqrencode4, 4.1.1),
 * small, written in C with no dependencies of its own, and used by many
 * Debian packages; writing a QR encoder (Reed-Solomon, masking, version
 * tables) in the server would be new code for a reviewer to trust.
 */
#include <stdio.h>
#include <string.h>

#include <qrencode.h>

#include "crypto/encode.h"
#include "crypto/secmem.h"
#include "server/core/qr.h"
#include "server/limits.h"

#define QUIET_MODULES	4	/* the white border a reader needs */

/* Each dark module: "M<x> <y>h1v1h-1z" is at most 18 bytes for x, y
 * below 1000; a code of MAX_OTPAUTH_URI_BYTES is version 10 (57 modules)
 * at most, level M. */
#define MODULE_BYTES	18u
#define SVG_HEAD_BYTES	256u

char *
qr_svg_data_uri(const char *text)
{
	static const char prefix[] = "data:image/svg+xml;base64,";
	QRcode *qr = NULL;
	char *svg = NULL, *out = NULL;
	size_t cap, n = 0, out_len;
	int w, side, k;

	if (text == NULL || strlen(text) >= MAX_OTPAUTH_URI_BYTES)
		return NULL;
	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL || qr->width <= 0 || qr->width > 177)
		goto done;
	w = qr->width;
	side = w + 2 * QUIET_MODULES;
	cap = SVG_HEAD_BYTES + (size_t)w * (size_t)w * MODULE_BYTES;
	if ((svg = secmem_buf_alloc(cap)) == NULL)
		goto done;
	k = snprintf(svg, cap, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
	    "<path fill=\"#000\" d=\"", side, side, side, side);
	if (k < 0 || (size_t)k >= cap)
		goto done;
	n = (size_t)k;
	for (int y = 0; y < w; y++)
		for (int x = 0; x < w; x++) {
			if (!(qr->data[y * w + x] & 1))
				continue;
			k = snprintf(svg + n, cap - n, "M%d %dh1v1h-1z",
			    x + QUIET_MODULES, y + QUIET_MODULES);
			if (k < 0 || (size_t)k >= cap - n)
				goto done;
			n += (size_t)k;
		}
	k = snprintf(svg + n, cap - n, "\"/></svg>");
	if (k < 0 || (size_t)k >= cap - n)
		goto done;
	n += (size_t)k;
	out_len = sizeof(prefix) - 1 + encode_b64_len(n);
	if ((out = secmem_buf_alloc(out_len)) == NULL)
		goto done;
	memcpy(out, prefix, sizeof(prefix) - 1);
	if (encode_b64(out + sizeof(prefix) - 1, out_len - (sizeof(prefix) - 1),
	    svg, n) != 0) {
		secmem_buf_free(out);
		out = NULL;
	}
done:
	if (qr != NULL) {
		secmem_wipe(qr->data, (size_t)qr->width * (size_t)qr->width);
		QRcode_free(qr);
	}
	secmem_buf_free(svg);
	return out;
}
