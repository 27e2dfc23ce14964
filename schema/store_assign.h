/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * store_assign: which caseworkers are assigned to which case (the
 * assignments table). Being assigned is what makes a user eligible for a
 * wrap of the case key; the wrap itself is store_key's. Functions return
 * a store_err unless said otherwise.
 */
#ifndef CORRIDOR_STORE_ASSIGN_H
#define CORRIDOR_STORE_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "schema/store.h"

/* STORE_ECONFLICT if already assigned. */
int store_assign_put(struct store *s, const char *case_id, const char *user_id,
    const char *assigned_by);
/* STORE_ENOTFOUND if not assigned. */
int store_assign_delete(struct store *s, const char *case_id,
    const char *user_id);
int store_assign_delete_user(struct store *s, const char *user_id);
/* *yes = 1 if user_id is assigned to case_id. */
int store_assign_exists(struct store *s, const char *case_id,
    const char *user_id, int *yes);
/* Append the assignees of case_id (user id order) to out. */
int store_assign_users(struct store *s, const char *case_id,
    struct store_ids *out);
/* Append the cases assigned to user_id to out. */
int store_assign_cases(struct store *s, const char *user_id,
    struct store_ids *out);

#endif
