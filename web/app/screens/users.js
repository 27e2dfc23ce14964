// SPDX-License-Identifier: AGPL-3.0-or-later
// users: accounts with their role and state; creating one (admin) with a
// first password made here by crypto.getRandomValues and shown once;
// confirming a pending coordinator (a confirmed coordinator); revoking;
// recovery (a reset with a new first password shown once) and a panic on
// another account with a reason (issue 14).

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { api, headerValue } from '../api.js';
import { state } from '../state.js';
import { form, confirmDialog, formDialog, pageHeading, notice, button, problemText } from '../ui.js';
import { ROLES, options, reasonField } from './common.js';

const PW_ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const PW_LENGTH = 20; // 20 of 57 symbols: about 116 bits

/** A random first password, uniform over the alphabet (rejection sampling). */
export function generatePassword() {
  const out = [];
  const limit = 256 - (256 % PW_ALPHABET.length);
  const buf = new Uint8Array(64);
  while (out.length < PW_LENGTH) {
    crypto.getRandomValues(buf);
    for (const b of buf) {
      if (b < limit && out.length < PW_LENGTH) out.push(PW_ALPHABET[b % PW_ALPHABET.length]);
    }
  }
  buf.fill(0);
  return out.join('');
}

export function usersScreen(params, ctx) {
  const me = state.user;
  let users = [];
  let msg = null;

  async function load() {
    users = (await api('GET', '/users')).users;
    for (const u of users) state.users.set(u.id, u);
  }

  async function run(fn) {
    try { await fn(); } catch (e) { msg = { kind: 'error', text: problemText(e) }; }
    ctx.redraw();
    const n = document.querySelector('#main .notice');
    if (n) { n.setAttribute('tabindex', '-1'); n.focus(); }
  }

  function replaceUser(u) {
    users = users.map((x) => (x.id === u.id ? u : x));
    state.users.set(u.id, u);
  }

  function actions(u) {
    const out = [];
    if (me.role === 'coordinator' && me.status === 'active' && u.role === 'coordinator' && u.status === 'pending') {
      out.push(h('button', {
        type: 'button', class: 'btn btn-small',
        onclick: () => run(async () => {
          msg = null;
          const ok = await confirmDialog('users.confirm_title', h('p', null, t('users.confirm_body', { name: u.username })), 'users.confirm_button', { vars: { name: u.username } });
          if (!ok) return;
          replaceUser(await api('POST', `/users/${encodeURIComponent(u.id)}/confirm`));
          msg = { kind: 'success', text: t('users.confirmed', { name: u.username }) };
        }),
      }, t('users.confirm', { name: u.username })));
    }
    if (u.id !== me.id && u.status !== 'revoked') {
      out.push(h('button', {
        type: 'button', class: 'btn btn-danger btn-small',
        onclick: () => run(async () => {
          msg = null;
          const ok = await confirmDialog('users.revoke_title', h('div', null,
            h('p', null, t('users.revoke_body1', { name: u.username })),
            h('p', { class: 'strong' }, t('users.revoke_body2'))), 'users.revoke_button', { danger: true, vars: { name: u.username } });
          if (!ok) return;
          replaceUser(await api('POST', `/users/${encodeURIComponent(u.id)}/revoke`));
          msg = { kind: 'success', text: t('users.revoked', { name: u.username }) };
        }),
      }, t('users.revoke', { name: u.username })));
    }
    const mayAct = u.id !== me.id && u.status !== 'revoked' && (me.role === 'admin' ||
      (me.role === 'coordinator' && me.status === 'active' && u.role !== 'admin' && !(u.role === 'coordinator' && u.status === 'active')));
    if (mayAct) {
      out.push(h('button', {
        type: 'button', class: 'btn btn-secondary btn-small',
        onclick: () => run(async () => {
          msg = null;
          // a reason (audited) and, through api()'s reauth hook, the
          // caller's password again: a stolen token alone resets nothing
          const password = generatePassword();
          const v = await formDialog('users.reset_title', h('div', null,
            h('p', null, t('users.reset_body1', { name: u.username })),
            h('p', null, t('users.reset_body2'))), {
            fields: [reasonField('users.reset_reason', 'users.reset_reason_hint')],
            submit: 'users.reset_button',
            // the request runs after the dialog closed, so that the
            // password prompt (403 reauth-required) is the only dialog
            async onSubmit(values) { return values; },
          }, { name: u.username });
          if (!v || v === true) return;
          replaceUser(await api('POST', `/users/${encodeURIComponent(u.id)}/reset`,
            { body: { password }, headers: { 'X-Access-Reason': headerValue(v.reason.trim()) } }));
          msg = { kind: 'success', text: t('users.reset_done', { name: u.username }), password };
        }),
      }, t('users.reset', { name: u.username })));
      out.push(h('button', {
        type: 'button', class: 'btn btn-danger btn-small',
        onclick: () => run(async () => {
          msg = null;
          const done = await formDialog('users.panic_title', h('div', null,
            h('p', null, t('users.panic_body1', { name: u.username })),
            h('p', { class: 'strong' }, t('users.panic_body2'))), {
            fields: [reasonField('users.panic_reason', 'users.panic_reason_hint')],
            submit: 'users.panic_button', danger: true,
            async onSubmit(v) {
              return api('POST', `/users/${encodeURIComponent(u.id)}/panic`, { headers: { 'X-Access-Reason': headerValue(v.reason.trim()) } });
            },
          }, { name: u.username });
          if (!done) return;
          msg = { kind: 'success', text: t('users.panic_done', { name: u.username }) };
        }),
      }, t('users.panic', { name: u.username })));
    }
    return out;
  }

  return {
    load,
    view() {
      return h('div', null,
        pageHeading('users.title'),
        msg ? notice(msg.kind, msg.text, msg.password ? h('div', { class: 'secret-box' },
          h('p', { class: 'label' }, t('users.reset_password')),
          h('p', null, h('code', { class: 'secret', id: 'reset-password' }, msg.password)),
          h('p', null, t('newuser.once'))) : null) : null,
        me.role === 'admin' ? h('p', null, h('a', { href: '#/users/new', class: 'btn btn-secondary' }, t('users.new'))) : null,
        h('table', { class: 'table' },
          h('caption', { class: 'visually-hidden' }, t('users.title')),
          h('thead', null, h('tr', null, ['users.username', 'users.role', 'users.status', 'users.enrolled', 'users.actions'].map((k) => h('th', { scope: 'col' }, t(k))))),
          h('tbody', null, users.map((u) => h('tr', null,
            h('th', { scope: 'row' }, u.username, u.id === me.id ? h('span', { class: 'muted' }, ` (${t('case.you')})`) : null),
            h('td', null, t(`role.${u.role}`)),
            h('td', null, h('span', { class: `tag tag-user-${u.status}` }, t(`userstatus.${u.status}`))),
            h('td', null, t(u.enrolled ? 'users.enrolled_yes' : 'users.enrolled_no')),
            h('td', { class: 'row-actions' }, actions(u)))))));
    },
  };
}

export function newUserScreen(params, ctx) {
  let created = null; // {user, password}: shown once, dropped on leaving
  return {
    view() {
      if (created) {
        const pw = created.password;
        const status = h('p', { role: 'status', class: 'hint' });
        return h('div', { class: 'narrow' },
          pageHeading('newuser.created_title', { name: created.user.username }),
          notice('success', t('newuser.created', { name: created.user.username, role: t(`role.${created.user.role}`) })),
          h('p', null, t('newuser.once')),
          h('div', { class: 'secret-box' },
            h('p', { class: 'label' }, t('newuser.password')),
            h('p', null, h('code', { class: 'secret', id: 'first-password' }, pw))),
          h('div', { class: 'actions' },
            button('newuser.copy', async () => {
              try { await navigator.clipboard.writeText(pw); status.textContent = t('newuser.copied'); } catch (e) { status.textContent = t('newuser.copy_failed'); }
            }, 'btn btn-secondary'),
            button('newuser.done', () => { created = null; ctx.go('#/users'); })),
          status,
          h('p', null, t('newuser.next_steps')));
      }
      return h('div', { class: 'narrow' },
        pageHeading('newuser.title'),
        h('p', null, t('newuser.intro')),
        form({
          autocomplete: 'off',
          fields: [
            { name: 'username', label: 'users.username', hint: 'newuser.username_hint', required: true, autocomplete: 'off', validate: (v) => (/^[A-Za-z0-9._-]{3,64}$/.test(v.trim()) ? null : 'newuser.username_invalid') },
            { name: 'role', label: 'users.role', type: 'select', options: options('role', ROLES), value: 'caseworker' },
            { name: 'password', label: 'newuser.own_password', hint: 'newuser.own_password_hint', type: 'password', autocomplete: 'new-password', validate: (v) => (v && v.length < 12 ? 'password.too_short' : null) },
          ],
          submit: 'newuser.submit',
          fieldFor: (e) => (e.type === 'username-taken' ? 'username' : e.type === 'weak-password' ? 'password' : null),
          async onSubmit(v) {
            const password = v.password || generatePassword();
            const user = await api('POST', '/users', { body: { username: v.username.trim(), password, role: v.role } });
            created = { user, password };
            ctx.redraw();
            const hd = document.getElementById('page-heading');
            if (hd) hd.focus();
          },
        }));
    },
  };
}
