/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_casefile: per-case and per-evacuation keys against a real SQLCipher
 * store. Who can open which wrap; rotation leaves nothing that the old key
 * opens (checked on the raw rows, every blob, every plausible place);
 * ciphertexts and wraps moved between cases, fields or rows fail to open;
 * shredding leaves a tombstone without keys or content; the stored count
 * of a case's contacts follows every insert, delete, move and rollback;
 * revocation rotates (or defers, without the org key); evacuation keys
 * follow membership; and the listings page through 100k cases along an
 * index, without a sort.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/field.h"
#include "crypto/seal.h"
#include "crypto/secmem.h"
#include "crypto/token.h"
#include "crypto/userkey.h"
#include "schema/store.h"
#include "schema/store_case.h"
#include "schema/store_evac.h"
#include "schema/store_user.h"
#include "schema/store_assign.h"
#include "schema/store_key.h"
#include "schema/store_contact.h"
#include "server/core/casefile.h"
#include "testutil.h"

#define NAME	"Zelimkhan Testov"
#define PHONE	"+79281234567"
#define NOTE	"hiding at his aunt's in Nazran"

struct who {
	struct user_row	u;
	uint8_t		sk[32];
	struct casefile_holder h;
};

static struct store *S;
static uint8_t org_pk[32], org_sk[32];
static struct casefile_holder ORG;

static void
make_user(struct who *w, const char *name, int role)
{
	memset(w, 0, sizeof(*w));
	token_new_id(w->u.id);
	snprintf(w->u.username, sizeof(w->u.username), "%s", name);
	w->u.role = role;
	w->u.status = USER_ACTIVE;
	userkey_generate(w->u.pk, w->sk);
	secmem_random(w->u.sk_sealed, sizeof(w->u.sk_sealed));
	w->u.created_at = store_now();
	check(store_user_insert(S, &w->u) == STORE_OK);
	w->h.id = w->u.id;
	memcpy(w->h.pk, w->u.pk, 32);
	w->h.sk = w->sk;
}

static void
begin(void)
{
	check(store_write_begin(S) == STORE_OK);
}

static void
commit(void)
{
	check(store_write_end(S, 1) == STORE_OK);
}

static void
new_case(struct case_row *c, const struct who *creator, uint8_t key[32])
{
	static const char person[] = "{\"name\":\"" NAME "\",\"phone\":\""
	    PHONE "\"}";

	memset(c, 0, sizeof(*c));
	c->status = CASE_INTAKE;
	c->risk = 2;
	snprintf(c->region, sizeof(c->region), "North Caucasus");
	c->household_size = 1;
	memcpy(c->created_by, creator->u.id, sizeof(c->created_by));
	check(casefile_case_create(S, c, creator->u.id, person,
	    strlen(person), NOTE, strlen(NOTE), key) == CASEFILE_OK);
}

static void
add_contact(const struct case_row *c, const struct who *author,
    const uint8_t key[32], const char *text, char id_out[23])
{
	struct contact_row row;
	uint8_t *ct = NULL;
	size_t ct_len = 0;

	memset(&row, 0, sizeof(row));
	token_new_id(row.id);
	memcpy(row.case_id, c->id, sizeof(row.case_id));
	memcpy(row.author_id, author->u.id, sizeof(row.author_id));
	row.created_at = store_now();
	check(casefile_encrypt(&ct, &ct_len, key, CASEFILE_T_CONTACTS, row.id,
	    CASEFILE_F_ENTRY, c->key_version, text, strlen(text)) ==
	    CASEFILE_OK);
	row.entry = ct;
	row.entry_len = ct_len;
	check(store_contact_insert(S, &row) == STORE_OK);
	memcpy(id_out, row.id, 23);
	free(ct);
}

/* Does raw blob ct open under key at any of the places and versions a
 * case's content could be bound to? */
static int
opens_anywhere(const uint8_t key[32], const char *case_id,
    const char *row_id, const uint8_t *ct, size_t ct_len)
{
	static const char *const tables[] = { "cases", "contacts" };
	static const char *const fields[] = { "person", "notes", "entry" };
	uint8_t out[4096];
	size_t out_len;

	for (uint32_t v = 1; v <= 4; v++)
		for (size_t t = 0; t < 2; t++)
			for (size_t f = 0; f < 3; f++) {
				const char *rid = t == 0 ? case_id : row_id;

				if (ct_len - FIELD_OVERHEAD > sizeof(out))
					return 0;
				if (field_decrypt(out, sizeof(out), &out_len,
				    key, tables[t], rid, fields[f], v, ct,
				    ct_len) == 0) {
					secmem_wipe(out, sizeof(out));
					return 1;
				}
			}
	return 0;
}

/* How many blobs stored for case_id open under key anywhere; *total gets
 * how many blobs were tried. */
static int
count_opening(const uint8_t key[32], const char *case_id, int *total)
{
	sqlite3_stmt *st;
	int n = 0;

	*total = 0;
	check(sqlite3_prepare_v2(store_db(S), "SELECT id, person FROM cases"
	    " WHERE id = ?1 UNION ALL SELECT id, notes FROM cases WHERE id = ?1"
	    " UNION ALL SELECT id, entry FROM contacts WHERE case_id = ?1",
	    -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_text(st, 1, case_id, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const uint8_t *b = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);

		if (b == NULL)
			continue;
		(*total)++;
		n += opens_anywhere(key, case_id,
		    (const char *)sqlite3_column_text(st, 0), b, (size_t)len);
	}
	sqlite3_finalize(st);
	return n;
}

/* Can w open any wrap stored for object (of kind) at all? */
static int
any_wrap_opens(const char *table, const char *col, const char *object,
    const char *kind, const struct casefile_holder *h)
{
	char sql[160];
	sqlite3_stmt *st;
	uint8_t key[32];
	int n = 0;

	snprintf(sql, sizeof(sql), "SELECT recipient_id, sealed FROM %s"
	    " WHERE %s = ?", table, col);
	check(sqlite3_prepare_v2(store_db(S), sql, -1, &st, NULL) ==
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, object, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *rcpt = (const char *)sqlite3_column_text(st, 0);

		/* try it as its stated recipient and as h itself */
		if (seal_open(key, kind, object, rcpt, h->pk, h->sk,
		    sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1)) == 0 ||
		    seal_open(key, kind, object, h->id, h->pk, h->sk,
		    sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1)) == 0)
			n++;
	}
	sqlite3_finalize(st);
	secmem_wipe(key, sizeof(key));
	return n;
}

static void
test_create_and_open(struct who *a, struct who *b)
{
	struct case_row c, got;
	uint8_t key[32], k2[32];
	uint8_t *p = NULL, *n = NULL;
	size_t pl, nl;
	struct casefile_plain pt;
	int yes;

	begin();
	new_case(&c, a, key);
	commit();
	check(strlen(c.codename) > 5 && strchr(c.codename, '-') != NULL);
	check(store_case_get(S, c.id, &got) == STORE_OK);
	check(got.key_version == 1 && !got.shredded && got.risk == 2);
	check(store_assign_exists(S, c.id, a->u.id, &yes) == STORE_OK && yes);
	/* the creator and the org open it; another caseworker does not */
	check(casefile_key_open(S, STORE_KEY_CASE, c.id, 1, &a->h, k2) ==
	    CASEFILE_OK && memcmp(k2, key, 32) == 0);
	check(casefile_key_open(S, STORE_KEY_CASE, c.id, 1, &ORG, k2) ==
	    CASEFILE_OK && memcmp(k2, key, 32) == 0);
	check(casefile_key_open(S, STORE_KEY_CASE, c.id, 1, &b->h, k2) ==
	    CASEFILE_ENOKEY);
	/* a stale version is refused before any unwrap */
	check(casefile_key_open(S, STORE_KEY_CASE, c.id, 2, &a->h, k2) ==
	    CASEFILE_EINTEGRITY);
	/* b's secret key with a's id: the box does not open */
	{
		struct casefile_holder forged = a->h;

		forged.sk = b->sk;
		check(casefile_key_open(S, STORE_KEY_CASE, c.id, 1, &forged,
		    k2) == CASEFILE_EINTEGRITY);
	}
	check(store_case_content(S, c.id, &p, &pl, &n, &nl) == STORE_OK);
	check(casefile_decrypt(&pt, key, CASEFILE_T_CASES, c.id,
	    CASEFILE_F_PERSON, 1, p, pl) == CASEFILE_OK);
	check(pt.p != NULL && strstr(pt.p, PHONE) != NULL);
	casefile_plain_free(&pt);
	check(casefile_decrypt(&pt, key, CASEFILE_T_CASES, c.id,
	    CASEFILE_F_NOTES, 1, n, nl) == CASEFILE_OK);
	check(pt.p != NULL && strcmp(pt.p, NOTE) == 0);
	casefile_plain_free(&pt);
	/* no plaintext in the ciphertext */
	check(memmem(p, pl, PHONE, strlen(PHONE)) == NULL);
	check(memmem(n, nl, "Nazran", 6) == NULL);
	free(p);
	free(n);
	secmem_wipe(key, sizeof(key));
}

static void
test_rotation(struct who *a, struct who *b)
{
	struct case_row c;
	uint8_t k1[32], k2[32], k[32];
	char ids[3][23];
	int total = 0;

	begin();
	new_case(&c, a, k1);
	add_contact(&c, a, k1, "{\"at\":1,\"channel\":\"signal\"}", ids[0]);
	add_contact(&c, a, k1, "{\"at\":2,\"channel\":\"phone\"}", ids[1]);
	add_contact(&c, a, k1, "{\"at\":3,\"channel\":\"visit\"}", ids[2]);
	check(casefile_case_assign(S, &c, b->u.id, "x", k1) == CASEFILE_OK);
	commit();
	check(count_opening(k1, c.id, &total) == 5 && total == 5);

	/* unassign a: one transaction, as the route does it */
	begin();
	check(store_assign_delete(S, c.id, a->u.id) == STORE_OK);
	check(casefile_case_rotate(S, &c, k1, k2) == CASEFILE_OK);
	commit();
	check(c.key_version == 2);
	check(memcmp(k1, k2, 32) != 0);

	/* the old key opens nothing stored, at any place or version */
	check(count_opening(k1, c.id, &total) == 0 && total == 5);
	/* the new key opens all of it */
	check(count_opening(k2, c.id, &total) == 5);
	/* a holds no wrap and opens none; b and the org open the new key */
	check(any_wrap_opens("case_keys", "case_id", c.id, SEAL_KIND_CASE,
	    &a->h) == 0);
	check(casefile_key_open(S, STORE_KEY_CASE, c.id, 2, &a->h, k) ==
	    CASEFILE_ENOKEY);
	check(casefile_key_open(S, STORE_KEY_CASE, c.id, 2, &b->h, k) ==
	    CASEFILE_OK && memcmp(k, k2, 32) == 0);
	check(casefile_key_open(S, STORE_KEY_CASE, c.id, 2, &ORG, k) ==
	    CASEFILE_OK && memcmp(k, k2, 32) == 0);
	/* no wrap of version 1 survives */
	{
		sqlite3_stmt *st;

		check(sqlite3_prepare_v2(store_db(S), "SELECT count(*) FROM"
		    " case_keys WHERE case_id = ? AND key_version <> 2", -1,
		    &st, NULL) == SQLITE_OK);
		sqlite3_bind_text(st, 1, c.id, -1, SQLITE_TRANSIENT);
		check(sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_int(st, 0) == 0);
		sqlite3_finalize(st);
	}
	/* a rotation that fails half-way (wrong old key) changes nothing */
	begin();
	check(casefile_case_rotate(S, &c, k1, k) == CASEFILE_EINTEGRITY);
	check(store_write_end(S, 0) == STORE_OK);
	check(count_opening(k2, c.id, &total) == 5);
	secmem_wipe(k1, 32);
	secmem_wipe(k2, 32);
	secmem_wipe(k, 32);
}

/* Swap the blob in (table, col) between rows idx and idy. */
static void
swap_blob(const char *table, const char *col_x, const char *idx,
    const char *col_y, const char *idy)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	    "CREATE TEMP TABLE sw AS SELECT (SELECT %s FROM %s WHERE id = '%s')"
	    " AS x, (SELECT %s FROM %s WHERE id = '%s') AS y;"
	    "UPDATE %s SET %s = (SELECT y FROM sw) WHERE id = '%s';"
	    "UPDATE %s SET %s = (SELECT x FROM sw) WHERE id = '%s';"
	    "DROP TABLE sw;",
	    col_x, table, idx, col_y, table, idy,
	    table, col_x, idx, table, col_y, idy);
	check(sqlite3_exec(store_db(S), sql, NULL, NULL, NULL) == SQLITE_OK);
}

static int
field_opens(const uint8_t key[32], const char *table, const char *col,
    const char *id, const char *field, uint32_t v)
{
	char sql[160];
	sqlite3_stmt *st;
	struct casefile_plain pt = { NULL, 0 };
	int ok = 0;

	snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE id = ?", col,
	    table);
	check(sqlite3_prepare_v2(store_db(S), sql, -1, &st, NULL) ==
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		ok = casefile_decrypt(&pt, key, table, id, field, v,
		    sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0)) == CASEFILE_OK;
	sqlite3_finalize(st);
	casefile_plain_free(&pt);
	return ok;
}

static void
test_swaps_fail(struct who *a)
{
	struct case_row x, y;
	uint8_t kx[32], ky[32], k[32];
	char cx[23], cx2[23], cy[23];

	begin();
	new_case(&x, a, kx);
	new_case(&y, a, ky);
	add_contact(&x, a, kx, "{\"at\":1}", cx);
	add_contact(&x, a, kx, "{\"at\":2}", cx2);
	add_contact(&y, a, ky, "{\"at\":3}", cy);
	commit();
	check(field_opens(kx, "cases", "person", x.id, "person", 1));
	check(field_opens(kx, "cases", "notes", x.id, "notes", 1));

	/* person of x <-> person of y: neither opens with either key */
	swap_blob("cases", "person", x.id, "person", y.id);
	check(!field_opens(kx, "cases", "person", x.id, "person", 1));
	check(!field_opens(ky, "cases", "person", x.id, "person", 1));
	check(!field_opens(ky, "cases", "person", y.id, "person", 1));
	swap_blob("cases", "person", x.id, "person", y.id);
	check(field_opens(kx, "cases", "person", x.id, "person", 1));

	/* person <-> notes inside one case, same key: the field binds */
	swap_blob("cases", "person", x.id, "notes", x.id);
	check(!field_opens(kx, "cases", "person", x.id, "person", 1));
	check(!field_opens(kx, "cases", "notes", x.id, "notes", 1));
	swap_blob("cases", "person", x.id, "notes", x.id);
	check(field_opens(kx, "cases", "notes", x.id, "notes", 1));

	/* two contacts of one case (same key): the row binds */
	swap_blob("contacts", "entry", cx, "entry", cx2);
	check(!field_opens(kx, "contacts", "entry", cx, "entry", 1));
	check(!field_opens(kx, "contacts", "entry", cx2, "entry", 1));
	swap_blob("contacts", "entry", cx, "entry", cx2);
	/* contacts of two cases */
	swap_blob("contacts", "entry", cx, "entry", cy);
	check(!field_opens(kx, "contacts", "entry", cx, "entry", 1));
	check(!field_opens(ky, "contacts", "entry", cy, "entry", 1));
	swap_blob("contacts", "entry", cx, "entry", cy);
	check(field_opens(kx, "contacts", "entry", cx, "entry", 1));

	/* a's wrap of y copied over a's wrap of x: the ids inside refuse */
	{
		char sql[400];

		snprintf(sql, sizeof(sql), "UPDATE case_keys SET sealed ="
		    " (SELECT sealed FROM case_keys WHERE case_id = '%s' AND"
		    " recipient_id = '%s') WHERE case_id = '%s' AND"
		    " recipient_id = '%s'", y.id, a->u.id, x.id, a->u.id);
		check(sqlite3_exec(store_db(S), sql, NULL, NULL, NULL) ==
		    SQLITE_OK);
		check(casefile_key_open(S, STORE_KEY_CASE, x.id, 1, &a->h, k)
		    == CASEFILE_EINTEGRITY);
		/* the org wrap of x, relabelled as a's: refused too */
		snprintf(sql, sizeof(sql), "UPDATE case_keys SET sealed ="
		    " (SELECT sealed FROM case_keys WHERE case_id = '%s' AND"
		    " recipient_id = 'org') WHERE case_id = '%s' AND"
		    " recipient_id = '%s'", x.id, x.id, a->u.id);
		check(sqlite3_exec(store_db(S), sql, NULL, NULL, NULL) ==
		    SQLITE_OK);
		check(casefile_key_open(S, STORE_KEY_CASE, x.id, 1, &a->h, k)
		    == CASEFILE_EINTEGRITY);
	}
	secmem_wipe(kx, 32);
	secmem_wipe(ky, 32);
}

static int64_t
count(const char *sql, const char *id)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	check(sqlite3_prepare_v2(store_db(S), sql, -1, &st, NULL) ==
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
test_shred(struct who *a)
{
	struct case_row c, got;
	uint8_t key[32];
	char cid[23];

	begin();
	new_case(&c, a, key);
	add_contact(&c, a, key, "{\"at\":1}", cid);
	check(casefile_case_shred(S, &c) == CASEFILE_OK);
	commit();
	check(store_case_get(S, c.id, &got) == STORE_OK && got.shredded);
	check(strcmp(got.codename, c.codename) == 0);
	check(count("SELECT count(*) FROM case_keys WHERE case_id = ?",
	    c.id) == 0);
	check(count("SELECT count(*) FROM contacts WHERE case_id = ?",
	    c.id) == 0);
	check(count("SELECT count(*) FROM cases WHERE id = ? AND person IS"
	    " NULL AND notes IS NULL", c.id) == 1);
	/* the tombstone keeps its assignees */
	check(count("SELECT count(*) FROM assignments WHERE case_id = ?",
	    c.id) == 1);
	check(casefile_key_open(S, STORE_KEY_CASE, c.id, 1, &a->h, key) ==
	    CASEFILE_ENOKEY);
	/* shredding twice finds nothing to shred */
	begin();
	check(casefile_case_shred(S, &got) == CASEFILE_ESTORE);
	check(store_write_end(S, 0) == STORE_OK);
}

/* The stored count of case id (store_contact_count), -1 on error. */
static int64_t
stored_count(const char *id)
{
	int64_t n;

	return store_contact_count(S, id, &n) == STORE_OK ? n : -1;
}

/* Does the stored count of id match its rows, and is it want? */
static int
counted(const char *id, int64_t want)
{
	return stored_count(id) == want && count("SELECT count(*) FROM"
	    " contacts WHERE case_id = ?", id) == want;
}

/* Cases whose stored count differs from their contact rows, or that have
 * none: 0 when the triggers of schema/0005_contact_count.sql held. */
static int64_t
counts_disagree(void)
{
	return count("SELECT count(*) FROM cases c LEFT JOIN contact_counts k"
	    " ON k.case_id = c.id WHERE k.contact_count IS NULL OR"
	    " k.contact_count != (SELECT count(*) FROM contacts t"
	    " WHERE t.case_id = c.id) OR ? IS NOT NULL", NULL);
}

/* contact_counts follows every insert, delete, move and rollback of a
 * contact row, whoever makes it, and shredding takes it to 0. */
static void
test_contact_count(struct who *a)
{
	struct case_row c1, c2, got;
	uint8_t k1[32], k2[32], nk[32], *ct = NULL;
	size_t ct_len = 0;
	char ids[4][23], sql[128];

	begin();
	new_case(&c1, a, k1);
	new_case(&c2, a, k2);
	check(counted(c1.id, 0) && counted(c2.id, 0));
	for (int i = 0; i < 3; i++)
		add_contact(&c1, a, k1, "{\"at\":1}", ids[i]);
	add_contact(&c2, a, k2, "{\"at\":2}", ids[3]);
	/* seen inside the transaction that wrote it, as the route reads it */
	check(counted(c1.id, 3) && counted(c2.id, 1));
	commit();
	check(counted(c1.id, 3) && counted(c2.id, 1));

	/* a rolled-back insert leaves the count as it was */
	begin();
	add_contact(&c1, a, k1, "{\"at\":3}", sql);
	check(counted(c1.id, 4));
	check(store_write_end(S, 0) == STORE_OK);
	check(counted(c1.id, 3));

	/* rewriting an entry (what rotation does) changes no count */
	begin();
	check(store_contact_entry(S, c1.id, ids[0], &ct, &ct_len) ==
	    STORE_OK);
	check(store_contact_set_entry(S, ids[0], ct, ct_len) == STORE_OK);
	got = c1;
	check(casefile_case_rotate(S, &got, k1, nk) == CASEFILE_OK);
	commit();
	free(ct);
	check(counted(c1.id, 3));

	/* a delete and a move by hand, outside every store function */
	snprintf(sql, sizeof(sql), "DELETE FROM contacts WHERE id = '%s'",
	    ids[1]);
	check(sqlite3_exec(store_db(S), sql, NULL, NULL, NULL) == SQLITE_OK);
	check(counted(c1.id, 2) && counted(c2.id, 1));
	snprintf(sql, sizeof(sql), "UPDATE contacts SET case_id = '%s'"
	    " WHERE id = '%s'", c2.id, ids[2]);
	check(sqlite3_exec(store_db(S), sql, NULL, NULL, NULL) == SQLITE_OK);
	check(counted(c1.id, 1) && counted(c2.id, 2));

	/* the count cannot go below 0 */
	snprintf(sql, sizeof(sql), "UPDATE contact_counts SET contact_count"
	    " = -1 WHERE case_id = '%s'", c1.id);
	check(sqlite3_exec(store_db(S), sql, NULL, NULL, NULL) != SQLITE_OK);
	check(counted(c1.id, 1));

	/* shredding deletes the entries: the tombstone counts 0, c2 keeps
	 * its own */
	check(store_case_get(S, c1.id, &got) == STORE_OK);
	begin();
	check(casefile_case_shred(S, &got) == CASEFILE_OK);
	commit();
	check(counted(c1.id, 0) && counted(c2.id, 2));
	begin();
	check(casefile_case_shred(S, &c2) == CASEFILE_OK);
	commit();
	check(counted(c2.id, 0));

	/* no case, no count: never read as 0 */
	check(stored_count("nnnnnnnnnnnnnnnnnnnnnn") == -1);
	check(counts_disagree() == 0);
	secmem_wipe(k1, sizeof(k1));
	secmem_wipe(k2, sizeof(k2));
	secmem_wipe(nk, sizeof(nk));
}

static void
test_revoke(struct who *a, struct who *b)
{
	struct case_row c1, c2, got;
	struct store_ids touched = { NULL, 0, 0 };
	uint8_t k1[32], k2[32], k[32];
	int total;

	begin();
	new_case(&c1, a, k1);
	new_case(&c2, b, k2);
	check(casefile_case_assign(S, &c2, a->u.id, "x", k2) == CASEFILE_OK);
	commit();

	/* by a coordinator (org key at hand): rotated at once */
	begin();
	check(casefile_revoke_user(S, a->u.id, &ORG, &touched) == CASEFILE_OK);
	commit();
	check(store_ids_has(&touched, c1.id) && store_ids_has(&touched, c2.id));
	check(count("SELECT count(*) FROM case_keys WHERE recipient_id = ?",
	    a->u.id) == 0);
	check(count("SELECT count(*) FROM assignments WHERE user_id = ?",
	    a->u.id) == 0);
	check(store_case_get(S, c2.id, &got) == STORE_OK &&
	    got.key_version == 2 && !got.rotate_pending);
	check(count_opening(k2, c2.id, &total) == 0 && total == 2);
	check(casefile_key_open(S, STORE_KEY_CASE, c2.id, 2, &b->h, k) ==
	    CASEFILE_OK);
	check(count_opening(k, c2.id, &total) == 2);
	store_ids_free(&touched);

	/* by an admin (no org key): wraps gone now, rotation pending */
	begin();
	check(casefile_revoke_user(S, b->u.id, NULL, &touched) == CASEFILE_OK);
	commit();
	check(count("SELECT count(*) FROM case_keys WHERE recipient_id = ?",
	    b->u.id) == 0);
	check(store_case_get(S, c2.id, &got) == STORE_OK &&
	    got.rotate_pending && got.key_version == 2);
	/* the next holder (here the org) rotates */
	check(casefile_key_open(S, STORE_KEY_CASE, c2.id, 2, &ORG, k) ==
	    CASEFILE_OK);
	begin();
	check(casefile_case_rotate(S, &got, k, k2) == CASEFILE_OK);
	commit();
	check(store_case_get(S, c2.id, &got) == STORE_OK &&
	    !got.rotate_pending && got.key_version == 3);
	check(count_opening(k, c2.id, &total) == 0);
	store_ids_free(&touched);
	secmem_wipe(k, 32);
}

static void
test_evac(struct who *a, struct who *b)
{
	struct case_row c1, c2;
	struct evac_row e, got;
	uint8_t k1[32], k2[32], ke[32], kn[32], k[32];
	static const char details[] = "{\"route\":\"Nazran - Vladikavkaz\"}";
	int rotated;

	begin();
	new_case(&c1, a, k1);
	new_case(&c2, b, k2);
	memset(&e, 0, sizeof(e));
	memcpy(e.created_by, a->u.id, sizeof(e.created_by));
	check(casefile_evac_create(S, &e, details, strlen(details), ke) ==
	    CASEFILE_OK);
	commit();
	check(casefile_key_open(S, STORE_KEY_EVAC, e.id, 1, &ORG, k) ==
	    CASEFILE_OK && memcmp(k, ke, 32) == 0);
	check(casefile_key_open(S, STORE_KEY_EVAC, e.id, 1, &a->h, k) ==
	    CASEFILE_ENOKEY);

	/* members' caseworkers get K_evac, without a rotation */
	begin();
	check(store_case_set_evacuation(S, c1.id, e.id) == STORE_OK);
	check(store_case_set_evacuation(S, c2.id, e.id) == STORE_OK);
	check(casefile_evac_sync(S, &e, ke, 0, kn, &rotated) == CASEFILE_OK);
	commit();
	check(!rotated && e.key_version == 1);
	check(casefile_key_open(S, STORE_KEY_EVAC, e.id, 1, &a->h, k) ==
	    CASEFILE_OK);
	check(casefile_key_open(S, STORE_KEY_EVAC, e.id, 1, &b->h, k) ==
	    CASEFILE_OK);
	/* adding wraps needs the key */
	begin();
	check(casefile_case_assign(S, &c1, b->u.id, "x", k1) == CASEFILE_OK);
	check(casefile_evac_sync(S, &e, NULL, 0, kn, &rotated) ==
	    CASEFILE_OK);	/* b holds it already: nothing missing */
	commit();

	/* b leaves both cases: K_evac rotates, b's wrap goes */
	begin();
	check(store_assign_delete(S, c1.id, b->u.id) == STORE_OK);
	check(store_assign_delete(S, c2.id, b->u.id) == STORE_OK);
	check(casefile_evac_sync(S, &e, ke, 0, kn, &rotated) == CASEFILE_OK);
	commit();
	check(rotated && e.key_version == 2);
	check(casefile_key_open(S, STORE_KEY_EVAC, e.id, 2, &b->h, k) ==
	    CASEFILE_ENOKEY);
	check(casefile_key_open(S, STORE_KEY_EVAC, e.id, 2, &a->h, k) ==
	    CASEFILE_OK && memcmp(k, kn, 32) == 0);
	check(!field_opens(ke, "evacuations", "details", e.id, "details", 1));
	check(!field_opens(ke, "evacuations", "details", e.id, "details", 2));
	check(field_opens(kn, "evacuations", "details", e.id, "details", 2));
	check(store_evac_get(S, e.id, &got) == STORE_OK &&
	    got.key_version == 2);
	secmem_wipe(ke, 32);
	secmem_wipe(kn, 32);
	secmem_wipe(k, 32);
}

/* The plan of sql must walk an index and never sort. */
static void
check_plan(const char *sql)
{
	char explain[1024];
	sqlite3_stmt *st;
	int index = 0, sort = 0;

	snprintf(explain, sizeof(explain), "EXPLAIN QUERY PLAN %s", sql);
	check(sqlite3_prepare_v2(store_db(S), explain, -1, &st, NULL) ==
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);

		if (strstr(d, "USING") != NULL)
			index = 1;
		if (strstr(d, "TEMP B-TREE") != NULL)
			sort = 1;
		if (strstr(d, "SCAN TABLE cases") != NULL &&
		    strstr(d, "INDEX") == NULL)
			sort = 1;	/* a full scan by rowid */
	}
	sqlite3_finalize(st);
	check(index);
	check(!sort);
}

/*
 * Issue 17: both listings read the cases they list from the covering index
 * cases_list (schema/0012_case_list_index.sql), never from the table, whose
 * rows sit in insertion order, one table page per listed case. Fails on a
 * schema without the index ("USING INDEX sqlite_autoindex_cases_1").
 */
static void
check_covering(const char *sql)
{
	char explain[1024];
	sqlite3_stmt *st;
	int covered = 0, table = 0;

	snprintf(explain, sizeof(explain), "EXPLAIN QUERY PLAN %s", sql);
	check(sqlite3_prepare_v2(store_db(S), explain, -1, &st, NULL) ==
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);

		if (strstr(d, " c USING COVERING INDEX cases_list") != NULL)
			covered = 1;
		else if (strstr(d, " c USING") != NULL ||
		    strstr(d, "TABLE cases") != NULL)
			table = 1;
	}
	sqlite3_finalize(st);
	check(covered);
	check(!table);
}

struct page {
	char	last[23];
	int	n;
	int	ordered;
};

static int
on_row(void *arg, const struct case_row *c, const char *assignees)
{
	struct page *p = arg;

	(void)assignees;
	if (strcmp(c->id, p->last) <= 0)
		p->ordered = 0;
	memcpy(p->last, c->id, sizeof(p->last));
	p->n++;
	return 0;
}

static void
test_paging_100k(struct who *a)
{
	struct case_row c;
	struct page p;
	int pages = 0, seen = 0, mine = 0;
	int64_t before;
	char first[23] = "";
	const uint8_t ct[FIELD_OVERHEAD + 1] = { 0 };

	check_plan(store_case_list_sql(0));
	check_plan(store_case_list_sql(1));
	check_covering(store_case_list_sql(0));
	check_covering(store_case_list_sql(1));

	before = count("SELECT count(*) FROM cases WHERE ? IS NULL", NULL);
	begin();
	memset(&c, 0, sizeof(c));
	c.status = CASE_INTAKE;
	snprintf(c.region, sizeof(c.region), "r");
	c.household_size = 1;
	c.key_version = 1;
	memcpy(c.created_by, a->u.id, sizeof(c.created_by));
	for (int i = 0; i < 100000; i++) {
		token_new_id(c.id);
		snprintf(c.codename, sizeof(c.codename), "bulk-%d", i);
		if (store_case_insert(S, &c, ct, sizeof(ct), ct, sizeof(ct))
		    != STORE_OK) {
			fail("insert %d", i);
			break;
		}
		if (i % 10 == 0 &&
		    store_assign_put(S, c.id, a->u.id, NULL) != STORE_OK) {
			fail("assign %d", i);
			break;
		}
	}
	commit();

	/* every case exactly once, in id order, 500 at a time */
	memset(&p, 0, sizeof(p));
	p.ordered = 1;
	do {
		char after[23];

		memcpy(after, p.last, sizeof(after));
		p.n = 0;
		check(store_case_list(S, NULL, after, NULL, 500, on_row, &p) ==
		    STORE_OK);
		if (pages == 0)
			memcpy(first, p.last, sizeof(first));
		seen += p.n;
		pages++;
	} while (p.n == 500);
	check(p.ordered);
	check(seen == (int)before + 100000);
	check(first[0] != '\0');

	/* a's own cases (a caseworker's listing) */
	memset(&p, 0, sizeof(p));
	p.ordered = 1;
	do {
		char after[23];

		memcpy(after, p.last, sizeof(after));
		p.n = 0;
		check(store_case_list(S, a->u.id, after, NULL, 500, on_row, &p) ==
		    STORE_OK);
		mine += p.n;
	} while (p.n == 500);
	check(p.ordered);
	check(mine == (int)count("SELECT count(*) FROM assignments WHERE"
	    " user_id = ?", a->u.id));
	check(mine >= 10000);
}

int
main(void)
{
	char dir[] = "/tmp/corridor-casefile-XXXXXX", db[256];
	uint8_t key[32];
	struct who a, b, coord;

	if (secmem_init() != 0 || mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/t.db", dir);
	secmem_random(key, sizeof(key));
	if (store_open(&S, db, key, 1) != STORE_OK ||
	    store_migrate(S) != STORE_OK)
		return 1;
	userkey_generate(org_pk, org_sk);
	check(store_org_pk_set(S, org_pk) == STORE_OK);
	check(casefile_org_holder(S, org_sk, &ORG) == CASEFILE_OK);
	check(casefile_org_holder(S, NULL, &ORG) == CASEFILE_ENOKEY);
	check(casefile_org_holder(S, org_sk, &ORG) == CASEFILE_OK);
	make_user(&a, "cw-a", ROLE_CASEWORKER);
	make_user(&b, "cw-b", ROLE_CASEWORKER);
	make_user(&coord, "coord", ROLE_COORDINATOR);

	test_create_and_open(&a, &b);
	test_rotation(&a, &b);
	test_swaps_fail(&a);
	test_shred(&a);
	test_contact_count(&a);
	test_evac(&a, &b);
	test_revoke(&a, &b);
	test_paging_100k(&coord);
	/* every case made above, the 100k included, has its right count */
	check(counts_disagree() == 0);

	store_close(S);
	unlink(db);
	snprintf(db, sizeof(db), "%s/t.db-wal", dir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/t.db-shm", dir);
	unlink(db);
	rmdir(dir);
	secmem_wipe(org_sk, sizeof(org_sk));
	return test_done("test_casefile");
}
