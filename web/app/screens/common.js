// SPDX-License-Identifier: AGPL-3.0-or-later
// common: vocabularies and the person fields shared by the case screens.

import { t } from '../i18n.js';

export const STATUSES = ['intake', 'verified', 'awaiting_evacuation', 'in_transit', 'relocated', 'closed'];
export const RISKS = ['low', 'medium', 'high', 'critical'];
export const STAGES = ['planned', 'in_progress', 'completed', 'aborted'];
export const ROLES = ['caseworker', 'coordinator', 'auditor', 'admin'];
export const PERSON_FIELDS = ['name', 'aliases', 'phone', 'messenger', 'location', 'family'];
export const EVAC_FIELDS = ['route', 'transport', 'departure', 'destination', 'contacts', 'notes'];
export const MAX_REGION_BYTES = 64;
export const MAX_FIELD_BYTES = 4096;

export function options(kind, values, withAny) {
  const opts = values.map((v) => [v, t(`${kind}.${v}`)]);
  return withAny ? [['', t('filter.any')], ...opts] : opts;
}

/** Form fields for a free-form object's known string keys (person, details). */
export function objectFields(prefix, keys, obj, textareas) {
  return keys.map((k) => ({
    name: `${prefix}_${k}`, label: `${prefix}.${k}`, content: true, maxBytes: MAX_FIELD_BYTES,
    type: textareas.includes(k) ? 'textarea' : 'text', rows: 3,
    value: obj && typeof obj[k] === 'string' ? obj[k] : '',
  }));
}

/**
 * Merge the edited known keys into the object (other keys an API client
 * stored stay as they were: PATCH replaces person whole).
 */
export function objectFromValues(prefix, keys, values, base) {
  const out = { ...(base || {}) };
  for (const k of keys) {
    const v = values[`${prefix}_${k}`].trim();
    if (v) out[k] = v; else delete out[k];
  }
  return out;
}

export function byteLength(s) { return new TextEncoder().encode(s).length; }

/* The server's cap on X-Access-Reason (MAX_REASON_BYTES in server/limits.h). */
export const MAX_REASON_BYTES = 512;

/** The form field of an audited X-Access-Reason (panic, reset, re-seal of
 * another account): required, and within the server's cap in UTF-8. */
export function reasonField(label, hint) {
  return { name: 'reason', label, hint, required: true,
    validate: (v) => (!v.trim() ? 'users.panic_reason_missing' : (byteLength(v.trim()) > MAX_REASON_BYTES ? 'form.too_long' : null)) };
}

/** Make a case id readable when no codename is known (first 6 characters). */
export function shortId(id) { return `${String(id).slice(0, 6)}…`; }
