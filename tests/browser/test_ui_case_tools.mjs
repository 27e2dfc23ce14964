// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The case file's documents and the "have we seen this person before?"
// box (issue 15), through the real UI, each able to fail:
// - a file uploaded with the file input goes as the raw body of one
//   request (Content-Type, X-Filename percent-encoded, nothing in the
//   URL), comes back through "Download" byte for byte, by a blob: URL
//   that is revoked once used; "Delete" asks first, says the file is
//   crypto-shredded, and the server then has no such file;
// - a script payload as the filename, and in the person of a case that a
//   lookup finds, renders as text and never runs;
// - the lookup box answers match (codename, whom to ask) and no match,
//   on the new-case screen and on a case; a new case whose phone number
//   is known shows the server's warning on its case file; a coordinator's
//   "Index older cases" runs the re-index.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { startCorridor } from './harness.mjs';
import {
  login, fill, press, waitText, goHash, bodyText, assertClean, assertInert, XSS_IMG, XSS_SCRIPT,
} from './ui.mjs';

const PHONE = '+7 928 700-11-22';
let env;
let cwA;
let cwB;
let known;          // cwA's case holding PHONE, with a script payload as its name

/** The app, with blob: URL creation and revocation recorded. */
async function openRecorded() {
  const page = await env.newPage();
  await page.evaluateOnNewDocument(() => {
    window.__blobs = [];
    window.__revoked = [];
    const create = URL.createObjectURL.bind(URL);
    const revoke = URL.revokeObjectURL.bind(URL);
    URL.createObjectURL = (b) => { const u = create(b); window.__blobs.push({ url: u, blob: b }); return u; };
    URL.revokeObjectURL = (u) => { window.__revoked.push(u); revoke(u); };
  });
  await page.goto(env.origin + '/', { waitUntil: 'networkidle0' });
  await page.waitForFunction(() => document.documentElement.dataset.corridorApp === 'loaded', { timeout: 15000 });
  return page;
}

before(async () => {
  env = await startCorridor();
  cwA = await env.createUser('cw-anna', 'caseworker');
  cwB = await env.createUser('cw-boris', 'caseworker');
  const tok = await env.login(cwA.username, cwA.password);
  known = await env.createCase(tok, { person: { name: XSS_SCRIPT, phone: PHONE } });
  await env.logout(tok);
});
after(async () => {
  if (env) assert.equal(await env.close(), 0);
});

test('upload, download byte for byte, delete: a payload as the filename stays text', async () => {
  const dir = fs.mkdtempSync(path.join(env.tmp, 'up-'));
  const name = `${XSS_IMG}.txt`;
  const file = path.join(dir, name);
  // 200 KiB over several 64 KiB chunks, every byte value, no image magic
  const bytes = Buffer.concat([Buffer.from('x'), crypto.randomBytes(200 * 1024)]);
  fs.writeFileSync(file, bytes);

  const page = await openRecorded();
  const uploads = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().includes('/attachments')) {
      uploads.push({ url: r.url(), type: r.headers()['content-type'], name: r.headers()['x-filename'] });
    }
  });
  await login(page, cwA.username, cwA.password);
  await goHash(page, `#/cases/${known.id}`);
  await waitText(page, 'Documents and photos');
  await waitText(page, 'No documents or photos yet.');
  const input = await page.waitForSelector('#attachments input[type="file"]');
  await input.uploadFile(file);
  await press(page, 'Upload');
  await waitText(page, `${name} was added.`);
  assert.equal(uploads.length, 1);
  assert.equal(uploads[0].type, 'text/plain');
  assert.equal(uploads[0].name, encodeURIComponent(name));
  assert.ok(!uploads[0].url.includes('img') && new URL(uploads[0].url).search === '', 'the name went into the URL');
  await assertInert(page);

  await press(page, `Download ${name}`);
  await page.waitForFunction(() => window.__blobs.length === 1 && window.__revoked.length === 1, { timeout: 15000 });
  const got = await page.evaluate(async () => {
    const b = window.__blobs[0];
    const buf = new Uint8Array(await b.blob.arrayBuffer());
    return { url: b.url, revoked: window.__revoked[0], hex: Array.from(buf, (x) => x.toString(16).padStart(2, '0')).join('') };
  });
  assert.equal(got.revoked, got.url, 'the blob URL was not revoked');
  assert.ok(got.url.startsWith('blob:'), got.url);
  assert.equal(got.hex, bytes.toString('hex'), 'the download differs from the upload');
  assert.equal(await page.$$eval('a[download]', (a) => a.length), 0, 'the download link stayed in the page');

  await press(page, `Delete ${name}`);
  await page.waitForSelector('dialog[open]');
  const said = await page.$eval('dialog[open]', (d) => d.innerText);
  assert.match(said, /crypto-shredded/);
  assert.ok(said.includes(name), 'the dialog does not name the file');
  await assertInert(page);
  await press(page, `Delete ${name} for good`);
  await waitText(page, `${name} was deleted and can never be opened again.`);
  await waitText(page, 'No documents or photos yet.');
  const tok = await env.login(cwA.username, cwA.password);
  const list = await env.expect(200, 'GET', `/cases/${known.id}/attachments`, { token: tok });
  assert.deepEqual(list.attachments, []);
  await env.logout(tok);
  await assertInert(page);
  assertClean(env, page);
  for (const u of page.requests) assert.ok(!u.includes('onerror') && !u.includes('blob%3A'), u);
  await page.close();
});

test('lookup: match and no match on the new-case screen; a known phone warns on the new case', async () => {
  const page = await openRecorded();
  const sent = [];
  page.on('request', (r) => { if (r.url().includes('/cases/lookup')) sent.push({ url: r.url(), body: r.postData() }); });
  await login(page, cwB.username, cwB.password);
  await goHash(page, '#/cases/new');
  await waitText(page, 'Have we seen this person before?');

  await fill(page, 'Phone number to check', '8 928 700 11 22');
  await press(page, 'Check');
  await waitText(page, 'This phone number already belongs to a case.');
  let text = await bodyText(page);
  assert.ok(text.includes(known.codename), 'the codename is not shown');
  assert.ok(text.includes('ask a coordinator'), text);
  assert.ok(!text.includes('<script>'), 'content of the matching case was shown');
  await assertInert(page);
  assert.equal(await page.$eval('#lookup input[name="lookup_phone"]', (e) => e.value), '', 'the term stayed in the field');

  await fill(page, 'Name to check', 'Nobody Atall');
  await press(page, 'Check');
  await waitText(page, 'No case holds this name.');

  // both at once is refused in the page
  await fill(page, 'Phone number to check', '+49 30 1234567');
  await fill(page, 'Name to check', 'Someone');
  await press(page, 'Check');
  await waitText(page, 'Check a phone number or a name, not both at once.');
  assert.equal(sent.length, 2);
  for (const s of sent) {
    assert.equal(new URL(s.url).search, '', 'a term went into the URL');
    assert.ok(s.body && (s.body.includes('phone') || s.body.includes('name')));
  }

  // the new case itself: its phone number is known
  await fill(page, 'Region', 'Chechnya');
  await page.$eval('#main form:not(.lookup-form) input[name="person_phone"]', (e) => { e.focus(); });
  await page.keyboard.type(PHONE);
  await page.$eval('#main form:not(.lookup-form)', (f) => f.requestSubmit());
  await waitText(page, 'The phone number of this new case already belongs to another case.');
  text = await bodyText(page);
  assert.ok(text.includes(known.codename));
  await assertInert(page);

  // on the case file, the box finds the case itself by name
  await fill(page, 'Name to check', XSS_SCRIPT);
  await press(page, 'Check');
  await waitText(page, 'This name already belongs to a case.');
  text = await bodyText(page);
  assert.ok(text.includes(known.codename));
  await assertInert(page);
  assertClean(env, page);
  await page.close();
});

test('a coordinator indexes older cases from the lookup box', async () => {
  const page = await openRecorded();
  await login(page, 'coord', env.coordPassword, { reauth: true });
  await goHash(page, '#/cases/new');
  await waitText(page, 'Index older cases');
  await press(page, 'Index older cases');
  await waitText(page, 'cases were indexed');
  assert.match(await bodyText(page), /0 cases were indexed/, 'every case was indexed already');
  // the org key needs a fresh password: asked once (403 reauth-required)
  assert.equal(page.reauths, 1);
  assertClean(env, page, [403]);
  await page.close();
});

