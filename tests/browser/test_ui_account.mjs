// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The account screens of issue 14, each able to fail: the sessions list
// shows both sessions with their client labels as text (script payloads
// given at login, through the API and through the login form, never run
// and never become elements), and "End session" ends the other session
// on the server; the panic button asks first (Cancel changes nothing),
// then ends every session and erases the key: the login screen says so,
// and the password no longer logs in. An admin in the Russian UI burns a
// colleague's access with a Cyrillic reason (a raw header value made
// fetch throw before the reason was UTF-8 encoded). The recovery flow: a
// coordinator resets an account with a reason and the password again,
// the person enrols, and a re-seal with a fingerprint that is not theirs
// seals nothing, with theirs gives the case back (script payloads in both
// reasons stay text).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startCorridor, randomPassword } from './harness.mjs';
import { openApp, fill, login, waitText, goHash, assertClean, assertInert, docsShotAs, XSS_IMG, XSS_SCRIPT } from './ui.mjs';

let env;
let cw;

before(async () => {
  env = await startCorridor();
  cw = await env.createUser('cw-sessions', 'caseworker');
});
after(async () => {
  if (env) assert.equal(await env.close(), 0);
});

/** Type into the main form's field called name (typeInto, below). */
function typeByName(page, name, value) {
  return typeInto(page, `main form [name="${name}"]`, value);
}

async function loginWithLabel(page, user, label) {
  await page.waitForSelector('input[autocomplete="username"]');
  await fill(page, 'Username', user.username);
  await fill(page, 'Password', user.password);
  await fill(page, 'Name for this device (optional)', label);
  await page.click('form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('header nav'), { timeout: 20000 });
  await page.waitForFunction(() => !document.querySelector('main .loading'), { timeout: 15000 });
}

test('sessions list: labels are text, "End session" ends the other one', async () => {
  const other = await env.expect(201, 'POST', '/session',
    { body: { username: cw.username, password: cw.password, client: XSS_SCRIPT } });
  const page = await openApp(env);
  await loginWithLabel(page, cw, XSS_IMG);
  await goHash(page, '#/security');
  await waitText(page, 'Where you are logged in');
  const labels = await page.$$eval('#sessions .client-label', (els) => els.map((e) => e.textContent));
  assert.deepEqual(labels.sort(), [XSS_IMG, XSS_SCRIPT].sort());
  assert.equal(await page.$$eval('#sessions tbody tr', (r) => r.length), 2);
  await assertInert(page);
  assert.equal((await env.api('GET', '/me', { token: other.token })).status, 200);
  // the row that is not "this session"
  const buttons = await page.$$('#sessions tbody tr button');
  const texts = await Promise.all(buttons.map((b) => b.evaluate((e) => e.textContent)));
  const i = texts.indexOf('End session');
  assert.ok(i >= 0, texts.join('|'));
  await buttons[i].click();
  await page.waitForSelector('dialog[open]');
  await page.click('dialog[open] .actions .btn:not(.btn-secondary)');
  await waitText(page, 'The session has ended.');
  assert.equal(await page.$$eval('#sessions tbody tr', (r) => r.length), 1);
  assert.equal((await env.api('GET', '/me', { token: other.token })).status, 401);
  // the login history shows the logins
  assert.ok(await page.$$eval('#logins li', (l) => l.length) >= 2);
  await assertInert(page);
  assertClean(env, page);
  await page.close();
});

test('panic: asks first, then burns the access', async () => {
  const page = await openApp(env);
  await loginWithLabel(page, cw, 'laptop');
  await goHash(page, '#/security');
  await page.click('#burn');
  await page.waitForSelector('dialog[open]');
  assert.ok((await page.$eval('dialog[open]', (d) => d.innerText)).includes('cannot be undone'));
  await page.click('dialog[open] .btn-secondary');        // Cancel
  await page.waitForFunction(() => !document.querySelector('dialog[open]'));
  const tok = await env.login(cw.username, cw.password);   // still works
  await page.click('#burn');
  await page.waitForSelector('dialog[open]');
  await page.click('dialog[open] .btn-danger');
  await waitText(page, 'Your access has been burnt');
  assert.equal(new URL(page.url()).hash, '#/');
  assert.equal((await env.api('GET', '/me', { token: tok })).status, 401);
  const r = await env.api('POST', '/session', { body: { username: cw.username, password: cw.password } });
  assert.equal(r.status, 401);
  assertClean(env, page);
  await page.close();
});

test('panic of another account from the Russian UI, with a Cyrillic reason', async () => {
  const ad = await env.createUser('ad-panic', 'admin');
  await env.createUser('au-panic', 'auditor');   // a reason is sealed to the auditors
  const target = await env.createUser('cw-detained', 'caseworker');
  const tok = await env.login(target.username, target.password);
  const page = await openApp(env, { lang: 'ru' });
  await login(page, ad.username, ad.password);
  await goHash(page, '#/users');
  await page.waitForFunction((name) => [...document.querySelectorAll('main button.btn-danger')]
    .some((b) => b.textContent === `Уничтожить доступ: ${name}`), { timeout: 15000 }, target.username);
  await page.evaluate((name) => [...document.querySelectorAll('main button.btn-danger')]
    .find((b) => b.textContent === `Уничтожить доступ: ${name}`).click(), target.username);
  await page.waitForSelector('dialog[open]');
  await page.type('dialog[open] textarea, dialog[open] input:not([type=hidden])', 'Задержан на блокпосту');
  await page.click('dialog[open] .btn-danger');
  await page.waitForFunction(() => !document.querySelector('dialog[open]'), { timeout: 30000 });
  assert.equal((await env.api('GET', '/me', { token: tok })).status, 401);
  const r = await env.api('POST', '/session', { body: { username: target.username, password: target.password } });
  assert.equal(r.status, 401);
  assertClean(env, page);
  await page.close();
});

test('duress password: set on the Security screen; a password change warns and says it is gone', async () => {
  const u = await env.createUser('cw-duress-ui', 'caseworker');
  const duress = randomPassword('du-');
  const fresh = randomPassword('nw-');
  const page = await openApp(env);
  await login(page, u.username, u.password);
  await goHash(page, '#/security');
  await waitText(page, 'Set duress password');
  // by name: the section heading is also called "Duress password"
  await typeByName(page, 'password', u.password);
  await typeByName(page, 'duress_password', duress);
  await typeByName(page, 'duress_password2', duress);
  await page.click('main form button[type="submit"]');
  await waitText(page, 'Your duress password is set.', 60000);
  await docsShotAs(page, 'security-en');
  await goHash(page, '#/password');
  await page.waitForSelector('#duress-warning');
  await typeByName(page, 'old_password', u.password);
  await typeByName(page, 'new_password', fresh);
  await typeByName(page, 'new_password2', fresh);
  await page.click('main form button[type="submit"]');
  await waitText(page, 'Your duress password was removed', 60000);
  await docsShotAs(page, 'password-changed-duress-en');
  // the server agrees: the duress password opens nothing, /me says none is set
  const r = await env.api('POST', '/session', { body: { username: u.username, password: duress } });
  assert.equal(r.status, 401);
  const tok = await env.login(u.username, fresh);
  assert.equal((await env.expect(200, 'GET', '/me', { token: tok })).duress_set, false);
  await goHash(page, '#/password');
  await waitText(page, 'Change password');
  assert.equal(await page.$('#duress-warning'), null);
  assertClean(env, page);
  await page.close();
});

/** Type into the field sel finds (cleared first), again if a redraw ate it. */
async function typeInto(page, sel, value) {
  for (let i = 0; i < 5; i++) {
    await page.waitForSelector(sel);
    await page.$eval(sel, (e) => { e.value = ''; });
    await page.type(sel, value);
    if (await page.$eval(sel, (e) => e.value).catch(() => null) === value) return;
  }
  throw new Error(`could not fill ${sel}`);
}

/** Click the button in main whose text is exactly text. */
async function clickButton(page, text) {
  await page.waitForFunction((x) => [...document.querySelectorAll('main button')]
    .some((b) => b.textContent === x), { timeout: 20000 }, text);
  await page.evaluate((x) => [...document.querySelectorAll('main button')]
    .find((b) => b.textContent === x).click(), text);
}

test('recovery: a reset with a reason and the password again, a re-seal only with the fingerprint read aloud', async () => {
  await env.createUser('au-recovery', 'auditor');    // reasons are sealed to the auditors
  const u = await env.createUser('cw-recover', 'caseworker');
  let tok = await env.login(u.username, u.password);
  const c = await env.createCase(tok, { person: { name: 'Recovered Person' } });
  const page = await openApp(env);
  await login(page, 'coord', env.coordPassword, { reauth: true });
  await goHash(page, '#/users');
  await clickButton(page, `Reset ${u.username}`);
  await typeInto(page, 'dialog[open] [name="reason"]', XSS_SCRIPT);
  await page.click('dialog[open] form button[type="submit"]');
  // the password prompt (403 reauth-required) is answered by autoReauth
  await page.waitForSelector('#reset-password', { timeout: 60000 });
  assert.ok(page.reauths >= 1, 'the reset did not ask for the password again');
  const first = await page.$eval('#reset-password', (e) => e.textContent);
  assert.equal((await env.api('GET', '/me', { token: tok })).status, 401);
  assert.equal((await env.api('POST', '/session', { body: { username: u.username, password: u.password } })).status, 401);
  // the person enrols again; their case waits for the coordinator
  const pw = await env.enrol(u.username, first);
  tok = await env.login(u.username, pw);
  const me = await env.expect(200, 'GET', '/me', { token: tok });
  assert.equal(me.cases_waiting, 1);
  assert.match(me.pk_fingerprint, /^(\d{5} ){5}\d{5}$/);
  assert.notEqual((await env.api('GET', `/cases/${c.id}`, { token: tok })).status, 200);
  // a fingerprint that is not theirs seals nothing
  await goHash(page, '#/alerts');
  await clickButton(page, `Re-seal for ${u.username}`);
  const wrong = me.pk_fingerprint.replace(/^\d/, (d) => String((Number(d) + 1) % 10));
  await typeInto(page, 'dialog[open] [name="fingerprint"]', wrong);
  await typeInto(page, 'dialog[open] [name="reason"]', XSS_IMG);
  await page.click('dialog[open] form button[type="submit"]');
  await waitText(page, 'That is not the fingerprint of this person', 60000);
  assert.notEqual((await env.api('GET', `/cases/${c.id}`, { token: tok })).status, 200);
  await docsShotAs(page, 'coordinator-alerts-en');
  await clickButton(page, `Re-seal for ${u.username}`);
  await typeInto(page, 'dialog[open] [name="fingerprint"]', me.pk_fingerprint);
  await docsShotAs(page, 'coordinator-reseal-en');
  await typeInto(page, 'dialog[open] [name="reason"]', XSS_IMG);
  await page.click('dialog[open] form button[type="submit"]');
  await waitText(page, `1 cases re-sealed for ${u.username}.`, 60000);
  const r = await env.expect(200, 'GET', `/cases/${c.id}`, { token: tok });
  assert.equal(r.person.name, 'Recovered Person');
  await assertInert(page);
  assertClean(env, page, [403, 409]);
  await page.close();
});
