/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * secret: read a passphrase or password from a file or from the terminal
 * without echo. Secrets never come from argv or the environment.
 */
#ifndef CORRIDOR_SECRET_H
#define CORRIDOR_SECRET_H

#include <stddef.h>

/*
 * Read a secret into a secmem buffer (*out, free with secret_free).
 * file: path, or NULL to prompt on /dev/tty with prompt (twice when
 * confirm). One trailing newline is stripped. max: largest length
 * accepted. Returns 0, or -1 with a one-line reason in err.
 */
int secret_read(char **out, size_t *out_len, const char *file,
    const char *prompt, int confirm, size_t max, char *err, size_t err_len)
    __attribute__((warn_unused_result));
void secret_free(char *s, size_t len);

#endif
