// SPDX-License-Identifier: AGPL-3.0-or-later
// casefile: one case. The summary, the person and notes (read, then
// "Change case details"), the contact log as a timeline (oldest first),
// the attachments (attachments.js), "have we seen this person before?"
// (lookup.js, with the warning a new case's phone number may have
// raised), the evacuation, and the coordinator's tools: break-glass
// reading, assignment, adding to an evacuation, closing and shredding.

import { h } from '../dom.js';
import { t, formatNumber } from '../i18n.js';
import { api, ApiError, headerValue, listAll } from '../api.js';
import { state } from '../state.js';
import {
  form, formDialog, confirmDialog, pageHeading, notice, tag, timeEl, summaryList, button, problemText, link,
} from '../ui.js';
import {
  STATUSES, RISKS, PERSON_FIELDS, EVAC_FIELDS, options, objectFields, objectFromValues, byteLength,
  MAX_REGION_BYTES,
} from './common.js';
import { attachmentsPart } from './attachments.js';
import { lookupBox, createWarnings } from './lookup.js';

const MAX_REASON_BYTES = 512;
const CHANNELS = ['signal', 'phone', 'telegram', 'whatsapp', 'visit', 'email'];

/** A break-glass reason as a header: one line, no control characters. */
function cleanReason(s) {
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/** datetime-local value (local time) -> RFC 3339 UTC, seconds. */
function localToUtc(v) {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return null;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
function nowLocal() {
  const d = new Date();
  d.setSeconds(0, 0);
  const off = d.getTimezoneOffset() * 60000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
}

export function caseFileScreen(params, ctx) {
  const id = params.id;
  const me = state.user;
  const coordinator = me.role === 'coordinator';
  let c = null;                // the full case
  let contacts = [];
  let evac = null;             // the case's evacuation (with details), or an ApiError
  let needReason = false;
  let editing = false;
  let users = null;            // coordinator: every user, for assignment
  let evacs = null;            // coordinator: evacuations to add the case to
  let notes = [];              // messages about the last action
  let logOpen = null;          // the "Log contact" form: open or not (null: open when the log is empty)

  const path = `/cases/${encodeURIComponent(id)}`;
  const headers = () => (state.reasons.has(id) ? { 'X-Access-Reason': headerValue(state.reasons.get(id)) } : undefined);
  // shown once: the warning of the POST /cases that opened this case
  const warnings = state.createWarnings.get(id) || null;
  state.createWarnings.delete(id);
  const attach = attachmentsPart({
    path, headers, userName: (uid) => userName(uid), redraw: () => ctx.redraw(),
    canWrite: () => me.role === 'caseworker' && c !== null && c.assignees.includes(me.id),
  });

  async function load() {
    let full = null;
    try {
      full = await api('GET', path, { headers: headers() });
    } catch (e) {
      // a coordinator not assigned: the summary from the list, and the
      // break-glass panel in place of the content
      if (!(e instanceof ApiError && e.status === 403 && e.type === 'reason-required')) throw e;
    }
    needReason = full === null;
    c = full || state.summaries.get(id) || null;
    if (c === null) return;
    if (full) state.summaries.set(c.id, summaryOf(c));
    const loads = [];
    if (full) {
      // attachments are a part of the file, not a condition of seeing it
      loads.push(attach.load().catch(() => {}));
      loads.push(listAll(`${path}/contacts`, 'contacts', 100000, headers()).then((x) => {
        contacts = x;
        state.lastContact.set(id, x.length ? x.reduce((m, k) => (k.at > m ? k.at : m), x[0].at) : null);
      }));
    }
    if (c.evacuation_id) {
      loads.push(api('GET', `/evacuations/${encodeURIComponent(c.evacuation_id)}`).then((x) => { evac = x; }, (e) => { evac = e; }));
    } else evac = null;
    if (coordinator) {
      loads.push(api('GET', '/users').then((x) => { users = x.users; for (const u of users) state.users.set(u.id, u); }, () => { users = []; }));
      loads.push(listAll('/evacuations', 'evacuations', 2000).then((x) => { evacs = x; }, () => { evacs = []; }));
    }
    await Promise.all(loads);
  }

  /** The case without its content, for the list cache. */
  function summaryOf(x) {
    const { person, notes, ...meta } = x;
    return meta;
  }

  function say(kind, key, vars) { notes = [{ kind, key, vars }]; }

  async function act(fn) {
    try {
      await fn();
    } catch (e) {
      notes = [{ kind: 'error', text: problemText(e) }];
    }
    ctx.redraw();
    const n = document.querySelector('#main .notice');
    if (n) { n.setAttribute('tabindex', '-1'); n.focus(); }
  }

  function userName(uid) {
    if (uid === me.id) return t('case.you');
    const u = state.users.get(uid);
    return u ? u.username : t('case.another_user');
  }

  async function breakGlass() {
    const reason = await formDialog('breakglass.title', h('div', null,
      h('p', null, t('breakglass.body1')),
      h('p', { class: 'strong' }, t('breakglass.body2'))), {
      fields: [{
        name: 'reason', label: 'breakglass.reason', hint: 'breakglass.reason_hint', type: 'textarea', rows: 3, required: true,
        content: true, validate: (v) => (byteLength(cleanReason(v)) > MAX_REASON_BYTES ? 'form.too_long' : (cleanReason(v) ? null : 'form.required')),
      }],
      submit: 'breakglass.submit',
      fieldFor: () => 'reason',
      onSubmit: async (v) => cleanReason(v.reason),
    });
    if (typeof reason !== 'string') return;
    state.reasons.set(id, reason);
    try {
      await load();
      say('warn', 'breakglass.recorded');
    } catch (e) {
      state.reasons.delete(id);
      notes = [{ kind: 'error', text: problemText(e) }];
    }
    ctx.redraw();
  }

  function reasonPanel() {
    return h('section', { 'aria-labelledby': 'sec-glass', class: 'glass-panel' },
      h('h2', { id: 'sec-glass' }, t('breakglass.page_title')),
      h('p', null, t('breakglass.page_body')),
      h('div', { class: 'actions' }, button('breakglass.open', breakGlass, 'btn btn-warning')));
  }

  function reasonOnlyView() {
    return h('div', { class: 'narrow' },
      pageHeading('case.caption'),
      notes.map((n) => notice(n.kind, n.text || t(n.key, n.vars))),
      reasonPanel(),
      h('p', null, h('a', { href: '#/cases' }, t('case.back'))));
  }

  function personView() {
    const p = c.person && typeof c.person === 'object' ? c.person : {};
    const known = PERSON_FIELDS.map((k) => [`person.${k}`, typeof p[k] === 'string' ? h('span', { class: 'content' }, p[k]) : null]);
    const extra = Object.keys(p).filter((k) => !PERSON_FIELDS.includes(k));
    return h('section', { 'aria-labelledby': 'sec-person' },
      h('h2', { id: 'sec-person' }, t('case.person')),
      summaryList(known),
      extra.length ? h('div', null, h('h3', null, t('case.person_other')), h('pre', { class: 'content json' }, JSON.stringify(Object.fromEntries(extra.map((k) => [k, p[k]])), null, 2))) : null,
      h('h3', null, t('case.notes')),
      c.notes ? h('p', { class: 'content notes' }, c.notes) : h('p', { class: 'muted' }, t('common.none')),
      h('div', { class: 'actions no-print' },
        button('case.edit', () => { editing = true; ctx.redraw(); const f = document.querySelector('#main form.case-edit select'); if (f) f.focus(); }, 'btn btn-secondary'),
        button('case.print', () => { document.body.classList.add('print-case'); window.print(); }, 'btn btn-secondary')));
  }

  function editView() {
    const f = form({
      autocomplete: 'off',
      fields: [
        { name: 'status', label: 'case.status', type: 'select', options: options('status', STATUSES), value: c.status },
        { name: 'risk', label: 'case.risk', type: 'select', options: options('risk', RISKS), value: c.risk },
        { name: 'region', label: 'case.region', hint: 'case.region_hint', value: c.region, required: true, content: true, maxBytes: MAX_REGION_BYTES },
        { name: 'household_size', label: 'case.household', type: 'number', min: 1, max: 64, value: String(c.household_size), required: true, validate: (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= 64 ? null : 'case.household_invalid') },
        ...objectFields('person', PERSON_FIELDS, c.person, ['family']),
        { name: 'notes', label: 'case.notes', type: 'textarea', rows: 8, value: c.notes, content: true, maxBytes: 65536 },
      ],
      submit: 'case.save',
      secondary: button('common.cancel', () => { editing = false; ctx.redraw(); }, 'btn btn-secondary'),
      async onSubmit(v) {
        c = await api('PATCH', path, {
          headers: headers(),
          body: {
            status: v.status, risk: v.risk, region: v.region.trim(), household_size: parseInt(v.household_size, 10),
            person: objectFromValues('person', PERSON_FIELDS, v, c.person), notes: v.notes,
          },
        });
        editing = false;
        say('success', 'case.saved');
        ctx.redraw();
      },
    });
    f.classList.add('case-edit');
    return h('section', { 'aria-labelledby': 'sec-edit' }, h('h2', { id: 'sec-edit' }, t('case.edit_title')), f);
  }

  function contactsView() {
    const canLog = me.role === 'caseworker' && c.assignees.includes(me.id);
    return h('section', { 'aria-labelledby': 'sec-contacts' },
      h('h2', { id: 'sec-contacts' }, t('contacts.title')),
      h('p', { class: 'hint' }, t('contacts.order')),
      contacts.length ? h('ol', { class: 'timeline' }, contacts.map((x) => h('li', { class: 'timeline-item' },
        h('div', { class: 'timeline-meta' }, timeEl(x.at), ' · ', h('span', { class: 'content channel' }, x.channel), ' · ', h('span', null, userName(x.author_id))),
        h('p', { class: 'content' }, x.summary),
        x.next_steps ? h('p', { class: 'content next-steps' }, h('strong', null, `${t('contacts.next_steps')}: `), x.next_steps) : null)))
        : h('p', { class: 'muted' }, t('contacts.none')),
      canLog ? h('details', {
        class: 'log-contact no-print', open: logOpen ?? contacts.length === 0,
        ontoggle: (ev) => { logOpen = ev.target.open; },
      },
        h('summary', null, t('contacts.log')),
        h('datalist', { id: 'channels' }, CHANNELS.map((x) => h('option', { value: t(`channel.${x}`) }))),
        (() => {
          const f = form({
            autocomplete: 'off',
            fields: [
              { name: 'at', label: 'contacts.when', type: 'datetime-local', value: nowLocal(), required: true, validate: (v) => (localToUtc(v) ? null : 'contacts.when_invalid') },
              { name: 'channel', label: 'contacts.channel', hint: 'contacts.channel_hint', required: true, content: true, maxBytes: 32 },
              { name: 'summary', label: 'contacts.summary', type: 'textarea', rows: 4, required: true, content: true, maxBytes: 8192 },
              { name: 'next_steps', label: 'contacts.next_steps', type: 'textarea', rows: 3, content: true, maxBytes: 4096 },
            ],
            submit: 'contacts.submit',
            fieldFor: (e) => (e.type === 'invalid-time' ? 'at' : null),
            async onSubmit(v) {
              const body = { at: localToUtc(v.at), channel: v.channel.trim(), summary: v.summary };
              if (v.next_steps.trim()) body.next_steps = v.next_steps;
              const added = await api('POST', `${path}/contacts`, { body });
              contacts = [...contacts, added].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
              const newest = state.lastContact.get(id);
              if (!newest || added.at > newest) state.lastContact.set(id, added.at);
              say('success', 'contacts.logged');
              ctx.redraw();
            },
          });
          f.fields.channel.input.setAttribute('list', 'channels');
          return f;
        })()) : null);
  }

  function evacView() {
    if (!c.evacuation_id) {
      return h('section', { 'aria-labelledby': 'sec-evac' }, h('h2', { id: 'sec-evac' }, t('case.evacuation')),
        h('p', { class: 'muted' }, t('case.no_evacuation')),
        coordinator ? addToEvacView() : null);
    }
    if (!evac || evac instanceof Error) {
      return h('section', { 'aria-labelledby': 'sec-evac' }, h('h2', { id: 'sec-evac' }, t('case.evacuation')),
        notice('error', evac ? problemText(evac) : t('problem.generic')));
    }
    const d = evac.details && typeof evac.details === 'object' ? evac.details : {};
    return h('section', { 'aria-labelledby': 'sec-evac' },
      h('h2', { id: 'sec-evac' }, t('case.evacuation')),
      summaryList([
        ['evac.codename', link(`#/evacuations/${evac.id}`, evac.codename)],
        ['evac.stage', tag('stage', evac.stage)],
        ...EVAC_FIELDS.map((k) => [`evac.${k}`, typeof d[k] === 'string' ? h('span', { class: 'content' }, d[k]) : null]),
      ]));
  }

  function addToEvacView() {
    const open = (evacs || []).filter((e) => e.stage === 'planned' || e.stage === 'in_progress');
    if (!open.length) return h('p', { class: 'hint' }, t('case.no_open_evacuations'));
    return form({
      fields: [{ name: 'evacuation', label: 'case.add_to_evacuation', type: 'select', options: open.map((e) => [e.id, `${e.codename} (${t(`stage.${e.stage}`)})`]) }],
      submit: 'case.add_to_evacuation_submit',
      async onSubmit(v) {
        evac = await api('POST', `/evacuations/${encodeURIComponent(v.evacuation)}/cases`, { body: { case_id: id } });
        c = { ...c, evacuation_id: evac.id };
        say('success', 'case.added_to_evacuation', { codename: evac.codename });
        ctx.redraw();
      },
    });
  }

  function assignView() {
    const candidates = (users || []).filter((u) => u.role === 'caseworker' && u.status === 'active' && u.enrolled && !c.assignees.includes(u.id));
    return h('section', { 'aria-labelledby': 'sec-assign', class: 'no-print' },
      h('h2', { id: 'sec-assign' }, t('assign.title')),
      c.assignees.length ? h('ul', { class: 'plain' }, c.assignees.map((uid) => h('li', null,
        h('span', null, userName(uid)), ' ',
        h('button', {
          type: 'button', class: 'btn btn-secondary btn-small',
          onclick: () => act(async () => {
            const ok = await confirmDialog('assign.unassign_title', h('p', null, t('assign.unassign_body', { name: userName(uid) })), 'assign.unassign_confirm', { vars: { name: userName(uid) } });
            if (!ok) { notes = []; return; }
            await api('DELETE', `${path}/assignments/${encodeURIComponent(uid)}`);
            c = { ...c, assignees: c.assignees.filter((x) => x !== uid) };
            say('success', 'assign.unassigned', { name: userName(uid) });
          }),
        }, t('assign.unassign', { name: userName(uid) })))))
        : h('p', null, h('span', { class: 'tag tag-warn' }, t('cases.unassigned'))),
      candidates.length ? form({
        fields: [{ name: 'user_id', label: 'assign.choose', type: 'select', options: candidates.map((u) => [u.id, u.username]) }],
        submit: 'assign.submit',
        async onSubmit(v) {
          const s = await api('POST', `${path}/assignments`, { body: { user_id: v.user_id } });
          c = { ...c, assignees: s.assignees || [...c.assignees, v.user_id] };
          say('success', 'assign.assigned', { name: userName(v.user_id) });
          ctx.redraw();
        },
      }) : h('p', { class: 'hint' }, t('assign.no_candidates')));
  }

  function transferView() {
    return h('section', { 'aria-labelledby': 'sec-transfer', class: 'no-print' },
      h('h2', { id: 'sec-transfer' }, t('transfer.section')),
      h('p', null, t('transfer.section_hint')),
      h('p', null, link(`#/cases/${id}/transfer`, t('transfer.start'), 'btn btn-secondary')));
  }

  function dangerView() {
    return h('section', { 'aria-labelledby': 'sec-danger', class: 'danger-zone no-print' },
      h('h2', { id: 'sec-danger' }, t('danger.title')),
      c.status !== 'closed' && !needReason ? h('div', null,
        h('p', null, t('close.explain')),
        button('close.button', () => act(async () => {
          const ok = await confirmDialog('close.title', h('p', null, t('close.body', { codename: c.codename })), 'close.confirm', { vars: { codename: c.codename } });
          if (!ok) { notes = []; return; }
          c = await api('PATCH', path, { headers: headers(), body: { status: 'closed' } });
          say('success', 'close.done', { codename: c.codename });
        }), 'btn btn-secondary')) : null,
      h('p', null, t('shred.explain')),
      button('shred.button', async () => {
        const codename = c.codename;
        const ok = await formDialog('shred.title', h('div', null, h('p', null, t('shred.body1')), h('p', { class: 'strong' }, t('shred.body2'))), {
          fields: [{ name: 'codename', label: 'shred.type_codename', vars: { codename }, required: true, autocomplete: 'off', validate: (v) => (v.trim() === codename ? null : 'shred.mismatch') }],
          submit: 'shred.confirm',
          danger: true,
          async onSubmit() { await api('POST', `${path}/shred`); return true; },
        }, { codename });
        if (ok === true) {
          state.reasons.delete(id);
          ctx.done('#/cases', 'success', 'shred.done', { codename });
        }
      }, 'btn btn-danger'));
  }

  return {
    load,
    view() {
      if (needReason && c === null) return reasonOnlyView();
      const banner = state.reasons.has(id) ? notice('warn', t('breakglass.banner')) : null;
      return h('div', null,
        pageHeading('case.title', { codename: c.codename }, t('case.caption')),
        banner,
        createWarnings(warnings),
        notes.map((n) => notice(n.kind, n.text || t(n.key, n.vars))),
        summaryList([
          ['case.status', tag('status', c.status)],
          ['case.risk', tag('risk', c.risk)],
          ['case.region', h('span', { class: 'content' }, c.region)],
          ['case.household', formatNumber(c.household_size)],
          ['case.assignees', c.assignees.length ? c.assignees.map(userName).join(', ') : null],
          ['case.created', timeEl(c.created_at)],
          ['case.updated', timeEl(c.updated_at)],
        ]),
        needReason ? reasonPanel() : null,
        needReason ? null : (editing ? editView() : personView()),
        needReason ? null : contactsView(),
        needReason ? null : attach.view(),
        lookupBox({ selfCodename: c.codename, coordinator }).view(),
        evacView(),
        coordinator ? assignView() : null,
        coordinator ? transferView() : null,
        coordinator ? dangerView() : null,
        h('p', { class: 'no-print' }, h('a', { href: '#/cases' }, t('case.back'))));
    },
  };
}

