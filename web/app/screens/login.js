// SPDX-License-Identifier: AGPL-3.0-or-later
// login: the only screen without a session. Plain words for throttling
// (with the seconds to wait), a busy server, and wrong credentials
// (never saying which was wrong: the password, or the second factor's
// code, which the same form takes).

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { login, setToken, ApiError } from '../api.js';
import { form, notice } from '../ui.js';

export function loginScreen(ctx, msgKey) {
  return {
    view() {
      return h('div', { class: 'narrow' },
        h('h1', { tabindex: '-1', id: 'page-heading' }, t('login.title')),
        msgKey ? notice('info', t(msgKey)) : null,
        form({
          fields: [
            { name: 'username', label: 'login.username', autocomplete: 'username', required: true },
            { name: 'password', label: 'login.password', type: 'password', autocomplete: 'current-password', required: true },
            // a TOTP code or a recovery code; empty for an account without
            // two-factor login
            { name: 'code', label: 'login.code', hint: 'login.code_hint', autocomplete: 'one-time-code' },
            { name: 'client', label: 'login.client', hint: 'login.client_hint', autocomplete: 'off',
              validate: (v) => (new TextEncoder().encode(v.trim()).length > 48 ? 'login.client_too_long' : null) },
          ],
          submit: 'login.submit',
          fieldFor: (e) => (e.status === 401 ? 'password' : (e.status === 422 ? 'code' : null)),
          async onSubmit(v) {
            let r;
            try {
              r = await login(v.username.trim(), v.password, (v.code || '').trim(), v.client.trim() || null);
            } catch (e) {
              if (e instanceof ApiError && e.status === 401) throw new ApiError(401, 'login-failed', null);
              throw e;
            }
            setToken(r.session.token);
            await ctx.startSession(r.session, r.idleSeconds);
          },
        }),
        h('p', { class: 'hint' }, t('login.reload_note')));
    },
  };
}
