// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Helpers for the UI tests: open the app, log in through the login form,
// wait for a screen, and read what a person would read. Elements are
// found by their accessible name or text (puppeteer's ::-p-aria and
// ::-p-text), as a person finds them, never by a styling class.

import assert from 'node:assert/strict';
import path from 'node:path';

export const XSS_IMG = '<img src=x onerror="window.__xss=1">';
export const XSS_SCRIPT = '<script>window.__xss=1</script>';

/** A fresh page with the app loaded at the login screen. */
export async function openApp(env, { lang = 'en' } = {}) {
  const page = await env.newPage({ lang });
  await page.goto(env.origin + '/', { waitUntil: 'networkidle0' });
  await page.waitForFunction(() => document.documentElement.dataset.corridorApp === 'loaded', { timeout: 15000 });
  return page;
}

/**
 * Run act on the element the selector finds. A screen that draws itself
 * twice (first from what it knows, then again once its data arrives) can
 * replace the element between the lookup and the action; puppeteer then
 * says "detached". Look it up again, as a person would look again.
 */
async function onElement(page, selector, act) {
  for (let tries = 0; ; tries += 1) {
    const el = await page.waitForSelector(selector, { timeout: 10000 });
    try {
      return await act(el);
    } catch (e) {
      if (tries >= 4 || !/detached|not attached|Execution context was destroyed/i.test(String(e.message))) throw e;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await el.dispose().catch(() => {});
    }
  }
}

/** Fill the field whose label is name. */
export async function fill(page, name, value) {
  await onElement(page, `::-p-aria(${name})`, async (el) => {
    const tag = await el.evaluate((e) => e.tagName);
    const type = await el.evaluate((e) => e.type);
    if (tag === 'SELECT' || type === 'datetime-local' || type === 'number') {
      const ok = await el.evaluate((e, v) => {
        e.value = v; e.dispatchEvent(new Event('change', { bubbles: true })); return e.isConnected;
      }, value);
      if (!ok) throw new Error('detached: the field was redrawn');
    } else {
      await el.click({ clickCount: 3 });
      await el.evaluate((e) => { e.value = ''; });
      await el.type(value);
      const now = await el.evaluate((e) => (e.isConnected ? e.value : null));
      if (now !== value) throw new Error('detached: the field was redrawn while typing');
    }
  });
}

/** Click the button (or link) named name. */
export async function press(page, name, role = 'button') {
  await onElement(page, `::-p-aria([name="${name}"][role="${role}"])`, (el) => el.click());
}

/** Wait until the main area is drawn (no "Loading…") and holds text. */
export async function waitText(page, text, timeout = 15000) {
  try {
    await page.waitForFunction((s) => {
      const m = document.querySelector('main');
      return m && !m.querySelector('.loading') && document.body.innerText.includes(s);
    }, { timeout }, text);
  } catch (e) {
    const now = await page.evaluate(() => document.body.innerText).catch(() => '?');
    throw new Error(`waiting for "${text}": ${e.message}\n--- the page shows:\n${now.length > 4000 ? `${now.slice(0, 1500)}\n[…]\n${now.slice(-2500)}` : now}`);
  }
}

export async function heading(page) {
  return page.$eval('h1', (e) => e.textContent);
}

export async function bodyText(page) {
  return page.evaluate(() => document.body.innerText);
}

/**
 * Answer the password dialog of 403 reauth-required (a coordinator's
 * org-key operations, once the server asks for it) whenever it opens, as
 * the user would: type the password, confirm. page.reauths counts them.
 */
export function autoReauth(page, password) {
  page.reauths = 0;
  (async () => {
    while (!page.isClosed()) {
      try {
        const input = await page.waitForSelector('dialog[open] input[name="password"][autocomplete="current-password"]', { timeout: 0 });
        await input.type(password);
        await input.evaluate((e) => e.form.requestSubmit());
        await page.waitForFunction(() => !document.querySelector('dialog[open] input[name="password"]'), { timeout: 20000 });
        page.reauths += 1;
      } catch {
        if (page.isClosed()) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  })();
}

/** Log in through the form; waits for the first screen after it. */
export async function login(page, username, password, { expect, reauth } = {}) {
  if (reauth) autoReauth(page, password);
  await waitText(page, 'corridor');
  await page.waitForSelector('input[autocomplete="username"]');
  await fill(page, await labelOf(page, 'input[autocomplete="username"]'), username);
  await fill(page, await labelOf(page, 'input[autocomplete="current-password"]'), password);
  await page.click('form button[type="submit"]');
  if (expect !== null) {
    await page.waitForFunction(() => document.querySelector('header nav') || location.hash === '#/welcome' || document.querySelector('.error-summary:not([hidden])'), { timeout: 60000 });
    await page.waitForFunction(() => !document.querySelector('main .loading'), { timeout: 15000 });
  }
}

/** The text of the label of the field sel finds. */
export async function labelOf(page, sel) {
  return page.$eval(sel, (e) => document.querySelector(`label[for="${e.id}"]`).textContent);
}

/** Go to a hash route and wait for the screen to be drawn. */
export async function goHash(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((h) => location.hash === h && !document.querySelector('main .loading') && document.querySelector('h1'), { timeout: 15000 }, hash);
}

/**
 * Console errors other than the browser's own line for an expected HTTP
 * status (the UI shows a humane message for those; Chromium still logs
 * "Failed to load resource" for every 4xx answer to fetch).
 */
export function unexpectedErrors(page, statuses = []) {
  return page.errors.filter((e) => !statuses.some((s) => e.includes(`status of ${s}`)));
}

/** No console error (beyond the expected statuses), no CSP or TT violation, same origin only. */
export function assertClean(env, page, statuses = []) {
  assert.deepEqual(unexpectedErrors(page, statuses), [], 'console errors');
  assert.deepEqual(page.violations, [], 'CSP or Trusted Types violations');
  assert.deepEqual(env.foreignRequests(page), [], 'requests to another origin');
}

/** The script payloads never ran and never became elements. */
export async function assertInert(page) {
  const r = await page.evaluate(() => ({
    marker: window.__xss,
    els: document.querySelectorAll('main img, main script, dialog img, dialog script').length,
  }));
  assert.equal(r.marker, undefined, 'a payload ran');
  assert.equal(r.els, 0, 'a payload became an element');
}

/** Everything the page holds as markup and text. */
export async function pageDump(page) {
  return page.evaluate(() => document.documentElement.outerHTML + '\n' + document.body.innerText +
    '\n' + Array.from(document.querySelectorAll('input, textarea')).map((e) => e.value).join('\n'));
}

/**
 * CORRIDOR_DOCS_SHOTS=docs/ui rewrites the screenshots of docs/ui.md:
 * the screen as it is now, as docs/ui/<file>.png, 1000 pixels wide and at
 * most 1300 high. Without the variable, nothing.
 */
export async function docsShotAs(page, file) {
  const dir = process.env.CORRIDOR_DOCS_SHOTS;
  if (!dir) return;
  const vp = page.viewport();
  await page.setViewport({ width: 1000, height: 900 });
  await new Promise((r) => setTimeout(r, 100));
  // a modal's backdrop covers the viewport only: then the viewport
  const height = await page.evaluate(() => (document.querySelector('dialog[open]') ? 900
    : Math.min(1300, document.documentElement.scrollHeight)));
  await page.screenshot({ path: path.join(dir, `${file}.png`), clip: { x: 0, y: 0, width: 1000, height }, captureBeyondViewport: true });
  await page.setViewport(vp);
}
