// SPDX-License-Identifier: AGPL-3.0-or-later
// transfer: a coordinator hands a case to a partner organisation and
// takes in a partner's case (docs/cases.md, "Handing a case to a
// partner"). Sending builds the bundle on the server (sealed to the
// partner, signed by this instance) and offers it as a download; the
// next step, shredding here, waits for the partner's confirmation.
// Importing sends a bundle file and shows what the sender stated about
// it. Every partner-supplied text (names, reasons, codenames) is shown
// as text only.

import { h } from '../dom.js';
import { t, formatNumber, formatDateTime } from '../i18n.js';
import { api, listAll } from '../api.js';
import { state } from '../state.js';
import { form, pageHeading, notice, summaryList, link, fieldError } from '../ui.js';

const BUNDLE_TYPE = 'application/vnd.corridor.bundle';
const MAX_REASON_BYTES = 512;
const MAX_PARTNER_BYTES = 255;
const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

/** SHA-256 of a blob in hex, as both audit logs hold it; null where the
 * page has no Web Crypto (plain HTTP other than localhost). */
async function sha256Hex(blob) {
  if (!globalThis.crypto || !crypto.subtle) return null;
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The hash in groups of eight, easier to read out over the phone. */
function grouped(hex) {
  return hex.match(/.{1,8}/g).join(' ');
}

export function transferScreen(params, ctx) {
  const id = params.id;
  let codename = null;
  let result = null;   // {url, name, size, hash}
  return {
    async load() {
      const known = state.summaries.get(id);
      if (known) { codename = known.codename; return; }
      const all = await listAll('/cases', 'cases', 5000);
      for (const c of all) state.summaries.set(c.id, c);
      const c = state.summaries.get(id);
      if (!c) { const e = new Error('not found'); e.status = 404; throw e; }
      codename = c.codename;
    },
    view() {
      return h('div', { class: 'narrow' },
        pageHeading('transfer.title', { codename }, t('transfer.caption')),
        result ? h('div', null,
          notice('success',
            h('p', null, t('transfer.done', { codename, size: formatNumber(result.size) })),
            h('p', null, h('a', { href: result.url, download: result.name, class: 'btn' }, t('transfer.download', { name: result.name })))),
          result.hash ? summaryList([['transfer.hash', h('code', { class: 'hash' }, grouped(result.hash))]]) : null,
          h('h2', null, t('transfer.next_title')),
          h('ol', null,
            h('li', null, t('transfer.next_send')),
            h('li', null, t('transfer.next_confirm')),
            h('li', null, t('transfer.next_shred'))),
          h('p', null, link(`#/cases/${id}`, t('transfer.back_case', { codename }))))
          : h('div', null,
            h('p', null, t('transfer.intro')),
            h('p', { class: 'hint' }, t('transfer.what')),
            form({
              autocomplete: 'off',
              fields: [
                { name: 'partner', label: 'transfer.partner', hint: 'transfer.partner_hint', required: true, maxBytes: MAX_PARTNER_BYTES, autocomplete: 'off' },
                // one line: the server refuses control characters here
                { name: 'reason', label: 'transfer.reason', hint: 'transfer.reason_hint', required: true, content: true, maxBytes: MAX_REASON_BYTES },
              ],
              submit: 'transfer.submit',
              fieldFor: (e) => (e.type === 'unknown-partner' ? 'partner' : null),
              async onSubmit(v) {
                const blob = await api('POST', `/cases/${encodeURIComponent(id)}/transfer`, {
                  body: { partner: v.partner.trim(), reason: v.reason.trim() }, as: 'blob',
                });
                const hash = await sha256Hex(blob).catch(() => null);
                result = { url: URL.createObjectURL(blob), name: `${codename}.corridor-bundle`, size: blob.size, hash };
                ctx.redraw();
              },
            }),
            h('p', null, link(`#/cases/${id}`, t('transfer.back_case', { codename })))));
    },
  };
}

export function importScreen(params, ctx) {
  let done = null;
  let f = null;
  return {
    view() {
      if (done) {
        const p = done.provenance;
        return h('div', { class: 'narrow' },
          pageHeading('import.title', null, t('import.caption')),
          notice('success', h('p', null, t('import.done', { codename: done.codename }))),
          h('h2', null, t('import.provenance')),
          summaryList([
            ['import.partner', h('span', { class: 'content' }, p.partner)],
            ['import.origin', h('code', null, p.origin)],
            ['import.their_codename', h('span', { class: 'content' }, p.codename)],
            ['import.sent_at', formatDateTime(new Date(p.sent_at * 1000).toISOString())],
            ['import.reason', h('span', { class: 'content' }, p.reason)],
            ['import.audit', t('import.audit_value', { size: formatNumber(p.audit_size), root: p.audit_root })],
            ['import.hash', h('code', { class: 'hash' }, grouped(done.bundle_hash))],
          ]),
          h('p', { class: 'hint' }, t('import.confirm_hint')),
          h('p', null, link(`#/cases/${done.case_id}`, t('import.open', { codename: done.codename }), 'btn')),
          h('p', null, h('a', { href: '#/import', onclick: (ev) => { ev.preventDefault(); done = null; ctx.redraw(); } }, t('import.another'))));
      }
      f = form({
        fields: [{ name: 'bundle', label: 'import.file', hint: 'import.file_hint', type: 'file', required: true, requiredKey: 'import.file_required' }],
        submit: 'import.submit',
        fieldFor: () => 'bundle',
        async onSubmit() {
          const file = f.fields.bundle.input.files[0];
          if (!file) throw fieldError({ bundle: 'import.file_required' });
          if (file.size > MAX_BUNDLE_BYTES) throw fieldError({ bundle: 'problem.bundle-too-large' });
          done = await api('POST', '/transfers/import', { raw: file, contentType: BUNDLE_TYPE });
          state.summaries.delete(done.case_id);
          ctx.redraw();
        },
      });
      const input = f.fields.bundle.input;
      input.setAttribute('accept', `.corridor-bundle,${BUNDLE_TYPE}`);
      return h('div', { class: 'narrow' },
        pageHeading('import.title', null, t('import.caption')),
        h('p', null, t('import.intro')),
        f);
    },
  };
}
