// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The web UI, one real flow per role, against a real `corridor serve` in
// headless Chromium (issue 13): a caseworker logs two contacts and sees
// them in time order; a coordinator sees the summary but not the content,
// assigns a second caseworker who then sees the case; break-glass asks
// for a reason that the auditor then finds on the entry; the auditor
// downloads the export and `corridor audit verify` accepts it; an admin
// creates a user who must choose a password at first login.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { startCorridor, BIN, randomPassword } from './harness.mjs';
import {
  openApp, login, fill, press, waitText, goHash, bodyText, assertClean, heading,
} from './ui.mjs';

let env;
let cw1;
let cw2;
let auditor;

before(async () => {
  env = await startCorridor();
  cw1 = await env.createUser('cw-one', 'caseworker');
  cw2 = await env.createUser('cw-two', 'caseworker');
  auditor = await env.createUser('auditor1', 'auditor');
});
after(async () => {
  if (env) assert.equal(await env.close(), 0, 'corridor serve did not exit cleanly');
});

test('caseworker: opens a case, logs two contacts, sees them oldest first', async () => {
  const tok = await env.login(cw1.username, cw1.password);
  const c = await env.createCase(tok, { person: { name: 'Person-Alpha-7731' }, notes: 'note-alpha' });
  await env.logout(tok);

  const page = await openApp(env);
  await login(page, cw1.username, cw1.password);
  assert.equal(await heading(page), 'My cases');
  await waitText(page, c.codename);
  // the list gives the last contact (none yet)
  await waitText(page, 'No contact yet');
  await press(page, c.codename, 'link');
  await waitText(page, 'Person-Alpha-7731');
  assert.equal(await page.title(), 'corridor');
  assert.equal(new URL(page.url()).hash, `#/cases/${c.id}`);

  // the later one first: the log must sort by when it happened
  for (const [when, summary] of [['2026-01-02T10:30', 'second-call-B'], ['2026-01-01T09:15', 'first-call-A']]) {
    await fill(page, 'When it happened', when);
    await fill(page, 'Channel', 'Signal');
    await fill(page, 'What was said', summary);
    await fill(page, 'Next steps', `next-${summary}`);
    const before = await page.$$eval('ol li', (lis) => lis.length);
    await press(page, 'Log contact');
    await page.waitForFunction((n) => document.querySelectorAll('ol li').length === n + 1 || document.querySelector('.error-summary:not([hidden])'), {}, before);
    assert.equal(await page.$('.error-summary:not([hidden])'), null, await bodyText(page));
    await waitText(page, 'The contact has been logged.');
  }
  // the form is empty again, ready for the next one
  assert.equal(await page.$eval('textarea[name="summary"]', (e) => e.value), '');
  assert.equal(await page.$eval('input[name="channel"]', (e) => e.value), '');
  const order = async () => page.$$eval('ol li', (lis) => lis.map((li) => li.innerText));
  let items = await order();
  assert.equal(items.length, 2);
  assert.match(items[0], /first-call-A/);
  assert.match(items[1], /second-call-B/);
  assert.match(items[0], /next-first-call-A/);
  // the same order from the server after leaving and coming back
  await goHash(page, '#/cases');
  await goHash(page, `#/cases/${c.id}`);
  await waitText(page, 'first-call-A');
  items = await order();
  assert.ok(items[0].includes('first-call-A') && items[1].includes('second-call-B'), items.join('|'));
  // and the list shows the newest contact's date
  await goHash(page, '#/cases');
  await page.waitForFunction(() => document.querySelector('tbody time'));
  const dt = await page.$eval('tbody time', (e) => e.getAttribute('datetime'));
  assert.ok(dt.startsWith('2026-01-02T'), dt);
  assertClean(env, page);
});

test('coordinator: summary without content; assigns a second caseworker who then sees the case', async () => {
  const tok = await env.login(cw1.username, cw1.password);
  const c = await env.createCase(tok, { region: 'Region-Beta', person: { name: 'Person-Beta-5512' }, notes: 'note-beta-9931' });
  await env.logout(tok);

  const page = await openApp(env);
  await login(page, 'coord', env.coordPassword, { reauth: true });
  assert.equal(await heading(page), 'All cases');
  await waitText(page, c.codename);
  // the filters go to the server, and a filter that matches nothing says so
  await fill(page, 'Region', 'Region-Nowhere');
  await press(page, 'Apply filters');
  await waitText(page, 'No case matches the filters.');
  assert.ok(!(await bodyText(page)).includes(c.codename));
  assert.ok(page.requests.some((u) => u.includes('/api/v1/cases?') && u.includes('region=Region-Nowhere')), page.requests.join(' '));
  await fill(page, 'Region', 'Region-Beta');
  await fill(page, 'Risk', 'high');
  await press(page, 'Apply filters');
  await waitText(page, c.codename);
  const regions = await page.$$eval('tbody tr td:nth-of-type(3)', (tds) => tds.map((td) => td.innerText));
  assert.ok(regions.length && regions.every((r) => r === 'Region-Beta'), regions.join('|'));
  await press(page, c.codename, 'link');
  await waitText(page, 'This case is not assigned to you');
  let text = await bodyText(page);
  assert.ok(text.includes('Region-Beta'));
  assert.ok(!text.includes('Person-Beta-5512') && !text.includes('note-beta-9931'), 'content shown without a reason');

  await fill(page, 'Assign a caseworker', cw2.id);
  await press(page, 'Assign caseworker');
  await waitText(page, 'cw-two is now assigned');
  text = await bodyText(page);
  assert.ok(!text.includes('Person-Beta-5512'));
  assertClean(env, page, [403]);

  const page2 = await openApp(env);
  await login(page2, cw2.username, cw2.password);
  await waitText(page2, c.codename);
  await press(page2, c.codename, 'link');
  await waitText(page2, 'Person-Beta-5512');
  assert.ok((await bodyText(page2)).includes('note-beta-9931'));
  assertClean(env, page2);
});

test('break-glass: the dialog asks for a reason, says it is recorded; the auditor finds it on the entry', async () => {
  const tok = await env.login(cw1.username, cw1.password);
  const c = await env.createCase(tok, { person: { name: 'Person-Gamma-1207' } });
  await env.logout(tok);
  const reason = 'Семья сообщила об угрозе — reason-Gamma-42';

  const page = await openApp(env);
  await login(page, 'coord', env.coordPassword, { reauth: true });
  await goHash(page, '#/cases');
  await press(page, c.codename, 'link');
  await press(page, 'Read this case in an emergency');
  await page.waitForSelector('dialog[open]');
  const dlg = await page.$eval('dialog[open]', (d) => d.innerText);
  assert.match(dlg, /recorded in the audit log/);
  // no reason: the dialog refuses, the case stays closed
  await press(page, 'Record my reason and open the case');
  await waitText(page, 'There is a problem');
  assert.ok(!(await bodyText(page)).includes('Person-Gamma-1207'));
  await fill(page, 'Reason', reason);
  await press(page, 'Record my reason and open the case');
  await waitText(page, 'Person-Gamma-1207');
  await waitText(page, 'Your access and your reason have been recorded.');
  assertClean(env, page, [403]);

  const page2 = await openApp(env);
  await login(page2, auditor.username, auditor.password);
  assert.equal(await heading(page2), 'Audit log');
  await fill(page2, 'Case id', c.id);
  await fill(page2, 'Action', 'case.read');
  await press(page2, 'Apply filters');
  await waitText(page2, reason);
  const row = await page2.$$eval('tbody tr', (trs) => trs.map((tr) => tr.innerText).join('\n'));
  assert.match(row, /Emergency access/);
  assert.ok(row.includes(reason));
  assertClean(env, page2);
});

test('auditor: downloads the export, and corridor audit verify accepts it', async () => {
  const dir = fs.mkdtempSync(path.join(env.tmp, 'dl-'));
  const page = await openApp(env);
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', {
    behavior: 'allow', downloadPath: dir, browserContextId: page.browserContext().id,
  });
  await login(page, auditor.username, auditor.password);
  await waitText(page, 'Latest signed checkpoint');
  assert.match(await bodyText(page), /the server's current key/);
  // no --witness: the screen says so (docs/audit.md section 14)
  assert.match(await bodyText(page), /This server sends its checkpoints to no witness\./);
  await press(page, 'Download the whole log');
  await waitText(page, 'The log has been downloaded');
  let files = [];
  for (let i = 0; i < 100 && !files.length; i += 1) {
    files = fs.readdirSync(dir).filter((f) => /^corridor-audit-.*\.txt$/.test(f));
    if (!files.length) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(files.length, 1, fs.readdirSync(dir).join(','));

  // the verify page gives the key line; the test pins it as an auditor would
  await press(page, 'How to verify the download', 'link');
  await waitText(page, 'Verify the audit log yourself');
  const text = await bodyText(page);
  assert.ok(text.includes('corridor audit verify corridor-audit-EXPORT.txt --public-key audit.pub'));
  const vkey = await page.$$eval('dd code', (cs) => cs.map((c) => c.textContent).find((s) => s.includes('+')));
  const pub = path.join(dir, 'audit.pub');
  fs.writeFileSync(pub, vkey + '\n');
  const r = spawnSync(BIN, ['audit', 'verify', path.join(dir, files[0]), '--public-key', pub], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^audit verify: OK, \d+ entries/);
  // and the same file with one entry taken out fails: the check can fail
  const bad = path.join(dir, 'bad.txt');
  const lines = fs.readFileSync(path.join(dir, files[0]), 'utf8').split('\n');
  const second = lines.findIndex((l, i) => l.startsWith('entry ') && lines.slice(0, i).some((x) => x.startsWith('entry ')));
  assert.ok(second > 0);
  lines.splice(second, 1);
  fs.writeFileSync(bad, lines.join('\n'));
  const r2 = spawnSync(BIN, ['audit', 'verify', bad, '--public-key', pub], { encoding: 'utf8' });
  assert.equal(r2.status, 1);
  assertClean(env, page);
});

test('admin: creates a user, who must choose a password at first login', async () => {
  const page = await openApp(env);
  await login(page, 'admin', env.adminPassword);
  assert.equal(await heading(page), 'Users');
  await press(page, 'Create a user', 'link');
  await fill(page, 'Username', 'newcomer1');
  await fill(page, 'Role', 'caseworker');
  await press(page, 'Create user');
  await waitText(page, 'newcomer1 has been created');
  const first = await page.$eval('#first-password', (e) => e.textContent);
  assert.match(first, /^[A-Za-z0-9]{20}$/);
  await press(page, 'I have passed it on');
  await waitText(page, 'newcomer1');
  assert.ok(!(await bodyText(page)).includes(first), 'the first password is shown again');
  assertClean(env, page);

  const page2 = await openApp(env);
  await login(page2, 'newcomer1', first);
  assert.equal(new URL(page2.url()).hash, '#/welcome');
  await waitText(page2, 'Your own encryption key is made from your new password');
  // nothing else is reachable before enrolment
  await page2.evaluate(() => { location.hash = '#/cases'; });
  await page2.waitForFunction(() => location.hash === '#/welcome');
  await fill(page2, 'The password you were given', first);
  const chosen = randomPassword('own-');
  await fill(page2, 'New password', chosen);
  await fill(page2, 'New password again', chosen);
  await press(page2, 'Set my password');
  await waitText(page2, 'My cases');
  await waitText(page2, 'Your password is set.');
  assertClean(env, page2);
  // the new password is the one that works now
  await env.logout(await env.login('newcomer1', chosen));
});

test('coordinator confirms a pending coordinator; admin revokes an account, with the dialogs saying what happens', async () => {
  const c2 = await env.createUser('coord-two', 'coordinator');
  const page = await openApp(env);
  await login(page, 'coord', env.coordPassword, { reauth: true });
  await goHash(page, '#/users');
  await waitText(page, 'Waiting for confirmation');
  await press(page, 'Confirm coord-two');
  await page.waitForSelector('dialog[open]');
  assert.match(await page.$eval('dialog[open]', (d) => d.innerText), /read every case/);
  await page.click('dialog[open] .actions button');
  await waitText(page, 'coord-two is now a confirmed coordinator.');
  assertClean(env, page, [403]); // 403 reauth-required once the server asks for a fresh password
  const tok = await env.login(c2.username, c2.password);
  assert.equal((await env.expect(200, 'GET', '/me', { token: tok })).status, 'active');
  await env.logout(tok);

  const victim = await env.createUser('cw-leaving', 'caseworker');
  const pa = await openApp(env);
  await login(pa, 'admin', env.adminPassword);
  await waitText(pa, 'cw-leaving');
  await press(pa, 'Revoke cw-leaving');
  await pa.waitForSelector('dialog[open]');
  const dlg = await pa.$eval('dialog[open]', (d) => d.innerText);
  assert.match(dlg, /can never log in again/);
  assert.match(dlg, /recorded in the audit log/);
  await press(pa, 'Revoke cw-leaving');
  await waitText(pa, 'cw-leaving has been revoked.');
  assertClean(env, pa);
  const r = await env.api('POST', '/session', { body: { username: victim.username, password: victim.password } });
  assert.equal(r.status, 401);
});

test('everyone: change password through the form; the old one stops working', async () => {
  const u = await env.createUser('cw-pw', 'caseworker');
  const page = await openApp(env);
  await login(page, u.username, u.password);
  await press(page, 'Change password', 'link');
  await fill(page, 'Current password', u.password);
  await fill(page, 'New password', 'short');
  await fill(page, 'New password again', 'different');
  await press(page, 'Change password');
  await waitText(page, 'There is a problem');
  const summary = await page.$eval('.error-summary', (e) => e.innerText);
  assert.match(summary, /at least 12 characters/);
  assert.match(summary, /not the same/);
  assert.equal(await page.$$eval('.error-summary a', (as) => as.length), 2);
  await fill(page, 'New password', 'my-own-better-password');
  await fill(page, 'New password again', 'my-own-better-password');
  await press(page, 'Change password');
  await waitText(page, 'Your password has been changed.');
  assert.equal((await env.api('POST', '/session', { body: { username: u.username, password: u.password } })).status, 401);
  await env.logout(await env.login(u.username, 'my-own-better-password'));
  assertClean(env, page);
});

test('coordinator: closes a case, then shreds it after typing its codename', async () => {
  const tok = await env.login(cw1.username, cw1.password);
  const c = await env.createCase(tok, { person: { name: 'Person-Delta-0042' } });
  await env.logout(tok);
  const page = await openApp(env);
  await login(page, 'coord', env.coordPassword, { reauth: true });
  await goHash(page, '#/cases');
  await goHash(page, `#/cases/${c.id}`);
  // closing changes the case: it is offered once the case is open
  assert.equal(await page.$('::-p-aria([name="Close case"][role="button"])'), null);
  await press(page, 'Read this case in an emergency');
  await fill(page, 'Reason', 'Closing: the person is safe abroad');
  await press(page, 'Record my reason and open the case');
  await waitText(page, 'Person-Delta-0042');
  await press(page, 'Close case');
  await page.waitForSelector('dialog[open]');
  assert.match(await page.$eval('dialog[open]', (d) => d.innerText), /retention period/);
  await press(page, `Close case ${c.codename}`);
  await waitText(page, `Case ${c.codename} is closed.`);

  await press(page, 'Shred this case');
  await page.waitForSelector('dialog[open]');
  const dlg = await page.$eval('dialog[open]', (d) => d.innerText);
  assert.match(dlg, /destroyed for ever/);
  assert.match(dlg, /recorded in the audit log/);
  await fill(page, `To confirm, type the codename: ${c.codename}`, 'not-the-codename');
  await press(page, 'Shred the case for ever');
  await waitText(page, 'Type the codename exactly as shown');
  const ct = await env.coord();
  assert.equal((await env.api('GET', '/cases?limit=500', { token: ct })).json.cases.find((x) => x.id === c.id).shredded, false);
  await env.logout(ct);
  await fill(page, `To confirm, type the codename: ${c.codename}`, c.codename);
  await press(page, 'Shred the case for ever');
  await waitText(page, `Case ${c.codename} has been shredded.`);
  assert.equal(new URL(page.url()).hash, '#/cases');
  const row = await page.$$eval('tbody tr', (trs) => trs.map((t) => t.innerText)).then((rs) => rs.find((r) => r.includes(c.codename)));
  assert.match(row, /Shredded/);
  assert.ok(!(await bodyText(page)).includes('Person-Delta-0042'));
  assertClean(env, page, [403]);
});
