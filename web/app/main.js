// SPDX-License-Identifier: AGPL-3.0-or-later
// main: start-up, the page shell, the hash router and the wipe.
//
// URLs carry ids only (#/cases/ID). The title is always "corridor".
// A wipe (log out, panic, idle lock, a session the server ended) drops
// the token and every piece of state, empties the page, replaces the
// history entry and shows the login screen: Back then shows nothing,
// because no screen renders without a session.

import { h, clear, replace } from './dom.js';
import { t, loadCatalogues, preferredLang, setLang, currentLang, languages, onLangChange } from './i18n.js';
import { api, setHooks, hasToken, endSessionNow, clearToken, confirmPassword } from './api.js';
import { state, resetState, takeFlash, flash } from './state.js';
import { installSafety, startIdle, stopIdle } from './safety.js';
import { closeAllDialogs, formDialog, notice, problemText } from './ui.js';
import { routesFor } from './routes.js';
import { loginScreen } from './screens/login.js';

const TITLE = 'corridor';
let current = null;      // {screen, key}
let renderSeq = 0;
let mainEl = null;

function shell() {
  const body = document.body;
  clear(body);
  body.className = '';
  const langNav = h('div', { class: 'lang', role: 'group', 'aria-label': t('lang.label') },
    languages().map((l) => h('button', {
      type: 'button', class: 'lang-btn', lang: l, 'aria-pressed': String(l === currentLang()),
      onclick: () => setLang(l),
    }, t(`lang.${l}`))));
  const header = h('header', { class: 'bar' },
    h('a', { class: 'skip', href: '#main', onclick: (ev) => { ev.preventDefault(); mainEl.focus(); } }, t('nav.skip')),
    h('span', { class: 'brand' }, TITLE));
  const navItems = [];
  if (hasToken() && state.user) {
    for (const r of routesFor(state.user).filter((x) => x.nav)) {
      const count = r.key === 'alerts' && state.user.alerts ? h('span', { class: 'badge', id: 'alert-count' }, ` ${state.user.alerts}`) : null;
      navItems.push(h('li', null, h('a', { href: r.href, 'data-nav': r.nav }, t(r.label), count)));
    }
    navItems.push(h('li', null, h('a', { href: '#/two-factor', 'data-nav': 'two-factor' }, t('nav.twofactor'))));
    navItems.push(h('li', null, h('a', { href: '#/password', 'data-nav': 'password' }, t('nav.password'))));
    header.appendChild(h('nav', { 'aria-label': t('nav.label') }, h('ul', null, navItems)));
  }
  header.appendChild(h('div', { class: 'bar-right' },
    langNav,
    hasToken() && state.user ? h('span', { class: 'who' }, t('nav.signed_in_as', { name: state.user.username, role: t(`role.${state.user.role}`) })) : null,
    hasToken() ? h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: logout }, t('nav.logout')) : null,
    hasToken() ? h('button', {
      type: 'button', class: 'btn btn-panic', onclick: panic, title: t('panic.hint'),
    }, t('panic.button')) : null));
  mainEl = h('main', { id: 'main', tabindex: '-1' });
  body.append(header, mainEl,
    h('footer', { class: 'foot' }, hasToken()
      ? t('footer.safety', { minutes: Math.max(1, Math.round(state.idleSeconds / 60)) }) : t('footer.login')));
  markNav();
}

function markNav() {
  const [top] = parseHash();
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.getAttribute('data-nav') === top) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

export function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  return raw.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
}

/** Go to a route (ids only). replace: no new history entry. */
export function go(hash, replaceEntry) {
  if (replaceEntry) {
    history.replaceState(null, '', hash);
    route();
  } else if (location.hash === hash) {
    route();
  } else {
    location.hash = hash;
  }
}

function homeFor(user) {
  if (!user.enrolled) return '#/welcome';
  return routesFor(user).find((r) => r.home).href;
}

/** Render the screen for the current hash. */
async function route() {
  const seq = ++renderSeq;
  document.title = TITLE;
  if (!hasToken() || !state.user) {
    if (location.hash !== '' && location.hash !== '#/') history.replaceState(null, '', '#/');
    showLogin();
    return;
  }
  const parts = parseHash();
  let found = null;
  for (const r of routesFor(state.user)) {
    const m = r.match(parts);
    if (m) { found = { r, params: m }; break; }
  }
  if (!parts.length) { go(homeFor(state.user), true); return; }
  if (!state.user.enrolled && (!found || found.r.key !== 'welcome')) { go('#/welcome', true); return; }
  if (state.user.enrolled && !found && routesFor(state.user)[0].key === 'twofactor') { go('#/two-factor', true); return; }
  if (!document.querySelector('header nav') && state.user.enrolled) shell();
  markNav();
  closeAllDialogs();
  const screen = found ? found.r.screen(found.params, ctx) : notFound();
  current = { screen };
  replace(mainEl, h('p', { class: 'loading', role: 'status' }, t('common.loading')));
  try {
    if (screen.load) await screen.load();
  } catch (e) {
    if (seq !== renderSeq || !hasToken()) return;
    current = { screen: errorScreen(e) };
  }
  if (seq !== renderSeq || !hasToken()) return;
  draw(true);
}

function notFound() {
  return { view: () => h('div', null, h('h1', { tabindex: '-1', id: 'page-heading' }, t('notfound.title')), h('p', null, t('notfound.body')), h('p', null, h('a', { href: homeFor(state.user) }, t('notfound.home')))) };
}

function errorScreen(e) {
  if (e && (e.status === 404 || e.status === 410)) return notFound();
  return { view: () => h('div', null, h('h1', { tabindex: '-1', id: 'page-heading' }, t('error.title')), notice('error', problemText(e)), h('p', null, h('a', { href: homeFor(state.user) }, t('notfound.home')))) };
}

/** Draw the current screen from memory (after load, an action, or a language switch). */
function draw(focus, kept) {
  if (!current || !mainEl) return;
  const f = takeFlashNode();
  const node = current.screen.view();
  replace(mainEl, f, node);
  if (kept) restoreInputs(kept);
  if (focus) {
    const hd = mainEl.querySelector('#page-heading') || mainEl;
    hd.focus({ preventScroll: false });
  }
}

function takeFlashNode() {
  const f = takeFlash();
  return f ? notice(f.kind, t(f.key, f.vars)) : null;
}

/* typed values survive a language switch (and only that: a redraw after
 * a form was sent must show it empty) */
function keepInputs() {
  const kept = [];
  if (!mainEl) return kept;
  // a file input's value cannot be set back (nor should a chosen file be kept)
  for (const el of mainEl.querySelectorAll('input[name], textarea[name], select[name]')) {
    if (el.type !== 'file') kept.push([el.name, el.value]);
  }
  return kept;
}
function restoreInputs(kept) {
  for (const [name, value] of kept) {
    const el = mainEl.querySelector(`[name="${CSS.escape(name)}"]`);
    if (el && el.type !== 'hidden') el.value = value;
  }
}

const ctx = {
  go,
  redraw() {
    draw(false);
    // the outcome of an action, where a screen reader and the eye go next
    const n = mainEl && mainEl.querySelector('.notice');
    if (n) { n.setAttribute('tabindex', '-1'); n.focus(); }
  },
  reload: () => route(),
  flash,
  done(hash, kind, key, vars) { flash(kind, key, vars); go(hash); },
  startSession,
  logout,
  /** The account burnt its own access (POST /me/panic): the token is dead. */
  accountGone() {
    clearToken();
    wipe('login.account_gone');
  },
};

function showLogin(msgKey) {
  shell();
  current = { screen: loginScreen(ctx, msgKey) };
  draw(false);
  const u = mainEl.querySelector('input[autocomplete="username"]');
  if (u) u.focus();
}

/** After a login: learn who we are, then route. */
async function startSession(session, idleSeconds) {
  state.user = { ...session.user, status: 'active', enrolled: true };
  state.idleSeconds = idleSeconds || state.idleSeconds;
  const me = await api('GET', '/me');
  state.user = me;
  startIdle(state.idleSeconds);
  shell();
  go(homeFor(me), true);
}

/**
 * Wipe everything: state, DOM, dialogs, history entry. msgKey: what the
 * login screen says (null for panic: a blank login screen).
 */
function wipe(msgKey) {
  stopIdle();
  clearToken();
  closeAllDialogs();
  resetState();
  current = null;
  renderSeq += 1;
  clear(document.body);
  history.replaceState(null, '', '#/');
  document.title = TITLE;
  showLogin(msgKey);
}

export function panic() {
  endSessionNow();
  wipe(null);
}

async function logout() {
  try {
    await api('DELETE', '/session');
    clearToken();
  } catch (e) {
    endSessionNow(); // one more try, not waited for; the idle timeout ends it otherwise
  }
  wipe('login.logged_out');
}

function idleLock() {
  endSessionNow();
  wipe('login.idle_locked');
}

let reauthPending = null;

/*
 * What the password is asked for, by the request that was refused: the
 * two-factor policy switch, or (every other reauth-required) an operation
 * with the organisation's key.
 */
function reauthBody(req) {
  return req && /^\/settings\/two-factor$/.test(req.path) ? 'reauth.body_policy' : 'reauth.body';
}

/**
 * 403 reauth-required: ask for the password once, however many requests
 * were refused at the same moment (a screen loads several in parallel);
 * every one of them waits for the same answer, then retries. req
 * ({method, path}) is the first refused request, which picks the wording.
 */
function reauth(req) {
  if (!reauthPending) {
    reauthPending = formDialog('reauth.title', h('p', null, t(reauthBody(req))), {
      fields: [{ name: 'password', label: 'reauth.password', type: 'password', autocomplete: 'current-password', required: true }],
      submit: 'reauth.submit',
      fieldFor: () => 'password',
      onSubmit: async (v) => { await confirmPassword(v.password); return true; },
    }).then((ok) => ok === true).finally(() => { reauthPending = null; });
  }
  return reauthPending;
}

async function boot() {
  try {
    await loadCatalogues();
  } catch (e) {
    document.body.textContent = 'corridor: the interface could not load. Reload the page.';
    return;
  }
  setLang(preferredLang());
  onLangChange(() => {
    const active = document.activeElement && document.activeElement.classList.contains('lang-btn') ? document.activeElement.getAttribute('lang') : null;
    const kept = keepInputs();
    shell();
    draw(false, kept);
    if (active) { const b = document.querySelector(`.lang-btn[lang="${active}"]`); if (b) b.focus(); }
  });
  setHooks({
    unauthorized: () => { if (hasToken()) { endSessionNow(); wipe('login.session_ended'); } },
    reauth,
  });
  installSafety({ panic, idle: idleLock });
  window.addEventListener('hashchange', route);
  window.addEventListener('afterprint', () => document.body.classList.remove('print-case'));
  // a reload forgets the token by design: start at the login screen
  history.replaceState(null, '', '#/');
  await route();
  document.documentElement.dataset.corridorApp = 'loaded';
}

boot();
