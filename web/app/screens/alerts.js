// SPDX-License-Identifier: AGPL-3.0-or-later
// alerts: what coordinators and admins see after a duress login or a
// panic (issue 14), and, for coordinators, the cases waiting to be
// re-sealed to an account that enrolled again after a reset, with the
// button that re-seals them through the org key once the person has read
// their key fingerprint aloud and the coordinator typed it in.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { api, headerValue } from '../api.js';
import { reasonField } from './common.js';
import { state } from '../state.js';
import { pageHeading, notice, timeEl, problemText, formDialog } from '../ui.js';

export function alertsScreen(params, ctx) {
  let alerts = [];
  let waiting = [];
  let msg = null;

  async function load() {
    const r = await api('GET', '/alerts');
    alerts = r.alerts;
    waiting = r.waiting;
    if (state.user.alerts !== undefined) state.user = { ...state.user, alerts: alerts.filter((a) => a.user_id !== state.user.id).length };
  }

  function byUser() {
    const m = new Map();
    for (const w of waiting) {
      if (!m.has(w.user_id)) m.set(w.user_id, []);
      m.get(w.user_id).push(w);
    }
    return m;
  }

  function name(id) {
    const u = state.users.get(id);
    return u ? u.username : id;
  }

  function reseal(uid) {
    return (async () => {
      msg = null;
      try {
        const v = await formDialog('alerts.reseal_title', h('div', null,
          h('p', null, t('alerts.reseal_body1', { name: name(uid) })),
          h('p', { class: 'strong' }, t('alerts.reseal_body2'))), {
          fields: [
            { name: 'fingerprint', label: 'alerts.reseal_fingerprint', hint: 'alerts.reseal_fingerprint_hint', required: true,
              autocomplete: 'off', validate: (v) => (/^\s*(\d{5}\s*){6}$/.test(v) ? null : 'alerts.reseal_fingerprint_bad') },
            reasonField('alerts.reseal_reason'),
          ],
          submit: 'alerts.reseal_button',
          // the request runs after the dialog closed, so that the
          // password prompt (403 reauth-required) is the only dialog
          async onSubmit(values) { return values; },
        }, { name: name(uid) });
        if (!v || v === true) return;
        // six groups of five digits, however they were typed
        const fp = v.fingerprint.replace(/\D/g, '').match(/.{5}/g).join(' ');
        const r = await api('POST', `/users/${encodeURIComponent(uid)}/reseal`,
          { body: { pk_fingerprint: fp }, headers: { 'X-Access-Reason': headerValue(v.reason.trim()) } });
        msg = { kind: 'success', text: t('alerts.resealed', { n: r.resealed, name: name(uid) }) };
        await load();
      } catch (e) { msg = { kind: 'error', text: problemText(e) }; }
      ctx.redraw();
    })();
  }

  return {
    async load() {
      await load();
      if (state.users.size === 0) {
        try { for (const u of (await api('GET', '/users')).users) state.users.set(u.id, u); } catch (e) { /* names only */ }
      }
    },
    view() {
      const groups = byUser();
      return h('div', null,
        pageHeading('alerts.title'),
        msg ? notice(msg.kind, msg.text) : null,
        h('p', null, t('alerts.intro')),
        alerts.length ? h('table', { class: 'table', id: 'alerts' },
          h('caption', { class: 'visually-hidden' }, t('alerts.title')),
          h('thead', null, h('tr', null, ['users.username', 'alerts.kind', 'alerts.when'].map((k) => h('th', { scope: 'col' }, t(k))))),
          h('tbody', null, alerts.map((a) => h('tr', null,
            h('th', { scope: 'row' }, a.username),
            h('td', null, h('span', { class: `tag tag-alert-${a.kind}` }, t(`alerts.kind_${a.kind}`))),
            h('td', null, timeEl(a.created_at))))))
          : notice('info', t('alerts.none')),
        h('p', { class: 'hint' }, t('alerts.next_steps')),
        state.user.role === 'coordinator' ? h('section', { 'aria-labelledby': 'reseal-h' },
          h('h2', { id: 'reseal-h' }, t('alerts.waiting')),
          h('p', null, t('alerts.waiting_intro')),
          groups.size ? h('ul', { id: 'waiting', class: 'plain' }, [...groups].map(([uid, list]) => h('li', null,
            h('strong', null, name(uid)), ': ', list.map((w) => w.codename).join(', '), ' ',
            h('button', { type: 'button', class: 'btn btn-small', onclick: () => reseal(uid) }, t('alerts.reseal', { name: name(uid) })))))
            : h('p', { class: 'muted' }, t('common.none'))) : null);
    },
  };
}
