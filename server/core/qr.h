/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * qr: a QR code of a short text (the otpauth:// URI of a TOTP enrolment)
 * as an SVG image in a data: URI, ready for an <img src>. The web UI's
 * Content-Security-Policy allows img-src data: and nothing inline else;
 * an SVG shown through <img> runs no script. The image is drawn from
 * libqrencode's module matrix as one path of unit squares.
 */
#ifndef CORRIDOR_QR_H
#define CORRIDOR_QR_H

#include <stddef.h>

/*
 * The data: URI of text's QR code (error correction level M), in a
 * secmem_buf_alloc buffer the caller frees with secmem_buf_free (which
 * wipes it: the code carries the TOTP secret). NULL on failure.
 */
char *qr_svg_data_uri(const char *text);

#endif
