// SPDX-License-Identifier: AGPL-3.0-or-later
// i18n: the message catalogues (web/i18n/<lang>.json), the chosen
// language, and dates in its locale. Every string the UI shows comes
// from t(); a missing key shows the key itself, so a test can spot it.

const LANGS = ['ru', 'en'];
const catalogues = {};
let lang = 'en';
const listeners = [];

/** Load both catalogues (small; switching must not wait on the network). */
export async function loadCatalogues() {
  await Promise.all(LANGS.map(async (l) => {
    const res = await fetch(new URL(`../i18n/${l}.json`, import.meta.url), { credentials: 'omit' });
    if (!res.ok) throw new Error(`catalogue ${l}: ${res.status}`);
    catalogues[l] = await res.json();
  }));
}

/** Russian when the browser prefers it to English, else English. */
export function preferredLang() {
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (LANGS.includes(base)) return base;
  }
  return 'en';
}

export function currentLang() { return lang; }
export function languages() { return LANGS; }

/** Switch language: sets <html lang> and tells the listeners to re-render. */
export function setLang(l) {
  if (!LANGS.includes(l)) return;
  lang = l;
  document.documentElement.lang = l;
  for (const fn of listeners) fn(l);
}

export function onLangChange(fn) { listeners.push(fn); }

/** The message for key, with {name} placeholders filled from vars. */
export function t(key, vars) {
  let s = catalogues[lang] && catalogues[lang][key];
  if (s === undefined) s = catalogues.en && catalogues.en[key];
  if (s === undefined) return key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

/** Does the catalogue hold key? (problem types map to messages by key) */
export function has(key) {
  return Boolean(catalogues[lang] && key in catalogues[lang]);
}

const dtCache = new Map();
function formatter(kind) {
  const k = `${lang}|${kind}`;
  if (!dtCache.has(k)) {
    const opts = kind === 'date' ? { dateStyle: 'medium' } : { dateStyle: 'medium', timeStyle: 'short' };
    dtCache.set(k, new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', opts));
  }
  return dtCache.get(k);
}

/** A date-time as the chosen locale and the user's zone write it. */
export function formatDateTime(iso, kind) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return formatter(kind || 'datetime').format(d);
}

/** A number in the chosen locale. */
export function formatNumber(n) {
  return new Intl.NumberFormat(lang === 'ru' ? 'ru-RU' : 'en-GB').format(n);
}
