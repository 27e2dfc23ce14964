/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * session: the in-memory session table. One mutex guards it; requests hold
 * a reference while they use a session's secrets, and a dead session's
 * slot is wiped and reused only once its last reference is gone.
 *
 * The secrets slab is a single sodium_malloc region: one allocation per
 * session would cost several memory mappings each and exhaust
 * vm.max_map_count (DESIGN.md, libsodium pitfalls).
 *
 * Nothing in the slab opens without the client: the user's secret key and
 * every cached case or evacuation key are boxed (crypto/skey.h) under the
 * session key K_s, which only the bearer token carries. The box's
 * associated data is the token hash plus the slot's name, so a box copied
 * into another session or another cache entry does not open there.
 */
#include <pthread.h>
#include <string.h>

#include "crypto/encode.h"
#include "crypto/secmem.h"
#include "crypto/skey.h"
#include "crypto/token.h"
#include "schema/store.h"
#include "server/limits.h"
#include "server/core/session.h"

struct cached_key {
	char		object_id[ID_CHARS + 1];
	uint32_t	version;
	uint64_t	used;		/* LRU clock */
	uint8_t		box[SKEY_BOX_BYTES];	/* the key under K_s */
};

struct session_secrets {
	uint8_t			sk_box[SKEY_BOX_BYTES];	/* user sk under K_s */
	struct cached_key	keys[SESSION_KEY_CACHE];
};

struct session {
	int		 live;		/* slot holds a session that may be used */
	int		 refs;
	uint8_t		 token_hash[TOKEN_HASH_BYTES];
	char		 user_id[ID_CHARS + 1];
	int		 role;
	int		 status;
	int		 enrolled;
	int		 decoy;		/* a duress login's decoy session */
	char		 sid[ID_CHARS + 1];	/* public id (session list) */
	char		 label[MAX_CLIENT_LABEL_BYTES + 1];
	int		 twofactor;	/* this session proved a code */
	int64_t		 confirmed_at;	/* last POST /session/confirm, 0 never */
	uint8_t		 pk[32];
	int64_t		 created;
	int64_t		 last_seen;
	uint64_t	 lru;
	struct session_secrets *sec;
};

static struct {
	pthread_mutex_t		 mu;
	struct session		 slots[MAX_SESSIONS];
	struct session_secrets	*slab;
	uint8_t			*token_key;	/* secmem */
	unsigned		 idle_s;
	unsigned		 count;
} T = { .mu = PTHREAD_MUTEX_INITIALIZER };

int
session_init(unsigned idle_s)
{
	if (idle_s == 0 || idle_s > SESSION_IDLE_S)
		return -1;
	T.idle_s = idle_s;
	T.slab = secmem_alloc(sizeof(*T.slab) * MAX_SESSIONS);
	T.token_key = secmem_alloc(TOKEN_KEY_BYTES);
	if (T.slab == NULL || T.token_key == NULL) {
		session_shutdown();
		return -1;
	}
	secmem_wipe(T.slab, sizeof(*T.slab) * MAX_SESSIONS);
	token_key_new(T.token_key);
	for (unsigned i = 0; i < MAX_SESSIONS; i++)
		T.slots[i].sec = &T.slab[i];
	return 0;
}

/* Wipe a slot. Called with T.mu held, refs == 0. */
static void
slot_clear(struct session *s)
{
	struct session_secrets *sec = s->sec;

	secmem_wipe(sec, sizeof(*sec));
	secmem_wipe(s, sizeof(*s));
	s->sec = sec;
}

void
session_shutdown(void)
{
	pthread_mutex_lock(&T.mu);
	if (T.slab != NULL) {
		for (unsigned i = 0; i < MAX_SESSIONS; i++)
			slot_clear(&T.slots[i]);
		secmem_free(T.slab);
	}
	secmem_free(T.token_key);
	T.slab = NULL;
	T.token_key = NULL;
	T.count = 0;
	pthread_mutex_unlock(&T.mu);
}

/* Mark dead; wipe now if nobody holds it. Called with T.mu held. */
static void
kill_locked(struct session *s)
{
	if (!s->live)
		return;
	s->live = 0;
	T.count--;
	/* the hash must never match again, even while references remain */
	secmem_wipe(s->token_hash, sizeof(s->token_hash));
	if (s->refs == 0)
		slot_clear(s);
}

static int
expired(const struct session *s, int64_t now)
{
	return now - s->last_seen >= (int64_t)T.idle_s ||
	    now - s->created >= (int64_t)SESSION_MAX_S;
}

/* Associated data of a box: label, token hash, then (cache entries) the
 * object id and key version. */
#define AD_MAX	(24u + TOKEN_HASH_BYTES + ID_CHARS + 4u)

static size_t
box_ad(uint8_t ad[AD_MAX], const struct session *s, const char *object_id,
    uint32_t version)
{
	static const char sk_label[] = "corridor/session/v1|sk|";
	static const char key_label[] = "corridor/session/v1|k|";
	const char *label = object_id == NULL ? sk_label : key_label;
	size_t n = strlen(label), id_len;

	memcpy(ad, label, n);
	memcpy(ad + n, s->token_hash, TOKEN_HASH_BYTES);
	n += TOKEN_HASH_BYTES;
	if (object_id == NULL)
		return n;
	id_len = strlen(object_id);	/* <= ID_CHARS, checked by callers */
	memcpy(ad + n, object_id, id_len);
	n += id_len;
	ad[n++] = (uint8_t)(version >> 24);
	ad[n++] = (uint8_t)(version >> 16);
	ad[n++] = (uint8_t)(version >> 8);
	ad[n++] = (uint8_t)version;
	return n;
}

int
session_create(const struct user_row *u, const uint8_t sk[32],
    int twofactor, char *token_out, size_t token_out_len,
    int64_t *expires_at)
{
	struct session_opts o;

	memset(&o, 0, sizeof(o));
	o.twofactor = twofactor;
	return session_create_opts(u, sk, &o, token_out, token_out_len,
	    expires_at);
}

int
session_create_opts(const struct user_row *u, const uint8_t sk[32],
    const struct session_opts *o, char *token_out, size_t token_out_len,
    int64_t *expires_at)
{
	uint8_t tok[TOKEN_BYTES], ad[AD_MAX];
	struct session *s = NULL;
	int64_t now = store_now();
	int rc = -1;

	if (token_out_len < TOKEN_B64_CHARS + 1)
		return -1;
	pthread_mutex_lock(&T.mu);
	if (T.slab == NULL)
		goto done;
	{
		struct session *oldest = NULL;
		unsigned mine = 0;

		for (unsigned i = 0; i < MAX_SESSIONS; i++) {
			struct session *c = &T.slots[i];

			if (c->live && expired(c, now))
				kill_locked(c);
			if (c->live && strcmp(c->user_id, u->id) == 0) {
				mine++;
				if (oldest == NULL || c->created < oldest->created)
					oldest = c;
			}
		}
		if (mine >= MAX_SESSIONS_PER_USER && oldest != NULL)
			kill_locked(oldest);
		for (unsigned i = 0; i < MAX_SESSIONS && s == NULL; i++)
			if (!T.slots[i].live && T.slots[i].refs == 0)
				s = &T.slots[i];
	}
	if (s == NULL)
		goto done;
	/* tok = id || K_s; only the id's keyed hash stays here */
	secmem_random(tok, TOKEN_ID_BYTES);
	skey_new(tok + TOKEN_ID_BYTES);
	token_hash(s->token_hash, T.token_key, tok, TOKEN_ID_BYTES);
	if (encode_b64url(token_out, token_out_len, tok, sizeof(tok)) != 0)
		goto done;
	memcpy(s->user_id, u->id, sizeof(s->user_id));
	s->role = u->role;
	s->status = u->status;
	s->enrolled = u->enrolled;
	s->twofactor = o != NULL && o->twofactor;
	memcpy(s->pk, u->pk, sizeof(s->pk));
	skey_seal(s->sec->sk_box, tok + TOKEN_ID_BYTES, ad,
	    box_ad(ad, s, NULL, 0), sk);
	s->confirmed_at = 0;
	s->decoy = o != NULL && o->decoy;
	token_new_id(s->sid);
	s->label[0] = '\0';
	if (o != NULL && o->label != NULL &&
	    strlen(o->label) < sizeof(s->label))
		memcpy(s->label, o->label, strlen(o->label) + 1);
	s->created = s->last_seen = now;
	s->live = 1;
	s->refs = 0;
	T.count++;
	*expires_at = now + T.idle_s;
	rc = 0;
done:
	if (rc != 0 && s != NULL && !s->live)
		slot_clear(s);
	pthread_mutex_unlock(&T.mu);
	secmem_wipe(tok, sizeof(tok));
	return rc;
}

struct session *
session_lookup(const char *tok, size_t tok_len, uint8_t ks[SKEY_KEY_BYTES])
{
	uint8_t raw[TOKEN_BYTES + 1], h[TOKEN_HASH_BYTES], ad[AD_MAX], sk[32];
	struct session *found = NULL;
	int64_t now = store_now();
	size_t raw_len;

	if (tok_len != TOKEN_B64_CHARS ||
	    decode_b64url(raw, sizeof(raw), &raw_len, tok, tok_len) != 0 ||
	    raw_len != TOKEN_BYTES) {
		secmem_wipe(raw, sizeof(raw));
		return NULL;
	}
	pthread_mutex_lock(&T.mu);
	if (T.token_key == NULL)
		goto done;
	token_hash(h, T.token_key, raw, TOKEN_ID_BYTES);
	for (unsigned i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &T.slots[i];

		if (s->live && secmem_equal(s->token_hash, h, sizeof(h))) {
			if (expired(s, now)) {
				kill_locked(s);
				break;
			}
			/* a known id with the wrong K_s is no token at all */
			if (skey_open(sk, raw + TOKEN_ID_BYTES, ad,
			    box_ad(ad, s, NULL, 0), s->sec->sk_box) != 0)
				break;
			memcpy(ks, raw + TOKEN_ID_BYTES, SKEY_KEY_BYTES);
			s->last_seen = now;
			s->refs++;
			found = s;
			break;
		}
	}
done:
	pthread_mutex_unlock(&T.mu);
	secmem_wipe(raw, sizeof(raw));
	secmem_wipe(h, sizeof(h));
	secmem_wipe(sk, sizeof(sk));
	return found;
}

void
session_release(struct session *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&T.mu);
	if (--s->refs == 0 && !s->live)
		slot_clear(s);
	pthread_mutex_unlock(&T.mu);
}

void
session_end(struct session *s)
{
	pthread_mutex_lock(&T.mu);
	kill_locked(s);
	pthread_mutex_unlock(&T.mu);
}

int
session_decoy(const struct session *s)
{
	return s != NULL && s->decoy;
}

unsigned
session_list(const char *user_id, const struct session *cur,
    struct session_info *out, unsigned max)
{
	int64_t now = store_now();
	unsigned n = 0;

	pthread_mutex_lock(&T.mu);
	for (unsigned i = 0; i < MAX_SESSIONS && n < max; i++) {
		struct session *s = &T.slots[i];

		if (!s->live || strcmp(s->user_id, user_id) != 0)
			continue;
		if (expired(s, now)) {
			kill_locked(s);
			continue;
		}
		memcpy(out[n].id, s->sid, sizeof(out[n].id));
		memcpy(out[n].label, s->label, sizeof(out[n].label));
		out[n].created = s->created;
		out[n].last_seen = s->last_seen;
		out[n].current = s == cur;
		n++;
	}
	pthread_mutex_unlock(&T.mu);
	/* oldest first: a few entries, insertion sort */
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 &&
		    out[j].created < out[j - 1].created; j--) {
			struct session_info t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

int
session_end_id(const char *user_id, const char *sid)
{
	int rc = -1;

	pthread_mutex_lock(&T.mu);
	for (unsigned i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &T.slots[i];

		if (s->live && strcmp(s->user_id, user_id) == 0 &&
		    strcmp(s->sid, sid) == 0) {
			kill_locked(s);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&T.mu);
	return rc;
}

void
session_end_user(const char *user_id, const struct session *except)
{
	pthread_mutex_lock(&T.mu);
	for (unsigned i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &T.slots[i];

		if (s->live && s != except && strcmp(s->user_id, user_id) == 0)
			kill_locked(s);
	}
	pthread_mutex_unlock(&T.mu);
}

void
session_end_user_except_decoys(const char *user_id)
{
	pthread_mutex_lock(&T.mu);
	for (unsigned i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &T.slots[i];

		if (s->live && !s->decoy && strcmp(s->user_id, user_id) == 0)
			kill_locked(s);
	}
	pthread_mutex_unlock(&T.mu);
}

void
session_sweep(void)
{
	int64_t now = store_now();

	pthread_mutex_lock(&T.mu);
	for (unsigned i = 0; i < MAX_SESSIONS; i++)
		if (T.slots[i].live && expired(&T.slots[i], now))
			kill_locked(&T.slots[i]);
	pthread_mutex_unlock(&T.mu);
}

unsigned
session_count(void)
{
	unsigned n;

	pthread_mutex_lock(&T.mu);
	n = T.count;
	pthread_mutex_unlock(&T.mu);
	return n;
}

const char *
session_user_id(const struct session *s)
{
	return s->user_id;
}

int
session_role(const struct session *s)
{
	return s->role;
}

int
session_status(const struct session *s)
{
	return s->status;
}

int
session_enrolled(const struct session *s)
{
	return s->enrolled;
}

int
session_twofactor(const struct session *s)
{
	return s->twofactor;
}

void
session_set_twofactor(struct session *s)
{
	pthread_mutex_lock(&T.mu);
	if (s->live)
		s->twofactor = 1;
	pthread_mutex_unlock(&T.mu);
}

void
session_set_keypair(struct session *s, const uint8_t ks[SKEY_KEY_BYTES],
    const uint8_t pk[32], const uint8_t sk[32])
{
	uint8_t ad[AD_MAX];

	pthread_mutex_lock(&T.mu);
	memcpy(s->pk, pk, 32);
	skey_seal(s->sec->sk_box, ks, ad, box_ad(ad, s, NULL, 0), sk);
	s->enrolled = 1;
	pthread_mutex_unlock(&T.mu);
}

int
session_sk_open(struct session *s, const uint8_t ks[SKEY_KEY_BYTES],
    uint8_t sk[32])
{
	uint8_t ad[AD_MAX];
	int rc;

	pthread_mutex_lock(&T.mu);
	rc = skey_open(sk, ks, ad, box_ad(ad, s, NULL, 0), s->sec->sk_box);
	pthread_mutex_unlock(&T.mu);
	return rc;
}

const uint8_t *
session_pk(const struct session *s)
{
	return s->pk;
}

int
session_confirm_fresh(int64_t confirmed_at, int64_t now)
{
	/* a clock stepped backwards is not a fresh confirmation */
	return confirmed_at > 0 && now >= confirmed_at &&
	    now - confirmed_at < (int64_t)REAUTH_WINDOW_S;
}

void
session_confirm(struct session *s, int ok)
{
	pthread_mutex_lock(&T.mu);
	s->confirmed_at = ok ? store_now() : 0;
	pthread_mutex_unlock(&T.mu);
}

int
session_confirmed(struct session *s)
{
	int64_t at;

	pthread_mutex_lock(&T.mu);
	at = s->confirmed_at;
	pthread_mutex_unlock(&T.mu);
	return session_confirm_fresh(at, store_now());
}

int
session_key_get(struct session *s, const uint8_t ks[SKEY_KEY_BYTES],
    const char *object_id, uint32_t version, uint8_t key[32])
{
	uint8_t ad[AD_MAX];
	int rc = -1;

	if (strlen(object_id) > ID_CHARS)
		return -1;
	pthread_mutex_lock(&T.mu);
	for (unsigned i = 0; i < SESSION_KEY_CACHE; i++) {
		struct cached_key *k = &s->sec->keys[i];

		if (k->used != 0 && k->version == version &&
		    strcmp(k->object_id, object_id) == 0) {
			if (skey_open(key, ks, ad, box_ad(ad, s, object_id,
			    version), k->box) != 0)
				break;	/* a miss: the caller unwraps again */
			k->used = ++s->lru;
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&T.mu);
	return rc;
}

void
session_key_put(struct session *s, const uint8_t ks[SKEY_KEY_BYTES],
    const char *object_id, uint32_t version, const uint8_t key[32])
{
	uint8_t ad[AD_MAX];
	struct cached_key *victim;
	size_t n = strlen(object_id);

	if (n > ID_CHARS)
		return;
	pthread_mutex_lock(&T.mu);
	victim = &s->sec->keys[0];
	for (unsigned i = 0; i < SESSION_KEY_CACHE; i++) {
		struct cached_key *k = &s->sec->keys[i];

		if (k->used == 0 || (k->version == version &&
		    strcmp(k->object_id, object_id) == 0)) {
			victim = k;
			break;
		}
		if (k->used < victim->used)
			victim = k;
	}
	secmem_wipe(victim, sizeof(*victim));
	memcpy(victim->object_id, object_id, n + 1);
	victim->version = version;
	skey_seal(victim->box, ks, ad, box_ad(ad, s, object_id, version), key);
	victim->used = ++s->lru;
	pthread_mutex_unlock(&T.mu);
}

void
session_key_forget(const char *object_id)
{
	pthread_mutex_lock(&T.mu);
	for (unsigned i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &T.slots[i];

		if (!s->live && s->refs == 0)
			continue;
		for (unsigned j = 0; j < SESSION_KEY_CACHE; j++)
			if (s->sec->keys[j].used != 0 &&
			    strcmp(s->sec->keys[j].object_id, object_id) == 0)
				secmem_wipe(&s->sec->keys[j],
				    sizeof(s->sec->keys[j]));
	}
	pthread_mutex_unlock(&T.mu);
}
