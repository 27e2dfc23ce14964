// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Two-factor login in the web UI (issue 14): a caseworker sets it up from
// the account side (QR code shown as an image, the secret as text, one
// code proven, the recovery codes shown once with "store these now"),
// logs out, logs in with a code computed here (node's createHmac('sha1')
// over the secret the page showed), and a replay of that code is refused
// with the one wrong-credentials message. A script payload typed into the
// code field stays text. A coordinator's policy switch requires two-factor
// login of everyone (its password dialog says so), and a caseworker
// without it is held on the enrolment screen until they prove a code.
// Once on, new recovery codes replace the old ones (review L2, in
// Russian).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';

import { startCorridor } from './harness.mjs';
import {
  openApp, login, fill, press, waitText, goHash, bodyText, assertClean, assertInert, labelOf, XSS_IMG,
} from './ui.mjs';

let env;

before(async () => { env = await startCorridor(); });
after(async () => {
  if (env) {
    const rc = await env.close();
    assert.equal(rc, 0, 'corridor serve did not exit cleanly');
  }
});

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/\s+/g, '')) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code of secret (base32) at time step step. */
function totp(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const bin = mac.readUInt32BE(off) & 0x7fffffff;
  return String(bin % 1000000).padStart(6, '0');
}

const nowStep = () => Math.floor(Date.now() / 1000 / 30);

/**
 * Log in through the form with a second-factor code; returns the status
 * of POST /session once the page has drawn its outcome (an error summary
 * left by an earlier try must not count as this one's).
 */
async function loginWithCode(page, username, password, code) {
  await page.waitForSelector('input[autocomplete="username"]');
  await fill(page, await labelOf(page, 'input[autocomplete="username"]'), username);
  await fill(page, await labelOf(page, 'input[autocomplete="current-password"]'), password);
  await fill(page, await labelOf(page, 'input[autocomplete="one-time-code"]'), code);
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/session') &&
    r.request().method() === 'POST', { timeout: 60000 });
  await page.click('form button[type="submit"]');
  const status = (await answer).status();
  if (status === 201) await page.waitForSelector('header nav', { timeout: 30000 });
  else await page.waitForSelector('.error-summary:not([hidden])', { timeout: 30000 });
  await page.waitForFunction(() => !document.querySelector('main .loading'), { timeout: 15000 });
  return status;
}

/** On the two-factor screen: begin, read the secret, prove a code. Returns {secret, codes, step}. */
async function enrolThroughUi(page, password) {
  await press(page, 'Set up two-factor login');
  await page.waitForSelector('img.qr');
  const img = await page.$eval('img.qr', (e) => ({ src: e.getAttribute('src'), alt: e.alt }));
  assert.match(img.src, /^data:image\/svg\+xml;base64,/);
  assert.equal(img.alt, 'QR code for your authenticator app');
  const secret = await page.$eval('[data-secret]', (e) => e.getAttribute('data-secret'));
  assert.match(secret, /^[A-Z2-7]{32}$/);
  // shown grouped for typing
  assert.equal(await page.$eval('[data-secret]', (e) => e.textContent.replace(/ /g, '')), secret);
  const step = nowStep();
  await fill(page, 'Code from the app', totp(secret, step));
  // a wrong password completes nothing and says which field is wrong
  await fill(page, 'Current password', password + 'x');
  await press(page, 'Switch on two-factor login');
  await waitText(page, 'The current password is not right.');
  await fill(page, 'Current password', password);
  await press(page, 'Switch on two-factor login');
  await waitText(page, 'Store these codes now. They are shown only this once.');
  const codes = await page.$$eval('ol.recovery-codes li', (els) => els.map((e) => e.textContent));
  assert.equal(codes.length, 10);
  for (const c of codes) assert.match(c, /^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
  await press(page, 'I have stored these codes');
  await page.waitForFunction(() => !document.querySelector('ol.recovery-codes'), { timeout: 15000 });
  return { secret, codes, step };
}

test('enrol, log out, log in with a code; a replayed code is refused', async () => {
  const u = await env.createUser('tf-cw', 'caseworker');
  const page = await openApp(env);
  await login(page, u.username, u.password);
  await goHash(page, '#/two-factor');
  await waitText(page, 'With two-factor login, your password alone is not enough');
  const { secret, codes, step } = await enrolThroughUi(page, u.password);
  // the codes are gone from the page once stored
  const shown = await bodyText(page);
  for (const c of codes) assert.ok(!shown.includes(c), 'a recovery code is still shown');
  await goHash(page, '#/two-factor');
  await waitText(page, 'Two-factor login is on for your account. Recovery codes left: 10.');

  await press(page, 'Log out');
  await waitText(page, 'You have logged out.');
  // the next step's code: inside the skew, newer than the enrolment's
  // (from now, not from the enrolment: a slow machine may have moved on)
  const code = totp(secret, Math.max(step, nowStep()) + 1);
  assert.equal(await loginWithCode(page, u.username, u.password, code), 201);
  assert.ok(await page.$('header nav'), 'not logged in with a good code');

  await press(page, 'Log out');
  await waitText(page, 'You have logged out.');
  // the same code again: refused, with the one message for any wrong factor
  assert.equal(await loginWithCode(page, u.username, u.password, code), 401);
  await waitText(page, 'The username, password or code is not right.');
  assert.equal(await page.$('header nav'), null);

  // a script payload in the code field: refused by the server (not a
  // code), shown as text, never run
  assert.equal(await loginWithCode(page, u.username, u.password, XSS_IMG), 422);
  await assertInert(page);
  // a recovery code logs in, once
  assert.equal(await loginWithCode(page, u.username, u.password, codes[0].toUpperCase()), 201);
  assert.ok(await page.$('header nav'), 'not logged in with a recovery code');
  assertClean(env, page, [401, 403, 422]);
  await page.close();
});

test('a coordinator requires two-factor login; a caseworker without it is held on enrolment', async () => {
  const cw = await env.createUser('tf-held', 'caseworker');
  const page = await openApp(env);
  await login(page, 'coord', env.coordPassword);
  await goHash(page, '#/two-factor');
  // the switch refuses a coordinator who has no two-factor login of their own
  await press(page, 'Require two-factor login for everyone');
  // the switch needs a fresh password confirmation: the reauth dialog,
  // which says what it is for (not the organisation's key)
  await waitText(page, 'Confirm it is you');
  await waitText(page, 'Changing whether everyone must use two-factor login affects every account.');
  await fill(page, 'Your password', env.coordPassword);
  await press(page, 'Confirm and continue');
  await waitText(page, 'Set up two-factor login for your own account before you require it of everyone.');
  const { secret } = await enrolThroughUi(page, env.coordPassword);
  await goHash(page, '#/two-factor');
  // confirmed a moment ago: no second prompt
  await press(page, 'Require two-factor login for everyone');
  await waitText(page, 'Every account must use two-factor login.');
  await press(page, 'Log out');
  await page.close();

  const p2 = await openApp(env, { lang: 'ru' });
  await login(p2, cw.username, cw.password);
  await waitText(p2, 'Ваша организация требует двухфакторный вход.');
  assert.equal(await p2.evaluate(() => location.hash), '#/two-factor');
  // no other screen: the case list sends back here
  await p2.evaluate(() => { location.hash = '#/cases'; });
  await p2.waitForFunction(() => location.hash === '#/two-factor', { timeout: 15000 });
  await press(p2, 'Включить двухфакторный вход');
  await p2.waitForSelector('img.qr');
  const s2 = await p2.$eval('[data-secret]', (e) => e.getAttribute('data-secret'));
  await fill(p2, 'Код из приложения', totp(s2, nowStep()));
  await fill(p2, 'Текущий пароль', cw.password);
  await press(p2, 'Включить двухфакторный вход');
  await waitText(p2, 'Сохраните эти коды сейчас. Они показываются только один раз.');
  const first = await p2.$$eval('ol.recovery-codes li', (els) => els.map((e) => e.textContent));
  await press(p2, 'Я сохранил(а) эти коды');
  await p2.waitForFunction(() => location.hash === '#/cases', { timeout: 15000 });
  // new recovery codes (review L2), in Russian: the password and the next
  // code from the app; ten new ones, shown once, none of the old
  await goHash(p2, '#/two-factor');
  await fill(p2, 'Код из приложения', totp(s2, nowStep() + 1));
  await fill(p2, 'Текущий пароль', cw.password);
  await press(p2, 'Создать новые резервные коды');
  await waitText(p2, 'Сохраните эти коды сейчас. Они показываются только один раз.');
  const fresh = await p2.$$eval('ol.recovery-codes li', (els) => els.map((e) => e.textContent));
  assert.equal(fresh.length, 10);
  for (const c of fresh) assert.ok(!first.includes(c), 'a renewed code repeats an old one');
  await press(p2, 'Я сохранил(а) эти коды');
  await waitText(p2, 'Новые резервные коды созданы. Старые больше не работают.');
  assert.equal(await p2.$('ol.recovery-codes'), null);
  assertClean(env, p2, [403]);
  await p2.close();

  // the policy back off, through the API with a code of the coordinator's
  const s = await env.expect(201, 'POST', '/session', {
    body: { username: 'coord', password: env.coordPassword, code: totp(secret, nowStep() + 1) } });
  await env.expect(403, 'PUT', '/settings/two-factor', { token: s.token, body: { required: false } });
  await env.expect(204, 'POST', '/session/confirm', { token: s.token, body: { password: env.coordPassword } });
  await env.expect(200, 'PUT', '/settings/two-factor', { token: s.token, body: { required: false } });
});
