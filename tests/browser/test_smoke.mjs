// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Smoke test of the browser suite: the page served at / loads its module
// under the real Content-Security-Policy, with no console error, no CSP or
// Trusted Types violation, and no request to another origin; and the
// harness's own checks can fail (an inline script is refused and seen).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';

import { startCorridor } from './harness.mjs';

let env;

before(async () => { env = await startCorridor(); });
after(async () => {
  if (env) {
    const rc = await env.close();
    assert.equal(rc, 0, 'corridor serve did not exit cleanly');
  }
});

for (const lang of ['en', 'ru']) {
  test(`a fresh load (${lang}) runs the module, cleanly, same origin only`,
    async () => {
      const page = await env.newPage({ lang });
      const resp = await page.goto(env.origin + '/', { waitUntil: 'networkidle0' });
      assert.equal(resp.status(), 200);
      assert.equal(resp.headers()['cache-control'], 'no-store');
      // the entry module ran (the placeholder main.js, and the UI after
      // it, sets this marker on <html>)
      await page.waitForFunction(
        () => document.documentElement.dataset.corridorApp === 'loaded',
        { timeout: 10000 });
      assert.deepEqual(page.errors, []);
      assert.deepEqual(page.violations, []);
      assert.deepEqual(env.foreignRequests(page), []);
      // the page asked for its assets, by hashed URL, and nothing else
      const assets = page.requests.filter((u) => u.includes('/assets/'));
      assert.ok(assets.length >= 1, page.requests.join('\n'));
      for (const u of assets) assert.match(u, /\/assets\/[0-9a-f]{16}\//);
      const shot = await env.screenshot(page, `smoke-${lang}`);
      assert.ok(fs.statSync(shot).size > 0);
    });
}

test('the page keeps no storage and sets no cookie', async () => {
  const page = await env.newPage();
  await page.goto(env.origin + '/', { waitUntil: 'networkidle0' });
  const state = await page.evaluate(() => ({
    local: localStorage.length, session: sessionStorage.length,
    cookie: document.cookie,
  }));
  assert.deepEqual(state, { local: 0, session: 0, cookie: '' });
  assert.deepEqual((await page.browserContext().cookies()), []);
});

test('the recorders see what the policy refuses', async () => {
  // Proves the checks above can fail: an HTML sink without a Trusted Type
  // and a fetch to another origin, attempted by the test itself, must be
  // refused by the page's policy and recorded.
  const page = await env.newPage();
  await page.goto(env.origin + '/', { waitUntil: 'networkidle0' });
  const refused = await page.evaluate(async () => {
    let sink = false;
    const div = document.body.appendChild(document.createElement('div'));
    try {
      div.innerHTML = '<b>x</b>';
    } catch {
      sink = true;
    }
    div.remove();
    let away = false;
    try {
      await fetch('http://127.0.0.2:9/');
    } catch {
      away = true;
    }
    return { sink, away };
  });
  assert.deepEqual(refused, { sink: true, away: true });
  // the events arrive asynchronously
  for (let i = 0; i < 50 && page.violations.length < 4; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const seen = page.violations.map((v) => v.directive || v.text).join('\n');
  assert.match(seen, /require-trusted-types-for/);
  assert.match(seen, /connect-src/);
  assert.ok(page.errors.length >= 1, 'console errors not recorded');
});

test('axe-core runs under the real policy and leaves no violation behind',
  async () => {
    const page = await env.newPage({ lang: 'ru' });
    await page.goto(env.origin + '/', { waitUntil: 'networkidle0' });
    const found = await env.axe(page);
    // the placeholder page may have findings; what matters here is that
    // the pass ran and itself broke no policy
    assert.ok(Array.isArray(found));
    assert.deepEqual(page.violations, []);
    assert.deepEqual(page.errors, []);
    assert.deepEqual(env.foreignRequests(page), []);
  });

test('a render can be measured from the trace', async () => {
  const page = await env.newPage();
  await page.goto(env.origin + '/', { waitUntil: 'networkidle0' });
  const t = await env.traceRender(page, 'smoke-reload',
    () => page.reload(),
    () => page.waitForFunction(
      () => document.documentElement.dataset.corridorApp === 'loaded'));
  // a figure for docs/performance.md, not a time limit
  assert.ok(t.ms > 0 && t.tasks > 0, JSON.stringify(t));
  console.log(`# smoke reload to painted: ${t.ms.toFixed(1)} ms, ` +
    `longest task ${t.longestTaskMs.toFixed(1)} ms, ${t.tasks} tasks`);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(page.violations, []);
});
