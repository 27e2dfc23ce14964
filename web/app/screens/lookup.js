// SPDX-License-Identifier: AGPL-3.0-or-later
// lookup: "Have we seen this person before?" (issue 15, docs/cases.md).
// A box on the new-case screen and on the case file that asks the server
// whether a phone number or a name already belongs to a case, and the
// warning shown when a new case's phone number does. The answer names
// only codenames and whom to ask; the term goes in the request body
// (api.js), is never kept by this module once the answer is drawn, and
// never reaches a URL or storage.

import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { form, fieldError, notice, problemText } from '../ui.js';
import { byteLength } from './common.js';

// server/limits.h MAX_LOOKUP_PHONE_BYTES, MAX_LOOKUP_NAME_BYTES
const MAX_PHONE_BYTES = 64;
const MAX_NAME_BYTES = 256;

/** The list of matching cases: codename, and whom to ask. */
function matchList(matches, selfCodename) {
  return h('ul', { class: 'plain lookup-matches' }, matches.map((m) => h('li', null,
    h('span', { class: 'codename' }, m.codename),
    ' — ',
    m.codename === selfCodename ? t('lookup.this_case')
      : m.ask ? t('lookup.ask_user', { name: m.ask }) : t('lookup.ask_coordinator'))));
}

/**
 * The warnings of a POST /cases answer, as one notice (null if none).
 */
export function createWarnings(warnings) {
  if (!Array.isArray(warnings) || !warnings.length) return null;
  return warnings.map((w) => {
    if (w.type === 'phone-match') {
      return notice('warn',
        h('p', { class: 'strong' }, t('lookup.create_match')),
        matchList(w.matches || [], null),
        w.more ? h('p', null, t('lookup.more')) : null,
        h('p', null, t('lookup.create_match_next')));
    }
    if (w.type === 'phone-not-checked') return notice('warn', t('lookup.create_not_checked'));
    return null;
  });
}

/**
 * A coordinator's "Index older cases": POST /cases/reindex until nothing
 * remains (200 cases a call, through the org key; api.js asks for the
 * password when the confirmation has lapsed).
 */
function reindexPart() {
  const out = h('div', { 'aria-live': 'polite' });
  const run = async (ev) => {
    const btn = ev.currentTarget;
    btn.disabled = true;
    let total = 0;
    try {
      for (;;) {
        const r = await api('POST', '/cases/reindex');
        total += r.indexed;
        if (r.remaining <= 0 || r.indexed === 0) break;
      }
      replace(out, notice('success', t('lookup.reindexed', { n: String(total) })));
    } catch (e) {
      replace(out, notice('error', problemText(e)));
    } finally {
      btn.disabled = false;
    }
  };
  return h('div', { class: 'lookup-reindex' },
    h('p', { class: 'hint' }, t('lookup.reindex_hint')),
    h('button', { type: 'button', class: 'btn btn-secondary', onclick: run }, t('lookup.reindex')),
    out);
}

/**
 * The lookup box. opts: {selfCodename (the case open now, or null),
 * coordinator (offer the re-index)}.
 * Returns {view()}. The answer is drawn into the box itself, not by a
 * redraw of the screen, so a half-filled new-case form keeps its values.
 */
export function lookupBox(opts) {
  function view() {
    const resultEl = h('div', { class: 'lookup-result', 'aria-live': 'polite' });
    const show = (kind, node) => {
      replace(resultEl, notice(kind, node));
      const n = resultEl.querySelector('.notice');
      if (n) { n.setAttribute('tabindex', '-1'); n.focus(); }
    };
    const f = form({
      autocomplete: 'off',
      intro: h('p', { class: 'hint' }, t('lookup.intro')),
      fields: [
        {
          name: 'lookup_phone', label: 'lookup.phone', hint: 'lookup.phone_hint', type: 'tel', content: true,
          maxBytes: MAX_PHONE_BYTES, autocomplete: 'off',
        },
        {
          name: 'lookup_name', label: 'lookup.name', hint: 'lookup.name_hint', content: true,
          maxBytes: MAX_NAME_BYTES, autocomplete: 'off',
        },
      ],
      submit: 'lookup.submit',
      async onSubmit(v) {
        const phone = v.lookup_phone.trim();
        const name = v.lookup_name.trim();
        if (!phone && !name) throw fieldError({ lookup_phone: 'lookup.one_of' });
        if (phone && name) throw fieldError({ lookup_name: 'lookup.only_one' });
        if (byteLength(phone) > MAX_PHONE_BYTES || byteLength(name) > MAX_NAME_BYTES) throw fieldError({ [phone ? 'lookup_phone' : 'lookup_name']: 'form.too_long' });
        try {
          const r = await api('POST', '/cases/lookup', { body: phone ? { phone } : { name } });
          if (r.match) {
            show('warn', [h('p', { class: 'strong' }, t(phone ? 'lookup.match_phone' : 'lookup.match_name')),
              matchList(r.matches, opts.selfCodename), r.more ? h('p', null, t('lookup.more')) : null]);
          } else show('success', t(phone ? 'lookup.none_phone' : 'lookup.none_name'));
        } catch (e) {
          if (e && e.type === 'invalid-term') throw fieldError({ [phone ? 'lookup_phone' : 'lookup_name']: phone ? 'lookup.bad_phone' : 'lookup.bad_name' });
          show('error', problemText(e));
        }
        // the term is not kept: the fields are emptied once answered
        f.fields.lookup_phone.input.value = '';
        f.fields.lookup_name.input.value = '';
      },
    });
    f.classList.add('lookup-form');
    return h('section', { 'aria-labelledby': 'sec-lookup', id: 'lookup', class: 'no-print' },
      h('h2', { id: 'sec-lookup' }, t('lookup.title')),
      resultEl,
      f,
      opts.coordinator ? reindexPart() : null);
  }

  return { view };
}
