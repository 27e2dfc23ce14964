// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The web UI's safety properties (issue 13), each able to fail:
// another case's id in the URL gives a not-found screen; script payloads
// in every free-text field render as text and never run; after logout,
// panic (button and Escape twice) and the idle lock, the page holds none
// of the case's marker strings, Back shows nothing, and the session ended
// on the server; nothing is ever written to browser storage; the print
// stylesheet hides content unless "Print this case" was chosen; a
// reauth-required answer asks for the password and retries.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startCorridor } from './harness.mjs';
import {
  openApp, login, fill, press, waitText, goHash, bodyText, assertClean, assertInert, pageDump,
  XSS_IMG, XSS_SCRIPT,
} from './ui.mjs';

const MARKERS = ['Marker-Name-Zq81', 'Marker-Phone-+79990001122', 'Marker-Notes-Kx5', 'Marker-Contact-Wv3', 'Marker-Next-Jp9'];

/** Record DELETE /api/v1/session answers seen by page. */
function watchLogout(page) {
  const seen = [];
  page.on('response', (r) => {
    if (r.request().method() === 'DELETE' && r.url().endsWith('/api/v1/session')) seen.push(r.status());
  });
  return seen;
}

async function openMarkedCase(env, user) {
  const tok = await env.login(user.username, user.password);
  const c = await env.createCase(tok, {
    person: { name: MARKERS[0], phone: MARKERS[1] }, notes: MARKERS[2],
  });
  await env.addContact(tok, c.id, { summary: MARKERS[3], next_steps: MARKERS[4] });
  await env.logout(tok);
  const page = await openApp(env);
  const deletes = watchLogout(page);
  await login(page, user.username, user.password);
  await goHash(page, `#/cases/${c.id}`);
  await waitText(page, MARKERS[3]);
  const dump = await pageDump(page);
  for (const m of MARKERS) assert.ok(dump.includes(m), `marker ${m} not shown to begin with`);
  return { page, c, deletes };
}

/** Nothing of the case is left, on the page or after Back; storage empty. */
async function assertWiped(page, c, deletes) {
  await page.waitForFunction(() => document.querySelector('input[autocomplete="current-password"]'), { timeout: 15000 });
  let dump = await pageDump(page);
  for (const m of [...MARKERS, c.codename]) assert.ok(!dump.includes(m), `marker ${m} left after the wipe`);
  assert.equal(await page.title(), 'corridor');
  assert.equal(new URL(page.url()).hash, '#/');
  await page.goBack();
  await new Promise((r) => setTimeout(r, 300));
  await page.waitForFunction(() => document.querySelector('input[autocomplete="current-password"]'));
  dump = await pageDump(page);
  for (const m of [...MARKERS, c.codename]) assert.ok(!dump.includes(m), `marker ${m} shown after Back`);
  assert.ok(!page.url().includes(c.id) || (await bodyText(page)).includes('Log in'), 'Back rendered the case');
  const store = await page.evaluate(async () => ({
    local: localStorage.length, session: sessionStorage.length, cookie: document.cookie,
    idb: (await indexedDB.databases()).length,
  }));
  assert.deepEqual(store, { local: 0, session: 0, cookie: '', idb: 0 });
  for (let i = 0; i < 50 && !deletes.length; i += 1) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(deletes, [204], 'the session was not ended on the server');
}

describe('with the default idle timeout', () => {
  let env;
  let cwA;
  let cwB;

  before(async () => {
    env = await startCorridor();
    cwA = await env.createUser('cw-a', 'caseworker');
    cwB = await env.createUser('cw-b', 'caseworker');
  });
  after(async () => {
    if (env) assert.equal(await env.close(), 0);
  });

  test('login: humane messages for wrong credentials, throttling (Retry-After) and a busy server', async () => {
    const page = await openApp(env);
    await login(page, 'nobody-here', 'wrong-password-123');
    await waitText(page, 'The username, password or code is not right.');
    let text = await bodyText(page);
    assert.ok(!/"type"|urn:corridor|problem\+json/.test(text), 'raw problem shown');
    // the error summary links to the field, and the error is beside it too
    assert.equal(await page.$$eval('.error-summary a', (as) => as.length), 1);
    assert.equal(await page.$eval('.field-invalid input', (e) => e.type), 'password');
    await page.setRequestInterception(true);
    let answer = null;
    page.on('request', (r) => {
      if (answer && r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/session') {
        const a = answer;
        r.respond({
          status: a.status, contentType: 'application/problem+json', headers: a.headers || {},
          body: JSON.stringify({ type: `urn:corridor:problem:${a.type}`, title: 't', status: a.status, detail: 'server words' }),
        });
      } else r.continue();
    });
    answer = { status: 429, type: 'throttled', headers: { 'Retry-After': '42' } };
    await page.click('form button[type="submit"]');
    await waitText(page, 'Too many attempts. Wait 42 seconds, then try again.');
    answer = { status: 503, type: 'busy', headers: { 'Retry-After': '1' } };
    await page.click('form button[type="submit"]');
    await waitText(page, 'The server is busy. Wait a moment and try again.');
    text = await bodyText(page);
    assert.ok(!text.includes('server words'), 'the server detail is shown raw');
    assertClean(env, page, [401, 429, 503]);
  });

  test('the keyboard alone: log in, open a case, log a contact, with a visible focus at each step', async () => {
    const tok = await env.login(cwA.username, cwA.password);
    const c = await env.createCase(tok, { person: { name: 'Keyboard-Person' } });
    await env.logout(tok);
    const page = await openApp(env);
    const focusVisible = () => page.evaluate(() => {
      const e = document.activeElement;
      const cs = getComputedStyle(e);
      return e !== document.body && (cs.outlineStyle !== 'none' || cs.boxShadow !== 'none');
    });
    // the login screen starts in the username field
    assert.equal(await page.evaluate(() => document.activeElement.autocomplete), 'username');
    await page.keyboard.type(cwA.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(cwA.password);
    await page.keyboard.press('Enter');
    await waitText(page, 'My cases');
    const tabTo = async (test, max = 60) => {
      for (let i = 0; i < max; i += 1) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(test)) {
          assert.ok(await focusVisible(), 'focus not visible');
          return;
        }
      }
      throw new Error('not reached by Tab');
    };
    await tabTo(new Function(`return document.activeElement.textContent === ${JSON.stringify(c.codename)}`));
    await page.keyboard.press('Enter');
    await waitText(page, 'Keyboard-Person');
    await tabTo(() => document.activeElement.name === 'channel');
    await page.keyboard.type('phone');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Reached by keyboard only');
    await tabTo(() => document.activeElement.type === 'submit' && document.activeElement.textContent === 'Log contact');
    await page.keyboard.press('Enter');
    await waitText(page, 'The contact has been logged.');
    assert.ok((await bodyText(page)).includes('Reached by keyboard only'));
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.waitForSelector('input[autocomplete="current-password"]');
    assertClean(env, page);
  });

  test("a caseworker who edits the URL to another case's id sees a not-found screen", async () => {
    const tokB = await env.login(cwB.username, cwB.password);
    const other = await env.createCase(tokB, { person: { name: 'Someone-Else-3319' } });
    await env.logout(tokB);
    const page = await openApp(env);
    await login(page, cwA.username, cwA.password);
    await goHash(page, `#/cases/${other.id}`);
    await waitText(page, 'Page not found');
    const text = await bodyText(page);
    assert.ok(!text.includes('Someone-Else-3319') && !text.includes(other.codename));
    // a malformed id never reaches the API
    await goHash(page, '#/cases/not-an-id');
    await waitText(page, 'Page not found');
    assertClean(env, page, [404]);
  });

  test('script payloads in every free-text field render as text and never run', async () => {
    const payloads = [XSS_IMG, XSS_SCRIPT];
    const tok = await env.login(cwA.username, cwA.password);
    const c = await env.createCase(tok, {
      region: XSS_IMG,
      person: {
        name: XSS_IMG, aliases: XSS_SCRIPT, phone: XSS_SCRIPT, messenger: XSS_IMG,
        location: XSS_SCRIPT, family: XSS_IMG, [XSS_SCRIPT]: XSS_IMG,
      },
      notes: `${XSS_IMG}\n${XSS_SCRIPT}`,
    });
    await env.logout(tok);

    // caseworker: the case file, and a contact typed into the form
    const page = await openApp(env);
    await login(page, cwA.username, cwA.password);
    await goHash(page, '#/cases');
    await waitText(page, XSS_IMG);
    await goHash(page, `#/cases/${c.id}`);
    await fill(page, 'Channel', XSS_SCRIPT);
    await fill(page, 'What was said', XSS_IMG);
    await fill(page, 'Next steps', XSS_SCRIPT);
    await press(page, 'Log contact');
    await waitText(page, 'The contact has been logged.');
    let text = await bodyText(page);
    for (const p of payloads) assert.ok(text.includes(p), `payload not shown as text: ${p}`);
    assert.ok((await page.$$eval('ol li', (l) => l.map((x) => x.innerText).join('\n'))).includes(XSS_SCRIPT));
    // the edit form holds them as values, not markup
    await press(page, 'Change case details');
    await page.waitForSelector('form textarea');
    await assertInert(page);
    assertClean(env, page);

    // an enrolled auditor, for break-glass reasons to be sealed to
    const auditor = await env.createUser('aud-x', 'auditor');
    // coordinator: list, break-glass reason, evacuation details
    const pc = await openApp(env);
    await login(pc, 'coord', env.coordPassword, { reauth: true });
    await waitText(pc, XSS_IMG);
    await press(pc, 'Plan an evacuation', 'link').catch(async () => { await goHash(pc, '#/evacuations/new'); });
    await goHash(pc, '#/evacuations/new');
    for (const f of ['Route', 'Transport', 'Departure', 'Destination', 'Contacts on the way', 'Notes']) {
      await fill(pc, f, f === 'Route' || f === 'Notes' ? XSS_SCRIPT : XSS_IMG);
    }
    await press(pc, 'Create evacuation');
    await waitText(pc, 'has been created');
    text = await bodyText(pc);
    for (const p of payloads) assert.ok(text.includes(p));
    await assertInert(pc);
    await goHash(pc, `#/cases/${c.id}`);
    await press(pc, 'Read this case in an emergency');
    await fill(pc, 'Reason', XSS_IMG);
    await press(pc, 'Record my reason and open the case');
    await waitText(pc, 'Your access and your reason have been recorded.');
    await press(pc, 'Add to evacuation');
    await waitText(pc, 'The case was added to evacuation');
    text = await bodyText(pc);
    for (const p of payloads) assert.ok(text.includes(p));
    await assertInert(pc);
    assertClean(env, pc, [403]);

    // the caseworker sees the evacuation's details as text too
    await goHash(page, '#/cases');
    await goHash(page, `#/cases/${c.id}`);
    await waitText(page, 'Contacts on the way');
    await assertInert(page);

    // auditor: the reason on the entry (sealed to the auditor, who exists
    // before the break-glass read)
    const pa = await openApp(env);
    await login(pa, auditor.username, auditor.password);
    await fill(pa, 'Case id', c.id);
    await fill(pa, 'Action', 'case.read');
    await press(pa, 'Apply filters');
    await waitText(pa, XSS_IMG);
    await assertInert(pa);
    assertClean(env, pa);
    await assertInert(page);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
  });

  test('log out: the page holds no content, Back shows nothing, the session ended', async () => {
    const { page, c, deletes } = await openMarkedCase(env, cwA);
    await press(page, 'Log out');
    await waitText(page, 'You have logged out');
    await assertWiped(page, c, deletes);
    assertClean(env, page);
  });

  test('panic button: wipes at once and leaves a blank login screen', async () => {
    const { page, c, deletes } = await openMarkedCase(env, cwA);
    await press(page, 'Lock now');
    await assertWiped(page, c, deletes);
    const text = await bodyText(page);
    assert.ok(!text.includes('logged out'), 'panic left a message');
    assertClean(env, page);
  });

  test('Escape twice: the same wipe', async () => {
    const { page, c, deletes } = await openMarkedCase(env, cwA);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await assertWiped(page, c, deletes);
    assertClean(env, page);
  });

  test('a single Escape does nothing', async () => {
    const { page } = await openMarkedCase(env, cwA);
    await page.keyboard.press('Escape');
    await new Promise((r) => setTimeout(r, 1300));
    await page.keyboard.press('Escape');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok((await pageDump(page)).includes(MARKERS[0]));
    await press(page, 'Lock now');
  });

  test('printing hides content unless "Print this case" was chosen', async () => {
    const { page } = await openMarkedCase(env, cwA);
    await page.emulateMediaType('print');
    const shown = () => page.$eval('main', (m) => getComputedStyle(m).display !== 'none');
    assert.equal(await shown(), false);
    await page.evaluate(() => document.body.classList.add('print-case'));
    assert.equal(await shown(), true);
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    assert.equal(await shown(), false);
    await page.emulateMediaType(null);
    await press(page, 'Lock now');
  });

  test('reauth-required: the password dialog, POST /session/confirm, then the retry', async () => {
    // the coordinator flows (autoReauth) go through the real round trip;
    // this one makes the server's refusal happen on the first assignment
    // (a fresh login would not be asked yet) and checks the order: the
    // refusal, the dialog's real confirm with the typed password, the retry
    const tok = await env.login(cwA.username, cwA.password);
    const c = await env.createCase(tok, {});
    await env.logout(tok);
    const page = await openApp(env);
    await login(page, 'coord', env.coordPassword);
    await goHash(page, '#/cases');
    await page.setRequestInterception(true);
    const log = [];
    let refused = false;
    page.on('request', (r) => {
      const u = new URL(r.url()).pathname;
      if (r.method() === 'POST' && u.endsWith('/assignments') && !refused) {
        refused = true;
        log.push('assign-refused');
        r.respond({
          status: 403, contentType: 'application/problem+json',
          body: JSON.stringify({ type: 'urn:corridor:problem:reauth-required', title: 'Forbidden', status: 403, detail: 'Confirm.' }),
        });
      } else if (u === '/api/v1/session/confirm') {
        log.push(`confirm:${JSON.parse(r.postData()).password === env.coordPassword}`);
        r.continue();
      } else {
        if (r.method() === 'POST' && u.endsWith('/assignments')) log.push('assign-retried');
        r.continue();
      }
    });
    await goHash(page, `#/cases/${c.id}`);
    await fill(page, 'Assign a caseworker', cwB.id);
    await press(page, 'Assign caseworker');
    await page.waitForSelector('dialog[open]');
    assert.match(await page.$eval('dialog[open]', (d) => d.innerText), /Confirm it is you/);
    await fill(page, 'Your password', env.coordPassword);
    await press(page, 'Confirm and continue');
    await waitText(page, 'cw-b is now assigned');
    assert.deepEqual(log, ['assign-refused', 'confirm:true', 'assign-retried']);
    assertClean(env, page, [403]);
  });
});

// 15 s: short for a test, long enough for a login's Argon2 on a loaded
// machine (the harness's own API calls must not idle out either)
describe('with a 15-second idle timeout', () => {
  let env;
  let cw;

  before(async () => {
    env = await startCorridor({ serveArgs: ['--session-idle', '15'] });
    cw = await env.createUser('cw-idle', 'caseworker');
  });
  after(async () => {
    if (env) assert.equal(await env.close(), 0);
  });

  test('the idle lock warns first, then wipes like panic', async () => {
    const { page, c, deletes } = await openMarkedCase(env, cw);
    await page.waitForSelector('dialog[open]', { timeout: 30000 });
    assert.match(await page.$eval('dialog[open]', (d) => d.innerText), /You will be logged out soon/);
    await waitText(page, 'after a period without activity', 30000);
    await assertWiped(page, c, deletes);
    assertClean(env, page);
  });

  test('"Stay logged in" keeps the session', async () => {
    const { page } = await openMarkedCase(env, cw);
    await page.waitForSelector('dialog[open]', { timeout: 30000 });
    await press(page, 'Stay logged in');
    await page.waitForFunction(() => !document.querySelector('dialog[open]'));
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok((await pageDump(page)).includes(MARKERS[0]));
    // and the server still knows the session: a screen loads
    await goHash(page, '#/cases');
    await waitText(page, 'My cases');
    await press(page, 'Lock now');
    assertClean(env, page);
  });
});
