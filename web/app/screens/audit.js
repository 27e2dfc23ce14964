// SPDX-License-Identifier: AGPL-3.0-or-later
// audit: the auditor's log with filters (case, actor, action and time,
// all applied by the server), break-glass entries set apart with
// their reasons, the latest signed checkpoint with the witnesses that
// cosigned it and their lag, the export download and the exact
// `corridor audit verify` command.

import { h } from '../dom.js';
import { t, formatNumber } from '../i18n.js';
import { api } from '../api.js';
import { pageHeading, notice, timeEl, summaryList, button, problemText } from '../ui.js';

const PAGE = 100;
const ACTIONS = ['session.create', 'session.fail', 'session.end', 'user.create', 'user.confirm', 'user.revoke',
  'user.password', 'user.list', 'case.create', 'case.list', 'case.read', 'case.update', 'case.assign', 'case.unassign',
  'case.shred', 'contact.create', 'contact.list', 'evacuation.create', 'evacuation.list', 'evacuation.read',
  'evacuation.update', 'evacuation.add_case', 'audit.read', 'audit.export', 'audit.reason_erase', 'audit.key_rotate',
  'session.confirm', 'case.attachment.create', 'case.attachment.list', 'case.attachment.read',
  'case.attachment.delete', 'case.lookup', 'case.reindex'];
const ID = /^[A-Za-z0-9_-]{22}$/;
// a witness's state (GET /audit/witnesses) and how it is shown
const W_STATE = {
  ok: ['audit.w_state_ok', 'tag tag-ok'],
  pending: ['audit.w_state_pending', 'tag'],
  unreachable: ['audit.w_state_unreachable', 'tag tag-warn'],
  refused: ['audit.w_state_refused', 'tag tag-warn'],
  error: ['audit.w_state_error', 'tag tag-warn'],
};

/**
 * Parse a C2SP signed checkpoint: origin, size and root lines, a blank
 * line, then "— <name> <base64(key id || signature)>" lines.
 */
export function parseCheckpoint(text) {
  const cut = text.lastIndexOf('\n\n');
  if (cut < 0) return null;
  const body = text.slice(0, cut).split('\n');
  if (body.length !== 3 || !/^\d+$/.test(body[1])) return null;
  const sigs = text.slice(cut + 2).split('\n').filter(Boolean).map((line) => {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) return null;
    let keyId = null;
    try {
      const raw = atob(m[2]);
      if (raw.length >= 5) keyId = [0, 1, 2, 3].map((i) => raw.charCodeAt(i).toString(16).padStart(2, '0')).join('');
    } catch (e) { /* not base64 */ }
    return { name: m[1], keyId };
  }).filter(Boolean);
  return { origin: body[0], size: Number(body[1]), root: body[2], sigs };
}

async function fetchCheckpoint() {
  const text = await api('GET', '/audit/checkpoint', { as: 'text' });
  return { cp: parseCheckpoint(text), fetchedAt: new Date().toISOString() };
}

export function auditScreen(params, ctx) {
  let entries = [];
  let cp = null;
  let cpError = null;
  let key = null;
  let witnesses = [];
  const filters = { case_id: '', actor_id: '', action: '', from: '', to: '' };
  const trail = [];
  let after = null;
  let more = false;
  let msg = null;

  async function loadPage() {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (after !== null) q.set('after', String(after));
    for (const k of ['case_id', 'actor_id', 'action']) if (filters[k]) q.set(k, filters[k]);
    // datetime-local is the auditor's local time; the server takes RFC 3339
    // (since inclusive, until exclusive)
    if (filters.from) q.set('since', new Date(filters.from).toISOString());
    if (filters.to) q.set('until', new Date(filters.to).toISOString());
    const r = await api('GET', `/audit?${q}`);
    entries = r.entries;
    more = entries.length === PAGE;
  }

  async function loadCheckpoint() {
    try {
      const [c, k, w] = await Promise.all([fetchCheckpoint(), api('GET', '/audit/public-key'),
        api('GET', '/audit/witnesses')]);
      cp = c; key = k; witnesses = w.witnesses; cpError = null;
    } catch (e) { cpError = e; }
  }

  async function download() {
    msg = null;
    try {
      const blob = await api('GET', '/audit/export', { as: 'blob' });
      const url = URL.createObjectURL(blob);
      const stamp = new Date().toISOString().replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z');
      const a = h('a', { href: url, download: `corridor-audit-${stamp}.txt`, class: 'visually-hidden' });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      msg = { kind: 'success', text: t('audit.export_done', { bytes: formatNumber(blob.size) }) };
    } catch (e) {
      msg = { kind: 'error', text: problemText(e) };
    }
    ctx.redraw();
  }

  function checkpointView() {
    if (cpError) return notice('error', problemText(cpError));
    if (!cp || !cp.cp) return notice('error', t('audit.checkpoint_bad'));
    const c = cp.cp;
    // the log's own lines; witnesses' cosignatures are listed below
    const ids = c.sigs.filter((s) => s.name === c.origin).map((s) => s.keyId).filter(Boolean);
    const matches = key && ids.includes(key.key_id);
    return summaryList([
      ['audit.cp_origin', h('code', null, c.origin)],
      ['audit.cp_size', formatNumber(c.size)],
      ['audit.cp_root', h('code', { class: 'wrap' }, c.root)],
      ['audit.cp_key', h('span', null, h('code', null, ids.join(', ')), ' ',
        matches ? h('span', { class: 'tag tag-ok' }, t('audit.cp_key_current')) : h('span', { class: 'tag tag-warn' }, t('audit.cp_key_other')))],
      ['audit.cp_fetched', timeEl(cp.fetchedAt)],
    ]);
  }

  function witnessView() {
    if (!cp || !cp.cp) return null;
    if (!witnesses.length) return h('p', { class: 'hint' }, t('audit.w_none'));
    const names = new Set(cp.cp.sigs.filter((s) => s.name !== cp.cp.origin).map((s) => s.name));
    return h('table', { class: 'table witnesses' },
      h('caption', null, t('audit.witnesses')),
      h('thead', null, h('tr', null, ['audit.w_name', 'audit.w_state', 'audit.w_on_cp', 'audit.w_lag'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', null, witnesses.map((w) => {
        const [label, cls] = W_STATE[w.state] || W_STATE.error;
        return h('tr', null,
          h('td', null, h('code', null, w.name)),
          h('td', null, h('span', { class: cls, title: w.detail }, t(label))),
          h('td', null, names.has(w.name) ? t('audit.w_yes') : t('audit.w_no')),
          h('td', null, t('audit.w_lag_value', { entries: formatNumber(w.lag_entries), seconds: formatNumber(w.lag_seconds) })));
      })));
  }

  function filterForm() {
    return h('form', {
      class: 'filters', role: 'search', 'aria-label': t('audit.filters'),
      onsubmit: async (ev) => {
        ev.preventDefault();
        const f = ev.target.elements;
        const bad = [];
        for (const k of ['case_id', 'actor_id']) {
          const v = f[k].value.trim();
          if (v && !ID.test(v)) bad.push(k);
        }
        if (bad.length) { msg = { kind: 'error', text: t('audit.bad_id') }; ctx.redraw(); return; }
        for (const k of ['from', 'to']) {
          const v = f[k].value.trim();
          if (v && Number.isNaN(new Date(v).getTime())) { msg = { kind: 'error', text: t('audit.bad_time') }; ctx.redraw(); return; }
        }
        for (const k of Object.keys(filters)) filters[k] = f[k].value.trim();
        after = null; trail.length = 0; msg = null;
        try { await loadPage(); } catch (e) { msg = { kind: 'error', text: problemText(e) }; }
        ctx.redraw();
      },
    },
    field('case_id', 'audit.f_case', h('input', { id: 'af-case_id', name: 'case_id', type: 'text', value: filters.case_id, autocomplete: 'off', spellcheck: 'false' })),
    field('actor_id', 'audit.f_actor', h('input', { id: 'af-actor_id', name: 'actor_id', type: 'text', value: filters.actor_id, autocomplete: 'off', spellcheck: 'false' })),
    field('action', 'audit.f_action', h('select', { id: 'af-action', name: 'action', value: filters.action },
      h('option', { value: '' }, t('filter.any')), ACTIONS.map((a) => h('option', { value: a }, a)))),
    field('from', 'audit.f_from', h('input', { id: 'af-from', name: 'from', type: 'datetime-local', value: filters.from })),
    field('to', 'audit.f_to', h('input', { id: 'af-to', name: 'to', type: 'datetime-local', value: filters.to })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-secondary' }, t('audit.apply'))));
  }

  function field(name, label, input) {
    return h('div', { class: 'field' }, h('label', { for: `af-${name}`, class: 'label' }, t(label)), input);
  }

  function table(rows) {
    return h('table', { class: 'table audit' },
      h('caption', { class: 'visually-hidden' }, t('audit.title')),
      h('thead', null, h('tr', null, ['audit.seq', 'audit.time', 'audit.actor', 'audit.action', 'audit.object', 'audit.outcome'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', null, rows.map((e) => {
        const glass = e.action === 'case.read' && (typeof e.reason === 'string' || e.reason_erased);
        return [
          h('tr', { class: glass ? 'breakglass' : (e.outcome !== 'allowed' ? 'denied' : null) },
            h('td', null, String(e.seq)),
            h('td', null, timeEl(e.time)),
            h('td', null, h('code', null, e.actor_id || t('audit.anonymous')), ' ', h('span', { class: 'muted' }, t(`role.${e.role}`))),
            h('td', null, h('code', null, e.action), glass ? h('span', { class: 'tag tag-breakglass' }, t('audit.breakglass')) : null),
            h('td', null, e.object_type === 'none' ? '' : h('span', null, t(`object.${e.object_type}`), ' ', e.object_id ? h('code', null, e.object_id) : null)),
            h('td', null, h('span', { class: `tag tag-outcome-${e.outcome}` }, t(`outcome.${e.outcome}`)))),
          glass ? h('tr', { class: 'breakglass reason-row' }, h('td', { colspan: '6' },
            h('strong', null, `${t('audit.reason')}: `),
            e.reason_erased ? h('span', { class: 'muted' }, t('audit.reason_erased')) : h('span', { class: 'content reason' }, e.reason))) : null,
        ];
      })));
  }

  return {
    async load() { await Promise.all([loadPage(), loadCheckpoint()]); },
    view() {
      const rows = entries;
      return h('div', null,
        pageHeading('audit.title'),
        msg ? notice(msg.kind, msg.text) : null,
        h('section', { 'aria-labelledby': 'sec-cp' },
          h('h2', { id: 'sec-cp' }, t('audit.checkpoint')),
          h('p', { class: 'hint' }, t('audit.checkpoint_hint')),
          checkpointView(),
          witnessView(),
          h('div', { class: 'actions' },
            button('audit.refresh_cp', async () => { await loadCheckpoint(); ctx.redraw(); }, 'btn btn-secondary'),
            button('audit.download', download),
            h('a', { href: '#/verify' }, t('audit.how_verify')))),
        h('section', { 'aria-labelledby': 'sec-log' },
          h('h2', { id: 'sec-log' }, t('audit.log')),
          h('p', { class: 'hint' }, t('audit.order')),
          filterForm(),
          rows.length ? table(rows) : h('p', null, t('audit.none')),
          h('nav', { class: 'pager', 'aria-label': t('audit.pages') },
            trail.length ? button('audit.prev', async () => { after = trail.pop(); await loadPage(); ctx.redraw(); }, 'btn btn-secondary') : null,
            more ? button('audit.next', async () => { trail.push(after); after = entries[entries.length - 1].seq; await loadPage(); ctx.redraw(); }, 'btn btn-secondary') : null,
            cp && cp.cp && cp.cp.size > PAGE ? button('audit.latest', async () => {
              trail.push(after); after = Math.max(0, cp.cp.size - PAGE - 1); await loadPage(); ctx.redraw();
            }, 'btn btn-secondary') : null)));
    },
  };
}

export function verifyScreen(params, ctx) {
  let key = null;
  return {
    async load() { key = await api('GET', '/audit/public-key'); },
    view() {
      const cmd = 'corridor audit verify corridor-audit-EXPORT.txt --public-key audit.pub --checkpoint held/cp-1.txt --checkpoint held/cp-2.txt';
      return h('div', { class: 'narrow' },
        pageHeading('verify.title'),
        h('p', null, t('verify.intro')),
        h('h2', null, t('verify.step1')),
        h('p', null, t('verify.pin', { key_id: key.key_id })),
        summaryList([
          ['verify.key_id', h('code', null, key.key_id)],
          ['verify.origin', h('code', null, key.origin)],
          ['verify.vkey', h('code', { class: 'wrap' }, key.vkey)],
        ]),
        h('p', null, t('verify.pin_file')),
        h('pre', { class: 'cmd' }, "printf '%s\\n' 'LINE-FROM-YOUR-OPERATOR' > audit.pub"),
        h('h2', null, t('verify.step2')),
        h('p', null, t('verify.download')),
        h('h2', null, t('verify.step3')),
        h('p', null, t('verify.run')),
        h('pre', { class: 'cmd' }, cmd),
        h('p', null, t('verify.without_held')),
        h('pre', { class: 'cmd' }, 'corridor audit verify corridor-audit-EXPORT.txt --public-key audit.pub'),
        h('h2', null, t('verify.result')),
        h('p', null, t('verify.ok')),
        h('pre', { class: 'cmd' }, 'audit verify: OK, <entries> entries, root <base64>, <M> checkpoints'),
        h('p', null, t('verify.fail')),
        h('p', null, h('a', { href: '#/audit' }, t('verify.back'))));
    },
  };
}
