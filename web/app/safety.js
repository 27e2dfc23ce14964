// SPDX-License-Identifier: AGPL-3.0-or-later
// safety: panic (a button, or Escape twice within a second), the idle
// lock that mirrors the server's idle timeout with a warning before it,
// and the veil over content while the window is hidden.

import { h } from './dom.js';
import { t } from './i18n.js';
import { api, lastRequest, hasToken } from './api.js';
import { dialog } from './ui.js';

const ESC_WINDOW_MS = 1000;
const WARN_LEAD_MAX_S = 60;  // warn a minute before the lock...
const PING_EVERY_MAX_S = 60; // ...and tell the server about activity at most once a minute
const LOCK_EARLY_MS = 1500;  // lock before the server's own expiry, so the
                             // DELETE /session still finds the session

let lastEsc = 0;
let ticker = null;
let idleS = 900;
let warning = null;  // the open warning's close function
let onPanic = null;
let onIdle = null;
let pinging = false;

export function installSafety(handlers) {
  onPanic = handlers.panic;
  onIdle = handlers.idle;
  window.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape' || !hasToken()) return;
    const now = Date.now();
    if (now - lastEsc <= ESC_WINDOW_MS) {
      lastEsc = 0;
      ev.preventDefault();
      onPanic();
      return;
    }
    lastEsc = now;
  }, true);
  for (const type of ['keydown', 'pointerdown', 'wheel', 'touchstart']) {
    window.addEventListener(type, activity, { capture: true, passive: true });
  }
  document.addEventListener('visibilitychange', () => {
    document.body.classList.toggle('veiled', document.hidden && hasToken());
    // a hidden tab's timers run late (Chrome: once a minute): check at once
    if (!document.hidden && ticker) tick();
  });
}

function warnLeadS() { return Math.min(WARN_LEAD_MAX_S, Math.floor(idleS / 3)); }
function pingEveryS() { return Math.min(PING_EVERY_MAX_S, Math.max(1, Math.floor(idleS / 4))); }

/** The user did something: keep the server's idle clock in step. */
function activity() {
  if (!hasToken() || warning || pinging) return;
  if (Date.now() - lastRequest() < pingEveryS() * 1000) return;
  ping();
}

function ping() {
  pinging = true;
  return api('GET', '/me').catch(() => {}).finally(() => { pinging = false; });
}

/** Start mirroring an idle timeout of seconds (from the server's expires_at). */
export function startIdle(seconds) {
  idleS = seconds;
  stopIdle();
  ticker = setInterval(tick, 1000);
}

export function stopIdle() {
  if (ticker) clearInterval(ticker);
  ticker = null;
  if (warning) { const w = warning; warning = null; w(null); }
}

function tick() {
  if (!hasToken()) return;
  const left = idleS * 1000 - LOCK_EARLY_MS - (Date.now() - lastRequest());
  if (left <= 0) {
    stopIdle();
    onIdle();
    return;
  }
  if (left <= warnLeadS() * 1000 && !warning) showWarning(left);
  if (warning && warning.update) warning.update(left);
}

function showWarning(leftMs) {
  let countdown;
  const p = dialog('idle.title', (close) => {
    countdown = h('p', { 'aria-live': 'polite' }, t('idle.body', { seconds: Math.ceil(leftMs / 1000) }));
    warning = close;
    warning.update = (left) => { countdown.textContent = t('idle.body', { seconds: Math.max(0, Math.ceil(left / 1000)) }); };
    return h('div', null, countdown,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => close('stay') }, t('idle.stay')),
        h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => close('lock') }, t('idle.lock'))));
  }, null, 'dialog-idle');
  p.then((v) => {
    warning = null;
    if (v === 'lock') { onPanic(); return; }
    // Stay, or Escape (someone is here): the request restarts the clock
    if (hasToken() && ticker) ping();
  });
}
