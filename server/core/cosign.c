/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cosign: the witness client threads of `corridor serve` and the
 * cosignatures they publish (cosign.h). Each thread wakes every second
 * (or at once when stopped), compares the latest checkpoint with the one
 * its witness last cosigned, and if they differ, and every entry the
 * checkpoint covers is durable (audit_durable_size), runs one exchange:
 *
 *   old = the size the witness holds (0 until it tells us, by a 409)
 *   POST <prefix>/add-checkpoint  "old <old>\n" proof... "\n" note
 *   200  a cosignature line: verified against the pinned key, kept
 *   409  text/x.tlog.size: the witness's size; retried from it at once,
 *        unless it is larger than our log (rollback) or equal to what we
 *        sent (same size, another root: fork)
 *   422  the proof does not extend what the witness holds: fork
 *   else 400/403/404/5xx or no answer: kept as the state, retried with a
 *        back-off doubling to WITNESS_RETRY_MAX_S
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/cosig.h"
#include "crypto/merkle.h"
#include "schema/store.h"
#include "schema/store_tiles.h"
#include "server/audit/audit.h"
#include "server/core/cosign.h"
#include "server/limits.h"
#include "server/log/log.h"

struct wstate {
	struct cosign_witness	 cfg;
	pthread_t		 thread;
	int			 started;
	/* under mu: */
	uint64_t		 known_size;	/* the witness's, as last told */
	int			 have_cosig;
	uint64_t		 cosig_size;
	uint8_t			 cosig_root[MERKLE_HASH_BYTES];
	char			 cosig_line[COSIG_LINE_MAX_BYTES];
	size_t			 cosig_line_len;
	uint64_t		 last_cosigned_at;	/* Unix s, 0: never */
	uint64_t		 behind_since;		/* Unix s, 0: up to date */
	int			 last_status;		/* HTTP, 0: no answer */
	const char		*state;			/* static */
	const char		*detail;		/* static */
};

static struct wstate ws[MAX_WITNESSES];
static size_t nws;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static atomic_int stopping;

int
cosign_read_vkey(struct note_vkey *vk, const char *path, uint8_t alg)
{
	char line[NOTE_VKEY_MAX_BYTES + 2];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	return note_vkey_parse_alg(vk, line, n, alg) == NOTE_OK ? 0 : -1;
}

int
cosign_parse_arg(struct cosign_witness *w, const char *arg)
{
	const char *comma = strrchr(arg, ',');
	char path[1024];
	size_t ul;

	memset(w, 0, sizeof(*w));
	if (comma == NULL || (ul = (size_t)(comma - arg)) == 0 ||
	    ul >= sizeof(w->url) || strlen(comma + 1) == 0 ||
	    strlen(comma + 1) >= sizeof(path))
		return -1;
	memcpy(w->url, arg, ul);
	snprintf(path, sizeof(path), "%s", comma + 1);
	if (httpc_url_parse(&w->u, w->url) != 0)
		return -1;
	return cosign_read_vkey(&w->vk, path, NOTE_ALG_COSIG_V1);
}

/* Set the state shown to auditors (under mu). */
static void
set_state(struct wstate *w, int status, const char *state, const char *detail)
{
	pthread_mutex_lock(&mu);
	w->last_status = status;
	w->state = state;
	w->detail = detail;
	pthread_mutex_unlock(&mu);
}

/* The consistency proof from old to size from the stored tiles. 0 / -1. */
static int
proof_from(uint8_t *proof, size_t *proof_len, uint64_t old, uint64_t size)
{
	struct store_tiles_reader *rd;
	struct store *s;
	int rc = -1;

	*proof_len = 0;
	if (old == 0 || old == size)
		return 0;
	if ((rd = malloc(sizeof(*rd))) == NULL)
		return -1;
	if ((s = store_pool_acquire()) != NULL) {
		store_tiles_reader_init(rd, s, size);
		rc = merkle_consistency_proof_nodes(proof,
		    MERKLE_PROOF_MAX_BYTES, proof_len, old, size,
		    store_tiles_node, rd);
		store_pool_release(s);
	}
	free(rd);
	return rc;
}

static int
parse_size_body(const char *b, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len < 2 || b[len - 1] != '\n' || len - 1 > 19 ||
	    (len > 2 && b[0] == '0'))
		return -1;
	for (size_t i = 0; i + 1 < len; i++) {
		if (b[i] < '0' || b[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(b[i] - '0');
	}
	*out = v;
	return 0;
}

/* Find our witness's cosignature among the response lines and keep it.
 * 0 or -1. */
static int
take_cosig(struct wstate *w, const char *body, size_t len, const char *note,
    size_t note_len, const struct note_checkpoint *cp)
{
	size_t text_len = cosig_note_text_len(note, note_len);
	const char *line, *end;
	uint64_t ts;

	for (line = body; line < body + len; line = end + 1) {
		if ((end = memchr(line, '\n', (size_t)(body + len - line))) ==
		    NULL)
			return -1;
		if ((size_t)(end - line) + 1 > COSIG_LINE_MAX_BYTES ||
		    cosig_verify_line(&ts, line, (size_t)(end - line) + 1,
		    note, text_len, &w->cfg.vk) != NOTE_OK)
			continue;
		pthread_mutex_lock(&mu);
		memcpy(w->cosig_line, line, (size_t)(end - line) + 1);
		w->cosig_line_len = (size_t)(end - line) + 1;
		w->have_cosig = 1;
		w->cosig_size = cp->size;
		memcpy(w->cosig_root, cp->root, sizeof(w->cosig_root));
		w->known_size = cp->size;
		w->last_cosigned_at = (uint64_t)time(NULL);
		w->behind_since = 0;
		w->last_status = 200;
		w->state = "ok";
		w->detail = "cosigned the latest checkpoint";
		pthread_mutex_unlock(&mu);
		return 0;
	}
	return -1;
}

/* One exchange (with at most two 409 retries). 0 cosigned, -1 not. */
static int
exchange(struct wstate *w, const char *note, size_t note_len,
    const struct note_checkpoint *cp, char *req, char *resp_buf)
{
	uint8_t proof[MERKLE_PROOF_MAX_BYTES];
	struct httpc_response resp;
	size_t proof_len, req_len;
	uint64_t old, theirs;

	for (int tries = 0; tries < 3; tries++) {
		pthread_mutex_lock(&mu);
		old = w->known_size;
		pthread_mutex_unlock(&mu);
		if (old > cp->size) {
			set_state(w, 409, "refused", "the witness holds a "
			    "larger tree than this log: rollback or fork");
			log_line(LOG_ERROR, "witness %s holds size %" PRIu64
			    ", above this log's %" PRIu64 ": ROLLBACK or fork",
			    w->cfg.vk.name, old, cp->size);
			return -1;
		}
		if (proof_from(proof, &proof_len, old, cp->size) != 0 ||
		    cosig_request_format(req, COSIG_REQUEST_MAX_BYTES, &req_len,
		    old, proof, proof_len, note, note_len) != 0) {
			set_state(w, 0, "error", "cannot build the request");
			return -1;
		}
		memset(&resp, 0, sizeof(resp));
		resp.body = resp_buf;
		if (httpc_post(&w->cfg.u, "/add-checkpoint", "text/plain",
		    req, req_len, &resp, WITNESS_RESPONSE_READ_MAX_BYTES,
		    WITNESS_CONNECT_TIMEOUT_S, WITNESS_EXCHANGE_TIMEOUT_S) !=
		    0) {
			set_state(w, 0, "unreachable",
			    "no valid HTTP answer in time");
			return -1;
		}
		switch (resp.status) {
		case 200:
			if (take_cosig(w, resp.body, resp.body_len, note,
			    note_len, cp) == 0)
				return 0;
			set_state(w, 200, "error", "the answer holds no valid "
			    "cosignature by the pinned witness key");
			log_line(LOG_WARN, "witness %s answered without a valid "
			    "cosignature", w->cfg.vk.name);
			return -1;
		case 409:
			if (strncmp(resp.ctype, "text/x.tlog.size", 16) != 0 ||
			    parse_size_body(resp.body, resp.body_len, &theirs) !=
			    0) {
				set_state(w, 409, "error", "malformed 409");
				return -1;
			}
			if (theirs == old) {
				set_state(w, 409, "refused", "the witness "
				    "cosigned another root at this size: fork");
				log_line(LOG_ERROR, "witness %s refuses size %"
				    PRIu64 ": it cosigned another root there: "
				    "FORK", w->cfg.vk.name, cp->size);
				return -1;
			}
			pthread_mutex_lock(&mu);
			w->known_size = theirs;
			pthread_mutex_unlock(&mu);
			continue;
		case 422:
			set_state(w, 422, "refused", "the witness finds this "
			    "log inconsistent with what it cosigned: rollback "
			    "or fork");
			log_line(LOG_ERROR, "witness %s refuses size %" PRIu64
			    " as inconsistent with its size %" PRIu64
			    ": FORK or rollback", w->cfg.vk.name, cp->size, old);
			return -1;
		case 403:
			set_state(w, 403, "refused", "the witness does not "
			    "trust this log's key");
			return -1;
		case 404:
			set_state(w, 404, "refused", "the witness does not "
			    "follow this log");
			return -1;
		default:
			set_state(w, resp.status, "error",
			    "unexpected answer");
			return -1;
		}
	}
	set_state(w, 409, "error", "the witness's size keeps moving");
	return -1;
}

static void *
run(void *arg)
{
	struct wstate *w = arg;
	char *note = malloc(NOTE_MAX_BYTES), *req =
	    malloc(COSIG_REQUEST_MAX_BYTES), *resp =
	    malloc(WITNESS_RESPONSE_READ_MAX_BYTES);
	unsigned backoff = 0, wait_s = 1;
	struct note_checkpoint cp;
	size_t note_len;
	uint64_t size;

	if (note == NULL || req == NULL || resp == NULL) {
		set_state(w, 0, "error", "out of memory");
		goto done;
	}
	while (!atomic_load(&stopping)) {
		struct timespec ts;
		int behind;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += wait_s;
		pthread_mutex_lock(&mu);
		if (!atomic_load(&stopping))
			pthread_cond_timedwait(&cv, &mu, &ts);
		pthread_mutex_unlock(&mu);
		if (atomic_load(&stopping))
			break;
		/* only a checkpoint whose entries are on disk: a witness
		 * holding one a crash could take back would later see this
		 * log as rolled back */
		if (audit_latest_checkpoint(note, NOTE_MAX_BYTES, &note_len,
		    &size) != 0 || size > audit_durable_size() ||
		    note_checkpoint_parse(&cp, note, note_len) != NOTE_OK)
			continue;
		pthread_mutex_lock(&mu);
		behind = !w->have_cosig || w->cosig_size != cp.size ||
		    memcmp(w->cosig_root, cp.root, sizeof(cp.root)) != 0;
		if (behind && w->behind_since == 0)
			w->behind_since = (uint64_t)time(NULL);
		pthread_mutex_unlock(&mu);
		if (!behind) {
			wait_s = 1;
			continue;
		}
		if (exchange(w, note, note_len, &cp, req, resp) == 0) {
			backoff = 0;
			wait_s = 1;
		} else {
			backoff = backoff == 0 ? 1 : backoff * 2;
			if (backoff > WITNESS_RETRY_MAX_S)
				backoff = WITNESS_RETRY_MAX_S;
			wait_s = backoff;
		}
	}
done:
	free(note);
	free(req);
	free(resp);
	return NULL;
}

int
cosign_start(const struct cosign_witness *w, size_t n)
{
	if (n > MAX_WITNESSES)
		return -1;
	atomic_store(&stopping, 0);
	for (size_t i = 0; i < n; i++) {
		memset(&ws[i], 0, sizeof(ws[i]));
		ws[i].cfg = w[i];
		ws[i].state = "pending";
		ws[i].detail = "no exchange yet";
	}
	nws = n;
	for (size_t i = 0; i < n; i++) {
		if (pthread_create(&ws[i].thread, NULL, run, &ws[i]) != 0) {
			cosign_stop();
			return -1;
		}
		ws[i].started = 1;
	}
	return 0;
}

void
cosign_stop(void)
{
	pthread_mutex_lock(&mu);
	atomic_store(&stopping, 1);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (size_t i = 0; i < nws; i++)
		if (ws[i].started) {
			pthread_join(ws[i].thread, NULL);
			ws[i].started = 0;
		}
}

void
cosign_decorate(char *note, size_t note_max, size_t *note_len)
{
	struct note_checkpoint cp;
	size_t lines = 0;

	if (note_checkpoint_parse(&cp, note, *note_len) != NOTE_OK)
		return;
	for (size_t i = *note_len - 1; i > 0 &&
	    !(note[i] == '\n' && note[i - 1] == '\n'); i--)
		if (note[i - 1] == '\n')
			lines++;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nws; i++) {
		struct wstate *w = &ws[i];

		if (!w->have_cosig || w->cosig_size != cp.size ||
		    memcmp(w->cosig_root, cp.root, sizeof(cp.root)) != 0 ||
		    lines + 1 > NOTE_MAX_SIGS ||
		    note_max - *note_len < w->cosig_line_len)
			continue;
		memcpy(note + *note_len, w->cosig_line, w->cosig_line_len);
		*note_len += w->cosig_line_len;
		lines++;
	}
	pthread_mutex_unlock(&mu);
}

json_t *
cosign_status_json(uint64_t latest_size)
{
	json_t *arr = json_array();
	uint64_t now = (uint64_t)time(NULL);
	char vkey[NOTE_VKEY_MAX_BYTES];

	if (arr == NULL)
		return NULL;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nws; i++) {
		struct wstate *w = &ws[i];
		uint64_t cs = w->have_cosig ? w->cosig_size : 0;
		json_t *o;

		if (note_vkey_format(vkey, sizeof(vkey), &w->cfg.vk) != NOTE_OK)
			vkey[0] = '\0';
		o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:i, s:s}",
		    "name", w->cfg.vk.name, "vkey", vkey, "state", w->state,
		    "cosigned_size", (json_int_t)cs,
		    "lag_entries", (json_int_t)(latest_size > cs ?
		    latest_size - cs : 0),
		    "lag_seconds", (json_int_t)(w->behind_since != 0 &&
		    now > w->behind_since ? now - w->behind_since : 0),
		    "last_cosigned_at", (json_int_t)w->last_cosigned_at,
		    "last_status", w->last_status, "detail", w->detail);
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			arr = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&mu);
	return arr;
}
