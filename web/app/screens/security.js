// SPDX-License-Identifier: AGPL-3.0-or-later
// security: one's own account under coercion (issue 14). The sessions
// open on this account (with "end session"), the recent logins and
// failures, the duress password, the cases waiting to be re-sealed after
// a recovery with the key fingerprint the person reads aloud to the
// coordinator who re-seals them, and the panic button that burns this
// account's access.
// Every label a login sent is shown as text (h() never parses markup).

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { state } from '../state.js';
import { form, fieldError, pageHeading, notice, confirmDialog, timeEl, problemText } from '../ui.js';

const MIN_PASSWORD = 12;

export function securityScreen(params, ctx) {
  let sessions = [];
  let logins = [];
  let waiting = [];
  let msg = null;

  async function load() {
    const [s, l, w, me] = await Promise.all([api('GET', '/me/sessions'), api('GET', '/me/logins'),
      api('GET', '/me/waiting'), api('GET', '/me')]);
    sessions = s.sessions;
    logins = l.logins;
    waiting = w.cases;
    state.user = me;
  }

  async function run(fn) {
    try { await fn(); } catch (e) { msg = { kind: 'error', text: problemText(e) }; }
    ctx.redraw();
  }

  function endSession(s) {
    return run(async () => {
      msg = null;
      const ok = await confirmDialog('security.end_title', h('p', null, t('security.end_body')), 'security.end_button');
      if (!ok) return;
      await api('DELETE', `/me/sessions/${encodeURIComponent(s.id)}`);
      if (s.current) { ctx.logout(); return; }
      sessions = sessions.filter((x) => x.id !== s.id);
      msg = { kind: 'success', text: t('security.ended') };
    });
  }

  function burn() {
    return run(async () => {
      msg = null;
      const ok = await confirmDialog('security.panic_title', h('div', null,
        h('p', null, t('security.panic_body1')),
        h('ul', null, ['security.panic_effect1', 'security.panic_effect2', 'security.panic_effect3'].map((k) => h('li', null, t(k)))),
        h('p', { class: 'strong' }, t('security.panic_body2'))), 'security.panic_button', { danger: true });
      if (!ok) return;
      await api('POST', '/me/panic');
      ctx.accountGone();
    });
  }

  function sessionsTable() {
    return h('table', { class: 'table', id: 'sessions' },
      h('caption', { class: 'visually-hidden' }, t('security.sessions')),
      h('thead', null, h('tr', null, ['security.client', 'security.created', 'security.last_seen', 'users.actions'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', null, sessions.map((s) => h('tr', null,
        h('th', { scope: 'row' }, s.client ? h('span', { class: 'client-label' }, s.client) : h('span', { class: 'muted' }, t('security.no_label')),
          s.current ? h('span', { class: 'muted' }, ` (${t('security.this_session')})`) : null),
        h('td', null, timeEl(s.created_at)),
        h('td', null, timeEl(s.last_seen_at)),
        h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => endSession(s) },
          t(s.current ? 'security.end_this' : 'security.end')))))));
  }

  function duressForm() {
    return form({
      fields: [
        { name: 'password', label: 'password.current', type: 'password', autocomplete: 'current-password', required: true },
        { name: 'duress_password', label: 'security.duress_new', hint: 'security.duress_hint', type: 'password', autocomplete: 'new-password', required: true,
          validate: (v) => (v.length < MIN_PASSWORD ? 'password.too_short' : null) },
        { name: 'duress_password2', label: 'password.again', type: 'password', autocomplete: 'new-password', required: true,
          validate: (v, all) => (v !== all.duress_password ? 'password.mismatch' : null) },
      ],
      submit: 'security.duress_submit',
      fieldFor: (e) => (e.type === 'wrong-password' ? 'password' : e.status === 422 ? 'duress_password' : null),
      async onSubmit(v) {
        if (v.password === v.duress_password) throw fieldError({ duress_password: 'problem.duress-same-password' });
        await api('PUT', '/me/duress', { body: { password: v.password, duress_password: v.duress_password } });
        state.user = { ...state.user, duress_set: true };
        msg = { kind: 'success', text: t('security.duress_done') };
        ctx.redraw();
      },
    });
  }

  /* Removing it needs the current password too (a stolen session alone
   * must not quietly remove it). */
  function duressClearForm() {
    return form({
      fields: [{ name: 'password', label: 'password.current', type: 'password', autocomplete: 'current-password', required: true }],
      submit: 'security.duress_clear',
      fieldFor: () => 'password',
      async onSubmit(v) {
        msg = null;
        await api('DELETE', '/me/duress', { body: { password: v.password } });
        state.user = { ...state.user, duress_set: false };
        msg = { kind: 'success', text: t('security.duress_cleared') };
        ctx.redraw();
      },
    });
  }

  return {
    load,
    view() {
      return h('div', { class: 'narrow-wide' },
        pageHeading('security.title'),
        msg ? notice(msg.kind, msg.text) : null,
        waiting.length ? h('section', { 'aria-labelledby': 'waiting-h' },
          h('h2', { id: 'waiting-h' }, t('security.waiting')),
          notice('info', t('security.waiting_body')),
          h('ul', { id: 'waiting' }, waiting.map((c) => h('li', null, c.codename)))) : null,
        h('section', { 'aria-labelledby': 'fingerprint-h' },
          h('h2', { id: 'fingerprint-h' }, t('security.fingerprint')),
          h('p', null, t('security.fingerprint_intro')),
          h('p', null, h('code', { class: 'fingerprint', id: 'pk-fingerprint' }, state.user.pk_fingerprint || ''))),
        h('section', { 'aria-labelledby': 'sessions-h' },
          h('h2', { id: 'sessions-h' }, t('security.sessions')),
          h('p', null, t('security.sessions_intro')),
          sessionsTable()),
        h('section', { 'aria-labelledby': 'logins-h' },
          h('h2', { id: 'logins-h' }, t('security.logins')),
          h('p', null, t('security.logins_intro')),
          logins.length ? h('ul', { id: 'logins', class: 'plain' }, logins.map((l) => h('li', null,
            timeEl(l.at), ' ', h('span', { class: `tag tag-login-${l.result}` }, t(`security.login_${l.result}`)))))
            : h('p', { class: 'muted' }, t('common.none'))),
        h('section', { 'aria-labelledby': 'duress-h' },
          h('h2', { id: 'duress-h' }, t('security.duress')),
          h('p', null, t('security.duress_intro1')),
          h('p', null, t('security.duress_intro2')),
          state.user.role === 'coordinator' || state.user.role === 'admin'
            ? notice('warn', t('security.duress_decoy_role')) : null,
          state.user.duress_set ? h('div', null,
            notice('info', t('security.duress_is_set')),
            duressClearForm()) : duressForm()),
        h('section', { 'aria-labelledby': 'panic-h' },
          h('h2', { id: 'panic-h' }, t('security.panic')),
          h('p', null, t('security.panic_intro')),
          h('button', { type: 'button', class: 'btn btn-danger', id: 'burn', onclick: burn }, t('security.panic_open'))));
    },
  };
}
