// SPDX-License-Identifier: AGPL-3.0-or-later
// ui: shared pieces of every screen: fields with labels above, the
// GOV.UK error summary, dialogs, times, tags and humane error text.

import { h, append, clear, nextId } from './dom.js';
import { t, has, formatDateTime } from './i18n.js';
import { ApiError } from './api.js';

/** The humane message for an error: by problem type, then by status. */
export function problemText(err) {
  if (err instanceof ApiError) {
    if (err.type === 'throttled' || (err.status === 429)) {
      return t('problem.throttled', { seconds: err.retryAfter || 60 });
    }
    if (has(`problem.${err.type}`)) return t(`problem.${err.type}`);
    if (has(`problem.status.${err.status}`)) return t(`problem.status.${err.status}`);
  }
  return t('problem.generic');
}

/** <time> with the local rendering and the exact UTC value. */
export function timeEl(iso, kind) {
  if (!iso) return h('span', { class: 'muted' }, t('common.none'));
  return h('time', { datetime: iso, title: iso }, formatDateTime(iso, kind));
}

export function tag(kind, value) {
  return h('span', { class: `tag tag-${kind}-${value}` }, t(`${kind}.${value}`));
}

export function pageHeading(key, vars, caption) {
  return h('div', { class: 'page-head' },
    caption ? h('span', { class: 'caption' }, caption) : null,
    h('h1', { tabindex: '-1', id: 'page-heading' }, t(key, vars)));
}

export function notice(kind, ...children) {
  return h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

export function button(labelKey, onclick, cls, vars) {
  return h('button', { type: 'button', class: cls || 'btn', onclick }, t(labelKey, vars));
}

export function link(href, text, cls) {
  return h('a', { href, class: cls || null }, text);
}

/** A summary list (GOV.UK): rows of [labelKey, value node or text]. */
export function summaryList(rows) {
  return h('dl', { class: 'summary' }, rows.filter(Boolean).map(([k, v]) => h('div', { class: 'summary-row' },
    h('dt', null, t(k)), h('dd', null, v === null || v === undefined || v === '' ? h('span', { class: 'muted' }, t('common.none')) : v))));
}

/**
 * A form with labelled fields, an error summary at the top that links to
 * each field, and each error repeated beside its field.
 *
 * spec: {fields: [{name, label, hint?, type?, value?, autocomplete?,
 *   options?: [[value, text]], required?, content?, rows?, maxBytes?,
 *   validate?(value, values) -> message key | null}],
 *   submit: label key, onSubmit: async (values) => void, secondary?: node,
 *   intro?: node}
 * onSubmit may throw {fieldErrors: {name: key}} or an ApiError.
 */
export function form(spec) {
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
  const items = {};
  const el = h('form', { class: 'form', novalidate: true, autocomplete: spec.autocomplete || null });
  append(el, [summary, spec.intro || null]);
  for (const f of spec.fields) {
    const id = nextId(f.name);
    const hintId = f.hint ? `${id}-hint` : null;
    const errId = `${id}-error`;
    const err = h('p', { class: 'field-error', id: errId, hidden: true });
    const common = {
      id, name: f.name,
      'aria-describedby': [hintId].filter(Boolean).join(' ') || null,
      autocomplete: f.autocomplete || (f.content ? 'off' : null),
      required: f.required || null,
    };
    let input;
    if (f.type === 'textarea') {
      input = h('textarea', { ...common, rows: f.rows || 5, spellcheck: f.content ? 'false' : null, value: f.value ?? '' });
    } else if (f.type === 'select') {
      input = h('select', { ...common, value: f.value ?? null },
        f.options.map(([v, text]) => h('option', { value: v }, text)));
    } else {
      input = h('input', {
        ...common, type: f.type || 'text', value: f.value ?? '', min: f.min ?? null, max: f.max ?? null,
        inputmode: f.inputmode || null, spellcheck: f.content || f.type === 'password' ? 'false' : null,
        autocapitalize: f.type === 'password' || f.autocomplete === 'username' ? 'none' : null,
      });
    }
    const wrap = h('div', { class: 'field' },
      h('label', { for: id, class: 'label' }, t(f.label, f.vars)),
      f.hint ? h('p', { class: 'hint', id: hintId }, t(f.hint)) : null,
      err, input);
    items[f.name] = { spec: f, input, err, wrap, id, errId, hintId };
    el.appendChild(wrap);
  }
  const submit = h('button', { type: 'submit', class: spec.danger ? 'btn btn-danger' : 'btn' }, t(spec.submit));
  el.appendChild(h('div', { class: 'actions' }, submit, spec.secondary || null));

  function showErrors(list) {
    // list: [{name?, text}]
    for (const it of Object.values(items)) {
      it.err.hidden = true;
      clear(it.err);
      it.wrap.classList.remove('field-invalid');
      it.input.removeAttribute('aria-invalid');
      it.input.setAttribute('aria-describedby', [it.hintId].filter(Boolean).join(' '));
      if (!it.hintId) it.input.removeAttribute('aria-describedby');
    }
    clear(summary);
    if (!list.length) { summary.hidden = true; return; }
    summary.hidden = false;
    append(summary, [
      h('h2', { class: 'error-summary-title' }, t('form.error_summary')),
      h('ul', null, list.map((e) => {
        const it = e.name && items[e.name];
        if (it) {
          append(it.err, [h('span', { class: 'visually-hidden' }, `${t('form.error_prefix')} `), e.text]);
          it.err.hidden = false;
          it.wrap.classList.add('field-invalid');
          it.input.setAttribute('aria-invalid', 'true');
          it.input.setAttribute('aria-describedby', [it.hintId, it.errId].filter(Boolean).join(' '));
          return h('li', null, h('a', {
            href: `#${it.id}`,
            onclick: (ev) => { ev.preventDefault(); it.input.focus(); },
          }, e.text));
        }
        return h('li', null, e.text);
      })),
    ]);
    summary.focus();
  }

  el.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const values = {};
    for (const [name, it] of Object.entries(items)) values[name] = it.input.value;
    const errors = [];
    for (const [name, it] of Object.entries(items)) {
      const f = it.spec;
      const v = values[name];
      let key = null;
      if (f.required && String(v).trim() === '') key = f.requiredKey || 'form.required';
      else if (f.maxBytes && new TextEncoder().encode(v).length > f.maxBytes) key = 'form.too_long';
      else if (f.validate) key = f.validate(v, values);
      if (key) errors.push({ name, text: t(key, { label: t(f.label) }) });
    }
    if (errors.length) { showErrors(errors); return; }
    submit.disabled = true;
    el.setAttribute('aria-busy', 'true');
    try {
      await spec.onSubmit(values);
      if (el.isConnected) showErrors([]);
    } catch (e) {
      if (!el.isConnected) return;
      if (e && e.fieldErrors) {
        showErrors(Object.entries(e.fieldErrors).map(([name, key]) => ({ name, text: t(key) })));
      } else if (e instanceof ApiError) {
        const name = spec.fieldFor ? spec.fieldFor(e) : null;
        showErrors([{ name, text: problemText(e) }]);
      } else {
        showErrors([{ text: t('problem.generic') }]);
        console.warn('form', e && e.message);
      }
    } finally {
      submit.disabled = false;
      el.removeAttribute('aria-busy');
    }
  });
  el.fields = items;
  el.showErrors = showErrors;
  return el;
}

/** Throw this from onSubmit to mark fields: fieldError({name: key}). */
export function fieldError(map) { return { fieldErrors: map }; }

let openDialogs = [];

/** Close every open dialog (wipe). */
export function closeAllDialogs() {
  for (const d of openDialogs) { try { d.close(); } catch (e) { /* gone */ } d.remove(); }
  openDialogs = [];
}

/**
 * A modal dialog. build(close) returns the body nodes; close(value)
 * resolves the promise. Escape resolves with null.
 */
export function dialog(titleKey, build, vars, cls) {
  return new Promise((resolve) => {
    const titleId = nextId('dlg');
    const d = h('dialog', { class: `dialog ${cls || ''}`, 'aria-labelledby': titleId });
    let done = false;
    const close = (v) => {
      if (done) return;
      done = true;
      try { d.close(); } catch (e) { /* already */ }
      d.remove();
      openDialogs = openDialogs.filter((x) => x !== d);
      resolve(v);
    };
    d.addEventListener('cancel', (ev) => { ev.preventDefault(); close(null); });
    append(d, [h('h2', { id: titleId, class: 'dialog-title' }, t(titleKey, vars)), build(close)]);
    document.body.appendChild(d);
    openDialogs.push(d);
    d.showModal();
    const first = d.querySelector('input, textarea, select, button');
    if (first) first.focus();
  });
}

/** A dialog with a form in it; resolves with the form's result or null. */
export function formDialog(titleKey, explain, spec, vars) {
  return dialog(titleKey, (close) => {
    const f = form({
      ...spec,
      secondary: h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => close(null) }, t(spec.cancel || 'common.cancel')),
      onSubmit: async (values) => { const r = await spec.onSubmit(values); close(r === undefined ? true : r); },
    });
    return h('div', null, explain, f);
  }, vars);
}

/** Ask before something that matters; resolves true when confirmed. */
export function confirmDialog(titleKey, body, confirmKey, opts = {}) {
  return dialog(titleKey, (close) => h('div', null, body,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: opts.danger ? 'btn btn-danger' : 'btn', onclick: () => close(true) }, t(confirmKey, opts.vars)),
      h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => close(false) }, t('common.cancel')))),
  opts.vars).then((v) => v === true);
}
