// SPDX-License-Identifier: AGPL-3.0-or-later
// twofactor: two-factor login on the account side. Set it up (the QR code
// for an authenticator app, the secret as text for typing in, then prove
// one code), the ten recovery codes shown once with a plain "store these
// now", new recovery codes once it is on (the old ones then void), and,
// for a coordinator, the switch that requires it of everyone.
// When the policy requires it and the user has none, this is the only
// screen they get (routes.js): the server refuses everything else
// (403 two-factor-required) until a code is proven.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { state } from '../state.js';
import { button, form, notice, pageHeading, problemText } from '../ui.js';

/** 1 when the policy requires two-factor login and this user has none. */
export function needsTwoFactor(user) {
  const tf = user && user.two_factor;
  return Boolean(tf && tf.required && !tf.enabled);
}

/* "ABCDEFGH..." as "ABCD EFGH ...": easier to type from a screen */
function grouped(secret) {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

export function twoFactorScreen(params, ctx) {
  let pending = null;   // {secret, qr}: an enrolment begun, not proven
  let codes = null;     // the recovery codes, shown once
  let policyError = null;
  let renewed = false;  // the codes shown are a renewal, not an enrolment

  async function refreshMe() {
    state.user = await api('GET', '/me');
  }

  function recoveryView() {
    return h('section', { 'aria-labelledby': 'rc-title' },
      h('h2', { id: 'rc-title' }, t('twofactor.codes_title')),
      notice('warn', h('strong', null, t('twofactor.store_now'))),
      h('p', null, t('twofactor.codes_how')),
      h('ol', { class: 'recovery-codes' }, codes.map((c) => h('li', null, h('code', null, c)))),
      h('div', { class: 'actions' }, button('twofactor.stored', async () => {
        codes = null;   // gone from the page: shown once
        await refreshMe();
        if (renewed) {
          renewed = false;
          ctx.flash('success', 'twofactor.renewed');
          ctx.redraw();
          return;
        }
        ctx.flash('success', 'twofactor.done');
        ctx.startSession({ user: state.user }, state.idleSeconds);
      })));
  }

  /* Ten new recovery codes: the password and a code from the app (not a
   * recovery code: the server refuses one, so a sheet found on paper
   * cannot make more). The old ones stop working. */
  function renewView() {
    return h('section', { 'aria-labelledby': 'renew-title' },
      h('h2', { id: 'renew-title' }, t('twofactor.renew_title')),
      h('p', null, t('twofactor.renew_intro')),
      form({
        fields: [{ name: 'code', label: 'twofactor.code', autocomplete: 'one-time-code', inputmode: 'numeric', required: true,
          validate: (v) => (/^[0-9]{6}$/.test(v.trim()) ? null : 'twofactor.code_format') },
        { name: 'password', label: 'password.current', type: 'password', autocomplete: 'current-password', required: true }],
        submit: 'twofactor.renew',
        fieldFor: (e) => (/wrong-password$/.test(e.type || '') ? 'password' : 'code'),
        async onSubmit(v) {
          const r = await api('POST', '/me/totp/recovery-codes', { body: { code: v.code.trim(), password: v.password } });
          codes = r.recovery_codes;
          renewed = true;
          ctx.redraw();
        },
      }));
  }

  function enrolView() {
    return h('section', { 'aria-labelledby': 'enrol-title' },
      h('h2', { id: 'enrol-title' }, t('twofactor.enrol_title')),
      h('p', null, t('twofactor.scan')),
      h('img', { class: 'qr', src: pending.qr, alt: t('twofactor.qr_alt'), width: '240', height: '240' }),
      h('p', null, t('twofactor.or_type')),
      h('p', null, h('code', { class: 'secret', 'data-secret': pending.secret }, grouped(pending.secret))),
      h('p', { class: 'hint' }, t('twofactor.app_name')),
      form({
        fields: [{ name: 'code', label: 'twofactor.code', hint: 'twofactor.code_hint', autocomplete: 'one-time-code', inputmode: 'numeric', required: true,
          validate: (v) => (/^[0-9]{6}$/.test(v.trim()) ? null : 'twofactor.code_format') },
        // the password too: a stolen session alone cannot enrol another phone
        { name: 'password', label: 'password.current', type: 'password', autocomplete: 'current-password', required: true }],
        submit: 'twofactor.confirm',
        fieldFor: (e) => (/wrong-password$/.test(e.type || '') ? 'password' : 'code'),
        async onSubmit(v) {
          const r = await api('POST', '/me/totp/confirm', { body: { code: v.code.trim(), password: v.password } });
          pending = null;
          codes = r.recovery_codes;
          ctx.redraw();
        },
      }));
  }

  function policyView() {
    const on = state.user.two_factor.required;
    return h('section', { 'aria-labelledby': 'policy-title' },
      h('h2', { id: 'policy-title' }, t('twofactor.policy_title')),
      h('p', null, t(on ? 'twofactor.policy_on' : 'twofactor.policy_off')),
      policyError ? notice('error', policyError) : null,
      h('div', { class: 'actions' }, button(on ? 'twofactor.policy_disable' : 'twofactor.policy_enable', async () => {
        policyError = null;
        try {
          await api('PUT', '/settings/two-factor', { body: { required: !on } });
          await refreshMe();
        } catch (e) {
          policyError = e.type === 'two-factor-not-enrolled' ? t('twofactor.policy_need_own') : problemText(e);
        }
        ctx.redraw();
      }, on ? 'btn btn-secondary' : 'btn')));
  }

  return {
    async load() {
      await refreshMe();
    },
    view() {
      const tf = state.user.two_factor;
      const parts = [pageHeading('twofactor.title')];
      if (needsTwoFactor(state.user) && !codes) parts.push(notice('info', t('twofactor.forced')));
      if (codes) {
        parts.push(recoveryView());
      } else if (tf.enabled) {
        parts.push(h('p', null, t('twofactor.on', { left: tf.recovery_codes_left })), renewView());
      } else if (pending) {
        parts.push(enrolView());
      } else {
        parts.push(h('p', null, t('twofactor.intro')),
          h('div', { class: 'actions' }, button('twofactor.start', async () => {
            pending = await api('POST', '/me/totp');
            ctx.redraw();
          })));
      }
      if (state.user.role === 'coordinator' && state.user.status === 'active' && !codes && !pending) parts.push(policyView());
      return h('div', { class: 'narrow' }, parts);
    },
  };
}
