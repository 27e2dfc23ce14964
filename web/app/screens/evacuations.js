// SPDX-License-Identifier: AGPL-3.0-or-later
// evacuations: the coordinator's board by stage (planned, in progress,
// completed, aborted) with the cases attached, a new evacuation, and one
// evacuation with its details (a caseworker sees the ones holding their
// cases, and only their own case ids in them).

import { h } from '../dom.js';
import { t, formatNumber } from '../i18n.js';
import { api, listAll } from '../api.js';
import { state } from '../state.js';
import { form, pageHeading, notice, tag, timeEl, summaryList, button, link } from '../ui.js';
import { STAGES, EVAC_FIELDS, options, objectFields, objectFromValues, shortId } from './common.js';

function caseLink(id) {
  const s = state.summaries.get(id);
  return link(`#/cases/${id}`, s ? s.codename : t('evac.case_id', { id: shortId(id) }));
}

export function boardScreen(params, ctx) {
  let evacs = [];
  return {
    async load() {
      const [e] = await Promise.all([
        listAll('/evacuations', 'evacuations', 5000),
        // codenames for the attached cases (summaries only: no content read)
        listAll('/cases', 'cases', 2000).then((cs) => { for (const c of cs) state.summaries.set(c.id, c); }, () => {}),
      ]);
      evacs = e;
    },
    view() {
      return h('div', null,
        pageHeading('board.title'),
        h('p', null, h('a', { href: '#/evacuations/new', class: 'btn btn-secondary' }, t('board.new'))),
        h('div', { class: 'board' }, STAGES.map((stage) => {
          const col = evacs.filter((e) => e.stage === stage);
          return h('section', { class: `board-col board-${stage}`, 'aria-labelledby': `col-${stage}` },
            h('h2', { id: `col-${stage}` }, t(`stage.${stage}`), ' ', h('span', { class: 'count' }, `(${formatNumber(col.length)})`)),
            col.length ? h('ul', { class: 'cards' }, col.map((e) => h('li', { class: 'card' },
              h('h3', null, link(`#/evacuations/${e.id}`, e.codename)),
              h('p', { class: 'muted' }, t('board.cases', { n: formatNumber(e.case_ids.length) }), ' · ', timeEl(e.updated_at, 'date')),
              e.case_ids.length ? h('ul', { class: 'plain' }, e.case_ids.map((cid) => h('li', null, caseLink(cid)))) : null)))
              : h('p', { class: 'muted' }, t('board.empty')));
        })));
    },
  };
}

function detailsFields(details) {
  return objectFields('evac', EVAC_FIELDS, details, ['contacts', 'notes', 'route']);
}

export function newEvacuationScreen(params, ctx) {
  return {
    view() {
      return h('div', { class: 'narrow' },
        pageHeading('newevac.title'),
        h('p', null, t('newevac.intro')),
        form({
          autocomplete: 'off',
          fields: [
            { name: 'stage', label: 'evac.stage', type: 'select', options: options('stage', STAGES), value: 'planned' },
            ...detailsFields({}),
          ],
          submit: 'newevac.submit',
          async onSubmit(v) {
            const e = await api('POST', '/evacuations', { body: { stage: v.stage, details: objectFromValues('evac', EVAC_FIELDS, v, {}) } });
            ctx.done(`#/evacuations/${e.id}`, 'success', 'newevac.done', { codename: e.codename });
          },
        }));
    },
  };
}

export function evacuationScreen(params, ctx) {
  const coordinator = state.user.role === 'coordinator';
  let e = null;
  let editing = false;
  let msg = null;
  return {
    async load() {
      e = await api('GET', `/evacuations/${encodeURIComponent(params.id)}`);
    },
    view() {
      const d = e.details && typeof e.details === 'object' ? e.details : {};
      return h('div', null,
        pageHeading('evac.title', { codename: e.codename }, t('evac.caption')),
        msg ? notice('success', t(msg)) : null,
        summaryList([
          ['evac.stage', tag('stage', e.stage)],
          ['evac.updated', timeEl(e.updated_at)],
        ]),
        editing ? form({
          autocomplete: 'off',
          fields: [{ name: 'stage', label: 'evac.stage', type: 'select', options: options('stage', STAGES), value: e.stage }, ...detailsFields(d)],
          submit: 'evac.save',
          secondary: button('common.cancel', () => { editing = false; ctx.redraw(); }, 'btn btn-secondary'),
          async onSubmit(v) {
            e = await api('PATCH', `/evacuations/${encodeURIComponent(e.id)}`, { body: { stage: v.stage, details: objectFromValues('evac', EVAC_FIELDS, v, d) } });
            editing = false;
            msg = 'evac.saved';
            ctx.redraw();
          },
        }) : h('section', { 'aria-labelledby': 'sec-details' },
          h('h2', { id: 'sec-details' }, t('evac.details')),
          summaryList(EVAC_FIELDS.map((k) => [`evac.${k}`, typeof d[k] === 'string' ? h('span', { class: 'content' }, d[k]) : null])),
          coordinator ? h('div', { class: 'actions' }, button('evac.edit', () => { editing = true; ctx.redraw(); }, 'btn btn-secondary')) : null),
        h('section', { 'aria-labelledby': 'sec-cases' },
          h('h2', { id: 'sec-cases' }, t('evac.cases')),
          coordinator ? h('p', { class: 'hint' }, t('evac.add_hint')) : null,
          e.case_ids.length ? h('ul', null, e.case_ids.map((cid) => h('li', null, caseLink(cid)))) : h('p', { class: 'muted' }, t('evac.no_cases'))),
        h('p', null, h('a', { href: coordinator ? '#/evacuations' : '#/cases' }, t(coordinator ? 'evac.back' : 'case.back'))));
    },
  };
}
