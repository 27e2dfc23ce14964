/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli_witness: `corridor witness init DIR --name NAME` and `corridor
 * witness serve DIR --log-key F [--log-key F]... [--listen HOST:PORT]`,
 * the C2SP tlog-witness a partner organisation runs for the corridor
 * logs it follows (server/core/witness.h holds the checks and the state).
 *
 * The HTTP side is one libmicrohttpd daemon with a single internal
 * polling thread: one endpoint, POST /add-checkpoint, a body capped at
 * COSIG_REQUEST_MAX_BYTES as it arrives (413 beyond), and every other
 * method or path refused. The witness holds no database and no passphrase;
 * its key file is its only secret (docs/operations.md, "Running a
 * witness").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "crypto/cosig.h"
#include "crypto/note.h"
#include "server/cli/cli.h"
#include "server/core/cosign.h"
#include "server/core/witness.h"
#include "server/limits.h"
#include "server/log/log.h"

struct conn {
	char	*buf;
	size_t	 len;
	int	 too_big;
	int	 bad_route;
};

static enum MHD_Result
answer(struct MHD_Connection *c, unsigned status, const char *ctype,
    const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *data_len, void **ctx)
{
	struct witness *w = cls;
	struct conn *k = *ctx;
	char out[WITNESS_RESPONSE_MAX_BYTES];
	const char *ctype = "text/plain; charset=utf-8";
	size_t out_len = 0;
	int status;

	(void)version;
	if (k == NULL) {
		if ((k = calloc(1, sizeof(*k))) == NULL)
			return MHD_NO;
		k->bad_route = strcmp(url, "/add-checkpoint") != 0 ||
		    strcmp(method, "POST") != 0;
		*ctx = k;
		return MHD_YES;
	}
	if (*data_len > 0) {
		if (!k->too_big && !k->bad_route) {
			if (*data_len > COSIG_REQUEST_MAX_BYTES - k->len) {
				k->too_big = 1;
			} else {
				char *nb = realloc(k->buf, k->len + *data_len);

				if (nb == NULL)
					return MHD_NO;
				k->buf = nb;
				memcpy(k->buf + k->len, data, *data_len);
				k->len += *data_len;
			}
		}
		*data_len = 0;
		return MHD_YES;
	}
	if (k->bad_route)
		return answer(c, strcmp(url, "/add-checkpoint") == 0 ? 405 :
		    404, ctype, "not found\n", 10);
	if (k->too_big)
		return answer(c, 413, ctype, "request too large\n", 18);
	status = witness_add_checkpoint(w, k->buf ? k->buf : "", k->len, out,
	    sizeof(out), &out_len, &ctype);
	return answer(c, (unsigned)status, ctype, out, out_len);
}

static void
on_done(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode code)
{
	struct conn *k = *ctx;

	(void)cls;
	(void)c;
	(void)code;
	if (k != NULL) {
		free(k->buf);
		free(k);
	}
	*ctx = NULL;
}

static int
witness_init_cmd(int argc, char **argv)
{
	char vkey[NOTE_VKEY_MAX_BYTES];
	const char *name = NULL, *dir = NULL;
	const struct cli_opt opts[] = {
		CLI_OPT_TEXT("name", &name),
	};

	/* argv[0] is "init" */
	if (cli_parse(argc, argv, opts, CLI_NOPTS(opts), &dir, 1) != 0 ||
	    name == NULL) {
		cli_error("usage: corridor witness init DIR --name NAME");
		return EXIT_USAGE;
	}
	if (!note_name_valid(name, strlen(name))) {
		cli_error("the witness name must be 1-255 bytes of UTF-8 with "
		    "no space and no '+' (e.g. witness.example.org/w1)");
		return EXIT_USAGE;
	}
	if (witness_init_dir(dir, name, vkey, sizeof(vkey)) != 0) {
		cli_error("cannot create the witness in %s (it must not hold "
		    "a witness already)", dir);
		return 1;
	}
	printf("%s\n", vkey);
	return 0;
}

struct serve_args {
	struct note_vkey	logs[WITNESS_MAX_LOG_KEYS];
	size_t			nlogs;
	char			host[64];
	unsigned long		port;
};

/* --log-key F, repeatable: the verifier key line of a log to follow. */
static int
parse_log_key(const char *path, void *out)
{
	struct serve_args *a = out;

	if (a->nlogs == WITNESS_MAX_LOG_KEYS ||
	    cosign_read_vkey(&a->logs[a->nlogs], path, NOTE_ALG_ED25519) != 0) {
		cli_error("--log-key takes a file holding the log's verifier "
		    "key line (audit.pub), at most %u times",
		    WITNESS_MAX_LOG_KEYS);
		return -1;
	}
	a->nlogs++;
	return 0;
}

/* --listen IPV4:PORT */
static int
parse_listen(const char *s, void *out)
{
	struct serve_args *a = out;
	const char *colon = strrchr(s, ':');
	char *end;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(a->host))
		return -1;
	memcpy(a->host, s, (size_t)(colon - s));
	a->host[colon - s] = '\0';
	errno = 0;
	a->port = strtoul(colon + 1, &end, 10);
	if (errno || *end || colon[1] == '\0' || colon[1] < '0' ||
	    colon[1] > '9' || a->port > 65535)
		return -1;
	return 0;
}

static int
witness_serve_cmd(int argc, char **argv)
{
	static struct serve_args a;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d = NULL;
	struct witness *w = NULL;
	struct note_vkey self;
	char vkey[NOTE_VKEY_MAX_BYTES];
	const char *dir = NULL;
	const struct cli_opt opts[] = {
		CLI_OPT_PARSE("log-key", parse_log_key, &a),
		CLI_OPT_PARSE("listen", parse_listen, &a),
	};
	sigset_t sigs;
	int sig;

	memset(&a, 0, sizeof(a));
	snprintf(a.host, sizeof(a.host), "127.0.0.1");
	a.port = 8090;
	/* argv[0] is "serve" */
	if (cli_parse(argc, argv, opts, CLI_NOPTS(opts), &dir, 1) != 0 ||
	    a.nlogs == 0)
		goto usage;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)a.port);
	if (inet_pton(AF_INET, a.host, &sa.sin_addr) != 1)
		goto usage;
	if ((w = witness_open(dir, a.logs, a.nlogs)) == NULL) {
		cli_error("cannot open the witness in %s (its key, its "
		    "witness.pub, or a state file is missing or damaged)", dir);
		return 1;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* one polling thread: requests run one at a time */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	    on_request, w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)WITNESS_MAX_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)WITNESS_CONNECTION_TIMEOUT_S,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
	if (d == NULL) {
		cli_error("cannot listen on %s:%lu", a.host, a.port);
		witness_close(w);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	witness_vkey(w, &self);
	if (note_vkey_format(vkey, sizeof(vkey), &self) != NOTE_OK)
		vkey[0] = '\0';
	log_line(LOG_INFO, "witness %s following %zu log key(s)", vkey,
	    a.nlogs);
	log_line(LOG_INFO, "listening on http://%s:%u", a.host,
	    info ? (unsigned)info->port : (unsigned)a.port);
	do
		sig = sigwaitinfo(&sigs, NULL);
	while (sig != SIGINT && sig != SIGTERM);
	log_line(LOG_INFO, "shutting down");
	MHD_stop_daemon(d);
	witness_close(w);
	return 0;
usage:
	cli_error("usage: corridor witness serve DIR --log-key F "
	    "[--log-key F]... [--listen HOST:PORT]");
	return EXIT_USAGE;
}

int
cli_witness(int argc, char **argv)
{
	/* argv[0] is "witness" */
	if (argc >= 2 && strcmp(argv[1], "init") == 0)
		return witness_init_cmd(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return witness_serve_cmd(argc - 1, argv + 1);
	cli_error("usage: corridor witness init DIR --name NAME | corridor "
	    "witness serve DIR --log-key F... [--listen HOST:PORT]");
	return EXIT_USAGE;
}
