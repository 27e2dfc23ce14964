/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_key: the key wraps of cases and evacuations (case_keys,
 * evacuation_keys): K_case or K_evac sealed to one recipient (a user or
 * the org key). Opaque bytes in and out; nothing here holds a key.
 * Functions return a store_err unless said otherwise.
 */
#ifndef CORRIDOR_STORE_KEY_H
#define CORRIDOR_STORE_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"

enum store_key_kind { STORE_KEY_CASE = 0, STORE_KEY_EVAC = 1 };

/* Insert or replace the wrap of object_id for recipient_id ('org' or a
 * user id). */
int store_key_put(struct store *s, int kind, const char *object_id,
    const char *recipient_id, uint32_t key_version, const uint8_t *sealed,
    size_t sealed_len);
/* The wrap into out (out_max bytes). STORE_ENOTFOUND if none. */
int store_key_get(struct store *s, int kind, const char *object_id,
    const char *recipient_id, uint8_t *out, size_t out_max, size_t *out_len,
    uint32_t *key_version);
int store_key_delete(struct store *s, int kind, const char *object_id,
    const char *recipient_id);
int store_key_delete_all(struct store *s, int kind, const char *object_id);
int store_key_delete_recipient(struct store *s, int kind,
    const char *recipient_id);
/* Append the recipients holding a wrap of object_id (including 'org'). */
int store_key_recipients(struct store *s, int kind, const char *object_id,
    struct store_ids *out);
/* Append the objects recipient_id holds a wrap of. */
int store_key_objects(struct store *s, int kind, const char *recipient_id,
    struct store_ids *out);

#endif
