// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The coordinator's transfer and import screens (issue 15 part 3). The
// instance is registered as its own partner, under a name that is a
// script payload, so one server can send a case and take it back in.
// The transfer screen: an unknown partner is a humane error beside the
// field; a transfer with a script payload as the reason builds the file
// and offers it for download with its SHA-256. The import screen takes
// that file through a file input and shows the provenance (the payload
// name and reason) as text. No payload runs or becomes an element, no
// console error, no CSP or Trusted Types violation; the screens exist in
// Russian too.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { startCorridor, BIN } from './harness.mjs';
import {
  openApp, login, goHash, waitText, fill, press, bodyText, assertClean, assertInert, XSS_IMG, XSS_SCRIPT,
} from './ui.mjs';

let env;
let caseId;
let codename;

before(async () => {
  env = await startCorridor();
  // the instance key, as an auditor reads it, registered as a partner
  const aud = await env.createUser('aud-key', 'auditor');
  const atok = await env.login(aud.username, aud.password);
  const key = await env.expect(200, 'GET', '/audit/public-key', { token: atok });
  await env.logout(atok);
  const keyFile = path.join(env.tmp, 'self.pub');
  fs.writeFileSync(keyFile, key.vkey + '\n');
  const out = spawnSync(BIN, ['partner', 'add', env.dir, '--name', XSS_IMG, '--public-key', keyFile,
    '--passphrase-file', env.passfile], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  assert.ok(out.stdout.includes(key.fingerprint), out.stdout);
  const ctok = await env.coord();
  const c = await env.createCase(ctok, { region: 'Chechnya', person: { name: 'Transfer Person' }, notes: 'moving on' });
  caseId = c.id;
  codename = c.codename;
  await env.logout(ctok);
});
after(async () => {
  if (env) assert.equal(await env.close(), 0);
});

test('a coordinator transfers a case and imports the file; payloads stay text', async () => {
  const page = await openApp(env);
  await login(page, 'coord', env.coordPassword, { reauth: true });

  // from the case file
  await goHash(page, `#/cases/${caseId}`);
  await waitText(page, 'Hand over to a partner');
  await press(page, 'Transfer this case', 'link');
  await waitText(page, `Transfer case ${codename}`);

  // a partner nobody registered: the error is beside the field
  await fill(page, 'Partner', 'Nobody <b>registered</b>');
  await fill(page, 'Reason for the transfer', XSS_SCRIPT);
  await press(page, 'Build the transfer file');
  await waitText(page, 'No partner is registered under that name');
  await assertInert(page);

  // the registered partner, whose name is a payload
  await fill(page, 'Partner', XSS_IMG);
  // the bytes the page offers: a blob: URL cannot be fetched back under
  // the CSP's connect-src 'self' (nor should it be), so the test keeps the
  // Blob the screen hands to URL.createObjectURL and reads it locally
  await page.evaluate(() => {
    const make = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (b) => { window.__bundleBlob = b; return make(b); };
  });
  await press(page, 'Build the transfer file');
  await waitText(page, 'is ready');
  const bundle = Buffer.from(await page.evaluate(() => new Promise((resolve, reject) => {
    const fr = new FileReader();
    fr.onload = () => resolve(String(fr.result).split(',')[1]);
    fr.onerror = () => reject(new Error('unreadable'));
    fr.readAsDataURL(window.__bundleBlob);
  })), 'base64');
  const link = await page.$eval('main a[download]', (a) => ({ href: a.href, name: a.getAttribute('download') }));
  assert.equal(link.name, `${codename}.corridor-bundle`);
  assert.ok(link.href.startsWith('blob:'), link.href);
  assert.equal(bundle.subarray(0, 8).toString(), 'CRDRXFR1');
  const hash = crypto.createHash('sha256').update(bundle).digest('hex');
  const shown = (await bodyText(page)).replace(/\s+/g, '');
  assert.ok(shown.includes(hash), 'the SHA-256 shown is the file\'s');
  assert.ok(!(await bodyText(page)).includes('moving on'), 'no case content on this screen');
  await assertInert(page);

  // import it back
  const file = path.join(env.tmp, `${codename}.corridor-bundle`);
  fs.writeFileSync(file, bundle);
  await goHash(page, '#/import');
  await waitText(page, 'Import a case from a partner');
  await press(page, 'Import the case');
  await waitText(page, 'Choose a transfer file');
  const input = await page.waitForSelector('main input[type="file"]');
  await input.uploadFile(file);
  await press(page, 'Import the case');
  await waitText(page, 'The case was imported as');
  const text = await bodyText(page);
  assert.ok(text.includes(XSS_IMG), 'the partner name is shown as text');
  assert.ok(text.includes(XSS_SCRIPT), 'the reason is shown as text');
  assert.ok(text.includes(codename), 'the sender\'s codename');
  assert.ok(text.replace(/\s+/g, '').includes(hash));
  await assertInert(page);

  // the same file again: refused, humanely
  await press(page, 'Import another file', 'link');
  const again = await page.waitForSelector('main input[type="file"]');
  await again.uploadFile(file);
  await press(page, 'Import the case');
  await waitText(page, 'This file has been imported already.');

  // and in Russian
  // the header's language button, as a person switches
  await press(page, 'Русский');
  await waitText(page, 'Принять дело от партнёра');
  await goHash(page, `#/cases/${caseId}/transfer`);
  await waitText(page, `Передача дела ${codename}`);
  await assertInert(page);
  // 403: the case file's content asks a coordinator for a reason, and the
  // transfer for a fresh password (answered by autoReauth); 409, 422: above
  assertClean(env, page, [403, 409, 422]);
  assert.ok(page.reauths >= 1, 'the transfer asked for the password');
});
