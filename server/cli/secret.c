/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* secret: secrets from files or a no-echo terminal prompt. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "crypto/secmem.h"
#include "server/cli/secret.h"

/* Read all of fd into buf (cap bytes). -1 if larger than cap. */
static ssize_t
read_all(int fd, char *buf, size_t cap)
{
	size_t off = 0;
	ssize_t n;

	for (;;) {
		if (off == cap)
			return -1;
		n = read(fd, buf + off, cap - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return (ssize_t)off;
		off += (size_t)n;
	}
}

static ssize_t
prompt_tty(const char *prompt, char *buf, size_t cap)
{
	struct termios old, quiet;
	ssize_t n = -1;
	size_t off = 0;
	char c;
	int fd;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	if (tcgetattr(fd, &old) != 0)
		goto done;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0 ||
	    tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
		goto done;
	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (off == cap) {
			off = cap + 1;
			break;
		}
		buf[off++] = c;
	}
	c = 0;
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		off = cap + 1;
	n = off > cap ? -1 : (ssize_t)off;
done:
	close(fd);
	return n;
}

int
secret_read(char **out, size_t *out_len, const char *file, const char *prompt,
    int confirm, size_t max, char *err, size_t err_len)
{
	char *buf = NULL, *again = NULL;
	ssize_t n, m;
	int fd;

	*out = NULL;
	if ((buf = secmem_alloc(max + 2)) == NULL) {
		snprintf(err, err_len, "cannot allocate locked memory");
		return -1;
	}
	if (file != NULL) {
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
			snprintf(err, err_len, "cannot open the secret file");
			goto fail;
		}
		n = read_all(fd, buf, max + 2);
		close(fd);
		if (n < 0) {
			snprintf(err, err_len, "secret file unreadable or too long");
			goto fail;
		}
		if (n > 0 && buf[n - 1] == '\n')
			n--;
		if (n > 0 && buf[n - 1] == '\r')
			n--;
	} else {
		if ((n = prompt_tty(prompt, buf, max + 1)) < 0) {
			snprintf(err, err_len, "no terminal to prompt on; "
			    "give the secret in a file");
			goto fail;
		}
		if (confirm) {
			if ((again = secmem_alloc(max + 2)) == NULL ||
			    (m = prompt_tty("Again: ", again, max + 1)) < 0 ||
			    m != n || !secmem_equal(buf, again, (size_t)n)) {
				snprintf(err, err_len, "the two entries differ");
				goto fail;
			}
		}
	}
	if (n <= 0 || (size_t)n > max || memchr(buf, '\0', (size_t)n) != NULL) {
		snprintf(err, err_len, "secret is empty, too long or holds a NUL");
		goto fail;
	}
	buf[n] = '\0';
	secmem_free(again);
	*out = buf;
	*out_len = (size_t)n;
	return 0;
fail:
	secmem_free(buf);
	secmem_free(again);
	return -1;
}

void
secret_free(char *s, size_t len)
{
	(void)len;	/* secmem_free wipes the whole region */
	secmem_free(s);
}
