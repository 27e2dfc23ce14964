// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Every screen of the web UI, in English and in Russian: axe-core finds
// no serious or critical violation, the console holds no error, no CSP or
// Trusted Types violation happens and nothing goes to another origin; a
// screenshot of each goes to CORRIDOR_SCREENSHOT_DIR (docs/ui/ holds a
// copy of the main ones). Also: the language switches at any time, with
// <html lang>, the page title stays "corridor", and every catalogue key
// the code uses exists in both catalogues.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { startCorridor, ROOT } from './harness.mjs';
import { openApp, login, goHash, waitText, fill, bodyText, unexpectedErrors, docsShotAs } from './ui.mjs';

let env;
let cw;
let aud;
const fx = {};

before(async () => {
  env = await startCorridor();
  cw = await env.createUser('cw-maria', 'caseworker');
  aud = await env.createUser('auditor-ivan', 'auditor');
  await env.createUser('coord-new', 'coordinator');
  fx.newbie = await env.createUser('newbie', 'caseworker', { enrol: false });
  const tok = await env.login(cw.username, cw.password);
  fx.case1 = await env.createCase(tok, {
    region: 'Chechnya', risk: 'critical', household_size: 3,
    person: { name: 'Example Person', phone: '+7 900 000-00-00', location: 'Example town' },
    notes: 'Example notes: asked for help through a friend.',
  });
  await env.addContact(tok, fx.case1.id, { channel: 'Signal', summary: 'First call. Safe for now.', next_steps: 'Call again on Friday.', at: '2026-11-20T18:30:00Z' });
  await env.addContact(tok, fx.case1.id, { channel: 'phone', summary: 'Documents are ready.', at: '2026-11-27T20:05:00Z' });
  fx.case2 = await env.createCase(tok, { region: 'Dagestan', risk: 'medium', person: { name: 'Another Person' } });
  await env.logout(tok);
  const ctok = await env.coord();
  fx.case3 = await env.createCase(ctok, { region: 'Ingushetia', risk: 'low', person: { name: 'Third Person' } });
  fx.evac = await env.expect(201, 'POST', '/evacuations', { token: ctok, body: { stage: 'in_progress', details: { route: 'By road, then by train', departure: '2026-12-10' } } });
  await env.expect(201, 'POST', `/evacuations/${fx.evac.id}/cases`, { token: ctok, body: { case_id: fx.case1.id } });
  await env.expect(201, 'POST', '/evacuations', { token: ctok, body: { details: { route: 'By air' } } });
  await env.logout(ctok);
});
after(async () => {
  if (env) assert.equal(await env.close(), 0);
});

const problems = [];

// CORRIDOR_DOCS_SHOTS=docs/ui rewrites the screenshots of docs/ui.md:
// 1000 pixels wide, at most 1300 high.
const DOCS = {
  'en/01-login': 'login-en', 'ru/03-first-login': 'first-login-ru',
  'en/10-caseworker-my-cases': 'caseworker-my-cases-en', 'en/11-caseworker-case': 'caseworker-case-en',
  'ru/12-caseworker-log-contact': 'caseworker-log-contact-ru', 'en/15-caseworker-new-case-errors': 'new-case-errors-en',
  'en/20-coordinator-all-cases': 'coordinator-all-cases-en', 'en/22-coordinator-break-glass': 'coordinator-break-glass-en',
  'en/25-coordinator-evacuations': 'coordinator-evacuations-en', 'ru/24-coordinator-shred-dialog': 'coordinator-shred-ru',
  'en/31-auditor-break-glass-entries': 'auditor-log-en', 'ru/32-auditor-verify': 'auditor-verify-ru',
  'en/42-admin-user-created': 'admin-user-created-en',
};

async function docsShot(page, key) {
  if (DOCS[key]) await docsShotAs(page, DOCS[key]);
}

/** Check and photograph the screen as it is now. */
async function screen(page, lang, name, statuses = []) {
  await page.waitForFunction(() => !document.querySelector('main .loading'));
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(await page.title(), 'corridor', name);
  assert.equal(await page.evaluate(() => document.documentElement.lang), lang, name);
  const v = await env.axe(page);
  if (v.length) problems.push({ screen: `${lang}/${name}`, violations: v });
  await env.screenshot(page, `${lang}-${name}`);
  await docsShot(page, `${lang}/${name}`);
  const text = await bodyText(page);
  // a catalogue key shown instead of a message (t() returns the key when missing)
  const raw = text.match(/\b(?:[a-z]+)\.[a-z_]+(?:\.[a-z_0-9-]+)?\b/g) || [];
  const keys = raw.filter((k) => /^(nav|case|cases|audit|users|newuser|problem|login|welcome|password|contacts|evac|board|breakglass|assign|shred|close|verify|form|common|idle|reauth|pending|notfound|danger|newcase|newevac|person|lang|footer|panic|security|alerts|filter|stage|risk|status|role|outcome|object|channel|userstatus)\./.test(k)
    && !/^(case|contact|session|user|evacuation|audit)\.(read|list|create|update|assign|unassign|shred|end|fail|confirm|revoke|password|add_case|export|reason_erase|key_rotate|pub|lookup|reindex)$/.test(k)
    // audit action names, shown as code: case.attachment.list
    && !/^case\.attachment\.(create|list|read|delete)$/.test(k));
  assert.deepEqual(keys, [], `untranslated keys on ${lang}/${name}`);
  assert.deepEqual(unexpectedErrors(page, statuses), [], `console errors on ${lang}/${name}`);
  assert.deepEqual(page.violations, [], `CSP/TT violations on ${lang}/${name}`);
}

async function clickSel(page, sel) {
  await page.waitForSelector(sel);
  await page.click(sel);
}

for (const lang of ['en', 'ru']) {
  test(`every screen in ${lang}: axe, console, CSP, screenshots`, async () => {
    // anonymous
    let page = await openApp(env, { lang });
    await screen(page, lang, '01-login');
    await login(page, 'nobody-here', 'wrong-password-123');
    await page.waitForSelector('.error-summary:not([hidden])');
    await screen(page, lang, '02-login-error', [401]);

    // first login of an account an admin made
    page = await openApp(env, { lang });
    await login(page, fx.newbie.username, fx.newbie.password);
    await screen(page, lang, '03-first-login');

    // caseworker
    page = await openApp(env, { lang });
    await login(page, cw.username, cw.password);
    await page.waitForFunction(() => document.querySelector('tbody time'));
    await screen(page, lang, '10-caseworker-my-cases');
    await goHash(page, `#/cases/${fx.case1.id}`);
    await page.waitForSelector('ol li');
    await screen(page, lang, '11-caseworker-case');
    await clickSel(page, 'details.log-contact summary');
    await screen(page, lang, '12-caseworker-log-contact');
    await clickSel(page, '.actions button.btn-secondary');
    await page.waitForSelector('form.case-edit');
    await screen(page, lang, '13-caseworker-edit-case');
    await clickSel(page, 'form.case-edit button[type="submit"]');
    await page.waitForSelector('.notice-success');
    await goHash(page, '#/cases/new');
    await screen(page, lang, '14-caseworker-new-case');
    await clickSel(page, 'form button[type="submit"]');
    await page.waitForSelector('.error-summary:not([hidden])');
    await screen(page, lang, '15-caseworker-new-case-errors');
    await goHash(page, `#/evacuations/${fx.evac.id}`);
    await screen(page, lang, '16-caseworker-evacuation');
    await goHash(page, '#/password');
    await screen(page, lang, '17-change-password');
    await goHash(page, '#/security');
    await screen(page, lang, '19-caseworker-security');
    await goHash(page, `#/cases/${fx.case3.id}`);
    await screen(page, lang, '18-not-found', [404]);

    // coordinator
    page = await openApp(env, { lang });
    await login(page, 'coord', env.coordPassword, { reauth: true });
    await screen(page, lang, '20-coordinator-all-cases');
    await goHash(page, `#/cases/${fx.case2.id}`);
    await screen(page, lang, '21-coordinator-case-unassigned', [403]);
    await clickSel(page, '.glass-panel button');
    await page.waitForSelector('dialog[open]');
    await screen(page, lang, '22-coordinator-break-glass', [403]);
    await page.type('dialog[open] textarea', lang === 'ru' ? 'Куратор недоступен, семья просит помощи' : 'Caseworker unreachable; the family asks for help');
    await clickSel(page, 'dialog[open] button[type="submit"]');
    await page.waitForSelector('.notice-warn');
    await screen(page, lang, '23-coordinator-case-read', [403]);
    await clickSel(page, '.danger-zone button.btn-danger');
    await page.waitForSelector('dialog[open]');
    await screen(page, lang, '24-coordinator-shred-dialog', [403]);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('dialog[open]'));
    await new Promise((r) => setTimeout(r, 1100)); // not a double Escape
    await goHash(page, '#/evacuations');
    await screen(page, lang, '25-coordinator-evacuations', [403]);
    await goHash(page, '#/evacuations/new');
    await screen(page, lang, '26-coordinator-new-evacuation', [403]);
    await goHash(page, `#/evacuations/${fx.evac.id}`);
    await screen(page, lang, '27-coordinator-evacuation', [403]);
    await goHash(page, '#/users');
    await screen(page, lang, '28-coordinator-users', [403]);
    await goHash(page, '#/alerts');
    await screen(page, lang, '29-coordinator-alerts', [403]);

    // auditor
    page = await openApp(env, { lang });
    await login(page, aud.username, aud.password);
    await page.waitForSelector('tbody tr');
    await screen(page, lang, '30-auditor-log');
    await page.select('select[name="action"]', 'case.read');
    await clickSel(page, 'form.filters button[type="submit"]');
    await page.waitForSelector('tr.breakglass');
    await screen(page, lang, '31-auditor-break-glass-entries');
    await goHash(page, '#/verify');
    await screen(page, lang, '32-auditor-verify');

    // admin
    page = await openApp(env, { lang });
    await login(page, 'admin', env.adminPassword);
    await screen(page, lang, '40-admin-users');
    await goHash(page, '#/users/new');
    await screen(page, lang, '41-admin-new-user');
    await page.type('input[name="username"]', `made-${lang}`);
    await clickSel(page, 'form button[type="submit"]');
    await page.waitForSelector('#first-password');
    await screen(page, lang, '42-admin-user-created');
    await goHash(page, '#/users');
    await clickSel(page, 'tbody tr:last-child .btn-danger');
    await page.waitForSelector('dialog[open]');
    await screen(page, lang, '43-admin-revoke-dialog');
  });
}

test('axe-core: no serious or critical violation on any screen', () => {
  assert.deepEqual(problems, []);
});

test('the language switches at any time, keeping what was typed', async () => {
  const page = await openApp(env, { lang: 'en' });
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  await page.type('input[autocomplete="username"]', 'typed-name');
  await page.click('button[lang="ru"]');
  await waitText(page, 'Вход в corridor');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'ru');
  assert.equal(await page.$eval('input[autocomplete="username"]', (e) => e.value), 'typed-name');
  await login(page, cw.username, cw.password);
  await waitText(page, 'Мои дела');
  await page.click('button[lang="en"]');
  await waitText(page, 'My cases');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  assert.equal(await page.title(), 'corridor');
  // a browser that prefers Russian starts in Russian
  const ru = await openApp(env, { lang: 'ru' });
  await waitText(ru, 'Вход в corridor');
  await fill(ru, 'Имя пользователя', 'x');
});

test('every message key the code uses is in both catalogues, and they hold the same keys', () => {
  const web = path.join(ROOT, 'web');
  const en = JSON.parse(fs.readFileSync(path.join(web, 'i18n', 'en.json'), 'utf8'));
  const ru = JSON.parse(fs.readFileSync(path.join(web, 'i18n', 'ru.json'), 'utf8'));
  assert.deepEqual(Object.keys(ru).sort(), Object.keys(en).sort());
  const files = [];
  const walk = (d) => { for (const f of fs.readdirSync(d)) { const p = path.join(d, f); if (fs.statSync(p).isDirectory()) walk(p); else if (p.endsWith('.js')) files.push(p); } };
  walk(path.join(web, 'app'));
  const used = new Set();
  for (const f of files) {
    const src = fs.readFileSync(f, 'utf8');
    for (const m of src.matchAll(/'((?:nav|case|cases|audit|users|newuser|problem|login|welcome|password|contacts|evac|board|breakglass|assign|shred|close|verify|form|common|idle|reauth|pending|notfound|danger|newcase|newevac|lang|footer|panic|filter|error)\.[a-z_0-9.-]+)'/g)) used.add(m[1]);
  }
  const auditActions = /^(case|audit)\.(read|list|create|update|assign|unassign|shred|export|reason_erase|key_rotate|lookup|reindex|attachment\.(create|list|read|delete))$/;
  const missing = [...used].filter((k) => !(k in en) && !auditActions.test(k));
  assert.deepEqual(missing, []);
  // the dynamic families are complete
  for (const fam of [['status', ['intake', 'verified', 'awaiting_evacuation', 'in_transit', 'relocated', 'closed']],
    ['risk', ['low', 'medium', 'high', 'critical']], ['stage', ['planned', 'in_progress', 'completed', 'aborted']],
    ['role', ['admin', 'coordinator', 'caseworker', 'auditor', 'anonymous']], ['outcome', ['allowed', 'denied', 'error']],
    ['userstatus', ['active', 'pending', 'disabled', 'revoked']]]) {
    for (const v of fam[1]) assert.ok(`${fam[0]}.${v}` in en, `${fam[0]}.${v}`);
  }
});
