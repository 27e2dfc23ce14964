/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cli_serve: `corridor serve DIR`. Takes the data directory lock (one
 * server per directory, and no key change while it runs), unwraps K_db
 * with the operator passphrase (settling an interrupted rekey first),
 * opens and checks the database, opens the connection pool before any
 * thread starts, then serves until SIGINT or SIGTERM. K_db is wiped once
 * every connection is keyed; the TLS private key is read into locked
 * memory and wiped once the daemon holds it. Unless --retention-days 0,
 * the retention sweeper (server/retention.c) shreds closed cases past the
 * retention period at start-up and hourly. Logins run their Argon2 work on
 * the low-priority kdfpool threads (server/kdfpool.h), started before the
 * daemon and stopped after it.
 * The audit signing key moves into the audit module's locked memory at
 * start-up, after the log passed its checks (server/audit.h), and is
 * wiped at exit; a checkpoint is signed at start-up, every
 * --checkpoint-every entries or --checkpoint-interval seconds, and at
 * shutdown. With --witness URL,KEYFILE (repeatable), each new checkpoint
 * goes to each witness from a background thread (server/core/cosign.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/keys.h"
#include "crypto/secmem.h"
#include "schema/store.h"
#include "server/audit/audit.h"
#include "server/core/blindidx.h"
#include "server/cli/cli.h"
#include "server/cli/datadir.h"
#include "server/http/http.h"
#include "server/core/cosign.h"
#include "server/core/kdfpool.h"
#include "server/limits.h"
#include "server/core/diskspace.h"
#include "server/core/retention.h"
#include "server/cli/secret.h"
#include "server/core/password.h"
#include "server/core/session.h"
#include "server/core/twofactor.h"
#include "server/core/throttle.h"
#include "server/log/log.h"

struct serve_opts {
	const char	*dir;
	const char	*passphrase_file;
	const char	*signing_passphrase_file;	/* NULL: the same */
	char		 host[64];
	uint16_t	 port;
	const char	*tls_cert;
	const char	*tls_key;
	int		 insecure_http;
	unsigned long	 session_idle_s;
	int		 quiet;
	unsigned long	 cp_every;	/* entries between checkpoints */
	unsigned long	 cp_interval_s;
	unsigned long	 retention_days;	/* 0: off */
	unsigned long	 disk_reserve_mib;
	struct cosign_witness witnesses[MAX_WITNESSES];
	size_t		 nwitnesses;
};

/* --listen IPV4:PORT into o->host and o->port. */
static int
parse_listen(const char *s, void *out)
{
	struct serve_opts *o = out;
	const char *colon = strrchr(s, ':');
	struct in_addr a;
	char *end;
	unsigned long port;
	size_t hl;

	if (colon == NULL || (hl = (size_t)(colon - s)) == 0 ||
	    hl >= sizeof(o->host))
		return -1;
	memcpy(o->host, s, hl);
	o->host[hl] = '\0';
	if (inet_pton(AF_INET, o->host, &a) != 1)
		return -1;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || colon[1] == '\0' || port > 65535)
		return -1;
	o->port = (uint16_t)port;
	return 0;
}

/* --witness URL,KEYFILE, repeatable, into o->witnesses. */
static int
parse_witness(const char *s, void *out)
{
	struct serve_opts *o = out;

	if (o->nwitnesses == MAX_WITNESSES ||
	    cosign_parse_arg(&o->witnesses[o->nwitnesses], s) != 0) {
		cli_error("--witness takes http://HOST[:PORT][/PREFIX],KEYFILE "
		    "(a witness.pub line), at most %u times", MAX_WITNESSES);
		return -1;
	}
	o->nwitnesses++;
	return 0;
}

static int
parse(int argc, char **argv, struct serve_opts *o)
{
	const struct cli_opt opts[] = {
		CLI_OPT_TEXT("passphrase-file", &o->passphrase_file),
		CLI_OPT_TEXT("signing-passphrase-file",
		    &o->signing_passphrase_file),
		CLI_OPT_PARSE("listen", parse_listen, o),
		CLI_OPT_TEXT("tls-cert", &o->tls_cert),
		CLI_OPT_TEXT("tls-key", &o->tls_key),
		CLI_OPT_FLAG("insecure-http", &o->insecure_http),
		CLI_OPT_UINT("session-idle", &o->session_idle_s, 1,
		    SESSION_IDLE_S),
		CLI_OPT_FLAG("quiet", &o->quiet),
		/* 1 .. 10^9 entries */
		CLI_OPT_UINT("checkpoint-every", &o->cp_every, 1, 1000000000ul),
		/* 1 s .. 1 day */
		CLI_OPT_UINT("checkpoint-interval", &o->cp_interval_s, 1,
		    86400ul),
		CLI_OPT_UINT("retention-days", &o->retention_days, 0,
		    RETENTION_MAX_DAYS),
		CLI_OPT_UINT("disk-reserve-mib", &o->disk_reserve_mib, 0,
		    MAX_DISK_RESERVE_MIB),
		CLI_OPT_PARSE("witness", parse_witness, o),
	};

	memset(o, 0, sizeof(*o));
	snprintf(o->host, sizeof(o->host), "127.0.0.1");
	o->port = 8080;
	o->session_idle_s = SESSION_IDLE_S;
	o->cp_every = AUDIT_CHECKPOINT_EVERY;
	o->cp_interval_s = AUDIT_CHECKPOINT_INTERVAL_S;
	o->retention_days = RETENTION_DEFAULT_DAYS;
	o->disk_reserve_mib = DISK_RESERVE_BYTES / (1024u * 1024u);
	if (cli_parse(argc, argv, opts, CLI_NOPTS(opts), &o->dir, 1) != 0 ||
	    (o->tls_cert == NULL) != (o->tls_key == NULL))
		return -1;
	return 0;
}

static int
is_loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0;
}

/*
 * Read a PEM file of at most MAX_PEM_BYTES into a NUL-terminated buffer in
 * locked memory (the private key must not reach swap), or NULL. Free with
 * secmem_free, which wipes it.
 */
static char *
read_pem(const char *path, size_t *len)
{
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd;

	/* read(2), not stdio: a FILE buffer would keep a copy of the key in
	 * freed heap memory */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((buf = secmem_alloc(MAX_PEM_BYTES + 2)) == NULL) {
		close(fd);
		return NULL;
	}
	for (;;) {
		r = read(fd, buf + n, MAX_PEM_BYTES + 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n > MAX_PEM_BYTES)
			break;
	}
	close(fd);
	/* an error, an empty file, or one byte over the cap */
	if (r < 0 || n == 0 || n > MAX_PEM_BYTES) {
		secmem_free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

int
cli_serve(int argc, char **argv)
{
	struct serve_opts o;
	struct datadir d = { .lock = -1 };
	struct store *s = NULL;
	struct http_config hc;
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	uint16_t port;
	sigset_t sigs;
	int rc = 1, kr, sig;

	if (parse(argc, argv, &o) != 0) {
		cli_error("usage: corridor serve DIR [--passphrase-file F] "
		    "[--signing-passphrase-file F] [--listen HOST:PORT] [--tls-cert F --tls-key F] "
		    "[--insecure-http] [--session-idle SECONDS] [--quiet] "
		    "[--checkpoint-every N] [--checkpoint-interval SECONDS] "
		    "[--retention-days N] [--disk-reserve-mib N] "
		    "[--witness URL,KEYFILE]...");
		return EXIT_USAGE;
	}
	if (!is_loopback(o.host) && o.tls_cert == NULL) {
		if (!o.insecure_http) {
			cli_error("refusing to listen on %s without TLS; give "
			    "--tls-cert/--tls-key, or --insecure-http", o.host);
			return EXIT_USAGE;
		}
		cli_error("WARNING: serving plain HTTP on a non-loopback "
		    "address; tokens and case data cross the network in clear");
	}
	if (o.tls_cert != NULL &&
	    ((cert = read_pem(o.tls_cert, &cert_len)) == NULL ||
	    (key = read_pem(o.tls_key, &key_len)) == NULL)) {
		cli_error("cannot read the TLS certificate or key (PEM, at most "
		    "%u bytes each)", MAX_PEM_BYTES);
		goto done;
	}
	/* one server per directory, and no key change while it runs; the
	 * audit log's start-up checks fail closed, then a checkpoint of the
	 * log as found */
	if ((rc = datadir_open_signed(&d, o.dir, o.passphrase_file,
	    o.signing_passphrase_file, DATADIR_LOCK |
	    DATADIR_AUDIT | DATADIR_INDEX, "the data directory is in use by another corridor "
	    "process")) != 0)
		goto done;
	rc = 1;
	s = d.s;
	d.s = NULL;
	if (audit_checkpoint(s, 0) != 0) {
		cli_error("refusing to start: cannot sign or store the start-up "
		    "audit checkpoint");
		goto done_audit;
	}
	/* the two-factor keys, made on the first start (twofactor.h) */
	if (twofactor_init(s) != 0) {
		cli_error("cannot load or create the two-factor keys");
		goto done_audit;
	}
	/* K_idx into locked memory; index rows made under another K_idx
	 * (a new index-key after a restore) can never match again: drop
	 * them, so those cases count as unindexed (POST /cases/reindex) */
	kr = blindidx_init(d.ks->index_key);
	secmem_wipe(d.ks->index_key, sizeof(d.ks->index_key));
	if (kr != 0 || store_write_begin(s) != STORE_OK ||
	    blindidx_purge_stale(s) != BLINDIDX_OK ||
	    store_write_end(s, 1) != STORE_OK) {
		cli_error("cannot set up the case lookup's blind index");
		goto done_audit;
	}
	store_close(s);
	s = NULL;
	/* a connection for every thread that can hold one at once: the
	 * workers (inline routes), the dispatch threads (every other
	 * route), one per streaming export and attachment download, the
	 * checkpointer, the retention sweep, the witness client (its
	 * threads take one for a proof read, in turn) and one spare; the audit
	 * batch's writer connection comes on top */
	if ((kr = store_pool_open(d.db_path, d.ks->db_key, HTTP_WORKER_THREADS +
	    HTTP_DISPATCH_THREADS + 4 + MAX_AUDIT_EXPORTS +
	    MAX_ATTACHMENT_DOWNLOADS)) != STORE_OK) {
		cli_error("%s", store_strerror(kr));
		goto done_audit;
	}
	secmem_wipe(d.ks->db_key, sizeof(d.ks->db_key));
	/* swap: decrypted content and keys pass through ordinary memory */
	if (cli_lock_memory() != 0)
		log_line(LOG_WARN, "cannot lock memory (raise LimitMEMLOCK to "
		    "infinity): decrypted case content may reach swap");
	if (diskspace_init(o.dir,
	    (uint64_t)o.disk_reserve_mib * 1024u * 1024u) != 0) {
		cli_error("cannot read the free space of the data directory");
		goto done_pool;
	}
	if (session_init((unsigned)o.session_idle_s) != 0 || throttle_init() != 0) {
		cli_error("cannot allocate locked memory for sessions");
		goto done_pool;
	}
	if (password_init() != 0) {
		cli_error("cannot set up the password strength check");
		session_shutdown();
		throttle_shutdown();
		goto done_pool;
	}

	/* signals are taken synchronously by this thread only */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (audit_checkpointer_start(o.cp_every,
	    (unsigned)o.cp_interval_s) != 0) {
		cli_error("cannot start the audit checkpointer");
		goto done_sessions;
	}

	/* after the signal mask (its threads inherit it) and before the
	 * daemon, whose logins hand their Argon2 work to it */
	if (kdfpool_start() != 0) {
		cli_error("cannot start the key derivation threads");
		goto done_sessions;
	}

	memset(&hc, 0, sizeof(hc));
	hc.host = o.host;
	hc.port = o.port;
	hc.tls_cert_pem = cert;
	hc.tls_key_pem = key;
	hc.quiet = o.quiet;
	hc.spool_dir = d.dir;
	if (http_start(&hc, &port) != 0) {
		if (cert != NULL)
			cli_error("cannot serve HTTPS on %s:%u: the address is in "
			    "use, or the TLS certificate and key were refused",
			    o.host, (unsigned)o.port);
		else
			cli_error("cannot listen on %s:%u", o.host,
			    (unsigned)o.port);
		goto done_sessions;
	}
	/* GnuTLS holds its own copy of the TLS key now */
	secmem_free(key);
	key = NULL;
	log_line(LOG_INFO, "listening on %s://%s:%u",
	    cert ? "https" : "http", o.host, (unsigned)port);
	/* after the listening line: a long first sweep must not hide it */
	if (retention_start((uint32_t)o.retention_days,
	    RETENTION_SWEEP_S) != 0) {
		cli_error("cannot start the retention sweeper");
		http_stop();
		goto done_sessions;
	}
	/* the witness client: its own threads, never in a request's way */
	if (cosign_start(o.witnesses, o.nwitnesses) != 0) {
		cli_error("cannot start the witness client");
		retention_stop();
		http_stop();
		goto done_sessions;
	}
	if (o.nwitnesses > 0)
		log_line(LOG_INFO, "witnesses: %zu, checkpoints sent as they "
		    "are signed", o.nwitnesses);
	if (o.retention_days > 0)
		log_line(LOG_INFO, "retention: closed cases are shredded "
		    "%u days after closing (swept at start-up and every %u s)",
		    (unsigned)o.retention_days, RETENTION_SWEEP_S);
	else
		log_line(LOG_INFO, "retention: off (closed cases are "
		    "kept until shredded by hand)");

	for (;;) {
		struct timespec ts = { 10, 0 };

		sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		session_sweep();
	}
	log_line(LOG_INFO, "shutting down");
	cosign_stop();
	/* a sweep under way ends after the case in hand */
	retention_stop();
	http_stop();
	rc = 0;
done_sessions:
	/* no request is left to hand it a job */
	kdfpool_stop();
	/* every request has finished: a last checkpoint covers them all */
	audit_checkpointer_stop();
	if ((s = store_pool_acquire()) == NULL || audit_checkpoint(s, 0) != 0) {
		cli_error("cannot sign the shutdown audit checkpoint");
		rc = 1;
	}
	store_pool_release(s);
	s = NULL;
	session_shutdown();
	throttle_shutdown();
	password_shutdown();
done_pool:
	store_pool_close();
done_audit:
	twofactor_shutdown();
	audit_close();
	blindidx_shutdown();
done:
	store_close(s);
	datadir_close(&d);
	secmem_free(key);
	secmem_free(cert);
	return rc;
}
