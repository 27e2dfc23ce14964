/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * blind: the keyed hashes behind "have we seen this person before?"
 * (POST /cases/lookup, docs/cases.md). A blind index of a normalised
 * value (a phone number in E.164, a folded name; server/core/lookupnorm.h)
 * is BLAKE2b-256 keyed with the index key K_idx over
 * "corridor/blind/v1|<kind>|" || value, so the database holds no value
 * that can be tested without K_idx, and a phone and a name that happen to
 * be the same string never share an entry.
 *
 * WARNING: equal values give equal entries, so whoever reads the table
 * learns which cases share a phone or a name; and whoever holds K_idx can
 * test guesses offline at BLAKE2b speed. docs/threat-model.md.
 */
#ifndef CORRIDOR_BLIND_H
#define CORRIDOR_BLIND_H

#include <stddef.h>
#include <stdint.h>

#define BLIND_KEY_BYTES		32u
#define BLIND_HASH_BYTES	32u

/* What a blind index is of. Part of the stored format. */
enum blind_kind {
	BLIND_CHECK = 0,	/* the key's check value: marks a case indexed
				 * under this K_idx (value "") */
	BLIND_PHONE = 1,
	BLIND_NAME = 2,
};

/* A fresh random K_idx. */
void blind_new_key(uint8_t key[BLIND_KEY_BYTES]);

/* out = BLAKE2b-256_K(prefix(kind) || v). 0, or -1 for an unknown kind. */
int blind_hash(uint8_t out[BLIND_HASH_BYTES],
    const uint8_t key[BLIND_KEY_BYTES], int kind, const char *v,
    size_t v_len) __attribute__((warn_unused_result));

#endif
