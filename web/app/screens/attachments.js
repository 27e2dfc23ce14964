// SPDX-License-Identifier: AGPL-3.0-or-later
// attachments: the documents and photos section of a case file (issue 15,
// docs/cases.md "Attachments"). List, upload, download, delete.
//
// Upload: the chosen File goes as the raw body of one fetch (the browser
// streams it from disk), its media type in Content-Type and its name,
// percent-encoded UTF-8, in X-Filename: no name ever goes into a URL.
// Download: the bytes come back as a Blob, handed to the browser through
// a blob: URL on a temporary <a download>, and the URL is revoked as soon
// as the download has started: nothing of the file stays reachable from
// the page, and no secret is in any URL. Delete asks first and says what
// it means: the file's key is destroyed (crypto-shredded), for good.
// Names are shown as text only (dom.js): a filename cannot become markup.

import { h } from '../dom.js';
import { t, formatNumber } from '../i18n.js';
import { api } from '../api.js';
import { confirmDialog, timeEl, problemText, notice } from '../ui.js';

// server/limits.h MAX_ATTACHMENT_BYTES, and route_attach.c's allow-list
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
export const MEDIA_TYPES = ['image/jpeg', 'image/png', 'application/pdf', 'text/plain'];

/** The media type to send for f, or null if the server would refuse it. */
function mediaTypeOf(f) {
  const type = (f.type || '').toLowerCase();
  if (MEDIA_TYPES.includes(type)) return type;
  const ext = (f.name.match(/\.([a-z0-9]+)$/i) || [])[1];
  const byExt = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', pdf: 'application/pdf', txt: 'text/plain' };
  return ext ? byExt[ext.toLowerCase()] || null : null;
}

function sizeText(n) {
  if (n < 1024) return t('attach.bytes', { n: formatNumber(n) });
  if (n < 1024 * 1024) return t('attach.kib', { n: formatNumber(Math.round(n / 1024)) });
  return t('attach.mib', { n: formatNumber(Math.round((n / (1024 * 1024)) * 10) / 10) });
}

/** Hand blob to the browser as a download named name; revoke the URL. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, class: 'visually-hidden', tabindex: '-1' });
  document.body.appendChild(a);
  try {
    a.click();
  } finally {
    a.remove();
    // the download has taken its reference to the blob on click
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}

/**
 * The section's state and drawing. opts: {path (the case's API path),
 * headers() (the break-glass reason, if any), canWrite() (an assigned
 * caseworker), userName(uid), redraw()}.
 */
export function attachmentsPart(opts) {
  let list = null;          // [{id, filename, media_type, size, created_at, author_id}]
  let msg = null;           // {kind, text}
  let busy = false;

  const base = `${opts.path}/attachments`;

  async function load() {
    const r = await api('GET', base, { headers: opts.headers() });
    list = r.attachments;
  }

  function report(kind, text) {
    msg = { kind, text };
    opts.redraw();
    const n = document.querySelector('#attachments .notice');
    if (n) { n.setAttribute('tabindex', '-1'); n.focus(); }
  }

  async function upload(input) {
    const f = input.files && input.files[0];
    if (!f) { report('error', t('attach.choose_first')); return; }
    const type = mediaTypeOf(f);
    if (!type) { report('error', t('attach.bad_type')); return; }
    if (f.size > MAX_ATTACHMENT_BYTES) { report('error', t('attach.too_big')); return; }
    busy = true;
    opts.redraw();
    try {
      const a = await api('POST', base, {
        raw: f, contentType: type, headers: { 'X-Filename': encodeURIComponent(f.name) },
      });
      list = [...(list || []), a];
      busy = false;
      report('success', t('attach.uploaded', { name: a.filename }));
    } catch (e) {
      busy = false;
      report('error', problemText(e));
    }
  }

  async function download(a) {
    try {
      const blob = await api('GET', `${base}/${encodeURIComponent(a.id)}`, { headers: opts.headers(), as: 'blob' });
      saveBlob(blob, a.filename);
    } catch (e) {
      report('error', problemText(e));
    }
  }

  async function remove(a) {
    const ok = await confirmDialog('attach.delete_title', h('div', null,
      h('p', null, t('attach.delete_body1', { name: a.filename })),
      h('p', { class: 'strong' }, t('attach.delete_body2'))), 'attach.delete_confirm', { vars: { name: a.filename }, danger: true });
    if (!ok) return;
    try {
      await api('DELETE', `${base}/${encodeURIComponent(a.id)}`);
      list = list.filter((x) => x.id !== a.id);
      report('success', t('attach.deleted', { name: a.filename }));
    } catch (e) {
      report('error', problemText(e));
    }
  }

  function row(a) {
    return h('tr', null,
      h('td', null, h('span', { class: 'content filename' }, a.filename)),
      h('td', null, a.media_type),
      h('td', null, sizeText(a.size)),
      h('td', null, timeEl(a.created_at)),
      h('td', null, opts.userName(a.author_id)),
      h('td', { class: 'no-print' },
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => download(a) },
          t('attach.download', { name: a.filename })),
        opts.canWrite() ? [' ', h('button', { type: 'button', class: 'btn btn-danger btn-small', onclick: () => remove(a) },
          t('attach.delete', { name: a.filename }))] : null));
  }

  function uploadForm() {
    const inputId = 'attach-file';
    const input = h('input', {
      type: 'file', id: inputId, name: 'file', accept: [...MEDIA_TYPES, '.jpg', '.jpeg', '.png', '.pdf', '.txt'].join(','),
    });
    return h('form', {
      class: 'attach-upload no-print',
      onsubmit: (ev) => { ev.preventDefault(); if (!busy) upload(input); },
    },
    h('div', { class: 'field' },
      h('label', { for: inputId }, t('attach.file')),
      h('p', { class: 'hint' }, t('attach.file_hint')),
      input),
    h('button', { type: 'submit', class: 'btn', disabled: busy }, t(busy ? 'attach.uploading' : 'attach.upload')));
  }

  function view() {
    return h('section', { 'aria-labelledby': 'sec-attach', id: 'attachments' },
      h('h2', { id: 'sec-attach' }, t('attach.title')),
      msg ? notice(msg.kind, msg.text) : null,
      list === null ? h('p', { class: 'muted' }, t('attach.unavailable'))
        : list.length ? h('table', { class: 'table' },
          h('caption', { class: 'visually-hidden' }, t('attach.title')),
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, t('attach.name')), h('th', { scope: 'col' }, t('attach.type')),
            h('th', { scope: 'col' }, t('attach.size')), h('th', { scope: 'col' }, t('attach.when')),
            h('th', { scope: 'col' }, t('attach.by')), h('th', { scope: 'col', class: 'no-print' }, t('attach.actions')))),
          h('tbody', null, list.map(row)))
          : h('p', { class: 'muted' }, t('attach.none')),
      opts.canWrite() ? uploadForm() : null);
  }

  return { load, view };
}
