// SPDX-License-Identifier: AGPL-3.0-or-later
// cases: the case list (a caseworker's "My cases" with the last contact;
// a coordinator's summaries of every case, with filters and keyset paging)
// and the form that opens a new case.

import { h, replace } from '../dom.js';
import { t, formatNumber } from '../i18n.js';
import { api } from '../api.js';
import { lookupBox } from './lookup.js';
import { state } from '../state.js';
import { form, pageHeading, notice, tag, timeEl, link, problemText } from '../ui.js';
import {
  STATUSES, RISKS, PERSON_FIELDS, options, objectFields, objectFromValues, MAX_REGION_BYTES,
} from './common.js';

const PAGE = 100;
const LAST_CONTACT_PARALLEL = 3;

/** The newest contact time of a case (the log comes oldest first). */
async function lastContact(id) {
  let after = null;
  let last = null;
  for (let i = 0; i < 40; i += 1) {
    const q = after ? `?limit=500&after=${encodeURIComponent(after)}` : '?limit=500';
    const page = await api('GET', `/cases/${encodeURIComponent(id)}/contacts${q}`);
    for (const c of page.contacts) if (!last || c.at > last) last = c.at;
    if (!page.next) break;
    after = page.next;
  }
  return last;
}

export function caseListScreen(params, ctx) {
  const coordinator = state.user.role === 'coordinator';
  let cases = [];
  let next = null;
  const trail = [];       // the `after` of each earlier page
  let after = null;
  let msg = null;         // why the last filtered load failed
  const filters = { status: '', risk: '', region: '' };
  const last = state.lastContact; // id -> time | null (kept for the session: each read is audited)
  const failed = new Set();
  const cells = new Map(); // id -> its last-contact cell, updated in place

  function lastCell(id) {
    const l = last.get(id);
    if (failed.has(id)) return h('span', { class: 'muted' }, t('cases.last_unknown'));
    if (l === undefined) return h('span', { class: 'muted' }, t('common.loading'));
    if (l === null) return h('span', { class: 'muted' }, t('cases.no_contact'));
    return timeEl(l);
  }

  async function loadPage() {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (after) q.set('after', after);
    // the server filters (exact status, risk and region) and pages what
    // matches
    for (const k of ['status', 'risk']) if (filters[k]) q.set(k, filters[k]);
    if (filters.region.trim()) q.set('region', filters.region.trim());
    const page = await api('GET', `/cases?${q}`);
    cases = page.cases;
    next = page.next;
    for (const c of cases) state.summaries.set(c.id, c);
    if (!coordinator) fillLastContacts();
  }

  function fillLastContacts() {
    const queue = cases.filter((c) => !c.shredded && !last.has(c.id) && !failed.has(c.id)).map((c) => c.id);
    const worker = async () => {
      while (queue.length) {
        const id = queue.shift();
        try { last.set(id, await lastContact(id)); } catch (e) { failed.add(id); }
        const cell = cells.get(id);
        if (cell && cell.isConnected) replace(cell, lastCell(id));
      }
    };
    for (let i = 0; i < LAST_CONTACT_PARALLEL; i += 1) worker();
  }

  function filterForm() {
    return h('form', {
      class: 'filters', role: 'search', 'aria-label': t('cases.filters'),
      onsubmit: async (ev) => {
        ev.preventDefault();
        const f = ev.target;
        filters.status = f.elements.status.value;
        filters.risk = f.elements.risk.value;
        filters.region = f.elements.region.value;
        after = null; trail.length = 0; msg = null;  // new filters: first page
        try { await loadPage(); } catch (e) { cases = []; next = null; msg = problemText(e); }
        ctx.redraw();
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'flt-status', class: 'label' }, t('case.status')),
      h('select', { id: 'flt-status', name: 'status', value: filters.status }, options('status', STATUSES, true).map(([v, x]) => h('option', { value: v }, x)))),
    h('div', { class: 'field' }, h('label', { for: 'flt-risk', class: 'label' }, t('case.risk')),
      h('select', { id: 'flt-risk', name: 'risk', value: filters.risk }, options('risk', RISKS, true).map(([v, x]) => h('option', { value: v }, x)))),
    h('div', { class: 'field' }, h('label', { for: 'flt-region', class: 'label' }, t('case.region')),
      h('input', { id: 'flt-region', name: 'region', type: 'text', value: filters.region, autocomplete: 'off' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-secondary' }, t('cases.apply_filters'))));
  }

  function table(rows) {
    const t0 = performance.now();
    const head = coordinator
      ? ['case.codename', 'case.status', 'case.risk', 'case.region', 'case.household', 'case.assignees', 'case.evacuation']
      : ['case.codename', 'case.status', 'case.risk', 'case.region', 'case.last_contact'];
    const tbl = h('table', { class: 'table' },
      h('caption', { class: 'visually-hidden' }, t(coordinator ? 'cases.all_title' : 'cases.my_title')),
      h('thead', null, h('tr', null, head.map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', null, rows.map((c) => {
        const row = [
          h('th', { scope: 'row' }, c.shredded ? h('span', null, c.codename, ' ', h('span', { class: 'tag tag-shredded' }, t('case.shredded'))) : link(`#/cases/${c.id}`, c.codename)),
          h('td', null, tag('status', c.status)),
          h('td', null, tag('risk', c.risk)),
          h('td', null, c.region),
        ];
        if (coordinator) {
          row.push(h('td', null, formatNumber(c.household_size)),
            h('td', null, c.assignees.length ? formatNumber(c.assignees.length) : h('span', { class: 'tag tag-warn' }, t('cases.unassigned'))),
            h('td', null, c.evacuation_id ? link(`#/evacuations/${c.evacuation_id}`, t('cases.in_evacuation')) : t('common.none')));
        } else {
          const td = h('td', null, c.shredded ? t('common.none') : lastCell(c.id));
          cells.set(c.id, td);
          row.push(td);
        }
        return h('tr', null, row);
      })));
    performance.measure('corridor:cases-table', { start: t0, end: performance.now() });
    return tbl;
  }

  return {
    async load() { await loadPage(); },
    view() {
      const rows = cases;
      const filtered = coordinator && (filters.status || filters.risk || filters.region.trim());
      return h('div', null,
        pageHeading(coordinator ? 'cases.all_title' : 'cases.my_title'),
        h('p', null, h('a', { href: '#/cases/new', class: 'btn btn-secondary' }, t('cases.new'))),
        coordinator ? h('p', { class: 'hint' }, t('cases.summary_only')) : null,
        coordinator ? filterForm() : null,
        msg ? notice('error', msg) : null,
        rows.length ? table(rows) : h('p', null, t(filtered ? 'cases.none_match' : 'cases.none')),
        !trail.length && !next ? null : h('nav', { class: 'pager', 'aria-label': t('cases.pages') },
          trail.length ? h('button', {
            type: 'button', class: 'btn btn-secondary',
            onclick: async () => { after = trail.pop(); await loadPage(); ctx.redraw(); },
          }, t('cases.prev')) : null,
          next ? h('button', {
            type: 'button', class: 'btn btn-secondary',
            onclick: async () => { trail.push(after); after = next; await loadPage(); ctx.redraw(); },
          }, t('cases.next')) : null));
    },
  };
}

export function newCaseScreen(params, ctx) {
  return {
    view() {
      return h('div', { class: 'narrow' },
        pageHeading('newcase.title'),
        h('p', null, t('newcase.intro')),
        lookupBox({ selfCodename: null, coordinator: state.user.role === 'coordinator' }).view(),
        h('h2', null, t('newcase.details')),
        form({
          autocomplete: 'off',
          fields: [
            { name: 'risk', label: 'case.risk', type: 'select', options: options('risk', RISKS), value: 'high', required: true },
            { name: 'region', label: 'case.region', hint: 'case.region_hint', required: true, content: true, maxBytes: MAX_REGION_BYTES },
            { name: 'household_size', label: 'case.household', type: 'number', value: '1', min: 1, max: 64, inputmode: 'numeric', required: true, validate: (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 64 ? null : 'case.household_invalid') },
            ...objectFields('person', PERSON_FIELDS, {}, ['family']),
            { name: 'notes', label: 'case.notes', type: 'textarea', content: true, rows: 6, maxBytes: 65536 },
          ],
          submit: 'newcase.submit',
          async onSubmit(v) {
            const c = await api('POST', '/cases', {
              body: {
                risk: v.risk, region: v.region.trim(), household_size: parseInt(v.household_size, 10),
                person: objectFromValues('person', PERSON_FIELDS, v, {}), notes: v.notes,
              },
            });
            state.summaries.set(c.id, c);
            if (c.warnings) state.createWarnings.set(c.id, c.warnings);
            ctx.done(`#/cases/${c.id}`, 'success', 'newcase.done', { codename: c.codename });
          },
        }));
    },
  };
}
