// SPDX-License-Identifier: AGPL-3.0-or-later
// account: the first-login password change (enrolment), changing one's
// password, and the waiting screen of a coordinator not yet confirmed.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { api, ApiError } from '../api.js';
import { state } from '../state.js';
import { form, fieldError, pageHeading } from '../ui.js';

const MIN_PASSWORD = 12;

function passwordFields(oldLabel) {
  return [
    { name: 'old_password', label: oldLabel, type: 'password', autocomplete: 'current-password', required: true },
    {
      name: 'new_password', label: 'password.new', hint: 'password.new_hint', type: 'password', autocomplete: 'new-password', required: true,
      validate: (v) => (v.length < MIN_PASSWORD ? 'password.too_short' : null),
    },
    {
      name: 'new_password2', label: 'password.again', type: 'password', autocomplete: 'new-password', required: true,
      validate: (v, all) => (v !== all.new_password ? 'password.mismatch' : null),
    },
  ];
}

function fieldFor(e) {
  if (e.type === 'wrong-password') return 'old_password';
  if (e.type === 'same-password' || e.status === 422) return 'new_password';
  return null;
}

async function change(v) {
  await api('PUT', '/me/password', { body: { old_password: v.old_password, new_password: v.new_password } });
}

export function welcomeScreen(params, ctx) {
  return {
    view() {
      return h('div', { class: 'narrow' },
        pageHeading('welcome.title', { name: state.user.username }),
        h('p', null, t('welcome.why1')),
        h('p', null, t('welcome.why2')),
        form({
          fields: passwordFields('welcome.given'),
          submit: 'welcome.submit',
          fieldFor,
          async onSubmit(v) {
            if (v.old_password === v.new_password) throw fieldError({ new_password: 'problem.same-password' });
            await change(v);
            const me = await api('GET', '/me');
            state.user = me;
            ctx.flash('success', 'welcome.done');
            await ctx.startSession({ user: me }, state.idleSeconds);
          },
        }));
    },
  };
}

export function passwordScreen(params, ctx) {
  return {
    view() {
      return h('div', { class: 'narrow' },
        pageHeading('password.title'),
        h('p', null, t('password.intro')),
        state.user.duress_set ? h('p', { class: 'strong', id: 'duress-warning' }, t('password.duress_note')) : null,
        form({
          fields: passwordFields('password.current'),
          submit: 'password.submit',
          fieldFor,
          async onSubmit(v) {
            await change(v);
            // the server drops the duress password with the old one: say so
            const hadDuress = state.user.duress_set === true;
            state.user = { ...state.user, duress_set: false };
            ctx.flash('success', hadDuress ? 'password.done_duress' : 'password.done');
            ctx.go('#/', true);
          },
        }));
    },
  };
}

export function pendingScreen() {
  return {
    view() {
      return h('div', { class: 'narrow' },
        pageHeading('pending.title'),
        h('p', null, t('pending.body')));
    },
  };
}

export { ApiError };
