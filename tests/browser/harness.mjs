// SPDX-License-Identifier: AGPL-3.0-or-later
//
// Browser test harness: a real `corridor serve` on 127.0.0.1 with an
// ephemeral port and a temporary data directory (as tests/api/harness.py
// does), fixtures made through the real API, and Debian's headless
// Chromium driven by puppeteer-core with a fresh profile. Every page it
// opens records its console errors, uncaught exceptions, CSP and Trusted
// Types violations and every request URL, so a test can assert that none
// of them happened. Everything is torn down by close(), and by process
// exit handlers if a test crashes before it gets there.
//
// Environment:
//   CORRIDOR_BIN             the binary (default: build/server/corridor)
//   CORRIDOR_CHROMIUM        the browser (default: /usr/bin/chromium)
//   CORRIDOR_SCREENSHOT_DIR  where screenshot() writes (default: a
//                            corridor-screenshots folder in the temp dir)
//   CORRIDOR_BROWSER_KEEP=1  keep the temp dir (data, logs) for debugging
//
// Accessibility: axe-core's source is evaluated in the page through the
// DevTools protocol (page.evaluate of a string: Runtime.evaluate), which
// CSP's script-src does not govern, so the page keeps its real policy
// during the accessibility pass; page.setBypassCSP would switch the policy
// off for the whole page and hide the violations the other checks look
// for. axe-core writes no HTML through DOM sinks, so Trusted Types stays
// quiet too (test_smoke.mjs checks that no violation is recorded).
//
// Usage:
//   import { startCorridor } from './harness.mjs';
//   const env = await startCorridor();
//   try { const page = await env.newPage({ lang: 'ru' }); ... }
//   finally { await env.close(); }

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import puppeteer from 'puppeteer-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
export const BIN = process.env.CORRIDOR_BIN ||
    path.join(ROOT, 'build', 'server', 'corridor');
export const CHROMIUM = process.env.CORRIDOR_CHROMIUM || '/usr/bin/chromium';
export const SCREENSHOT_DIR = process.env.CORRIDOR_SCREENSHOT_DIR ||
    path.join(os.tmpdir(), 'corridor-screenshots');

// no username inside: the strength rule refuses it (server/core/password.h)
export const ADMIN_PW = 'entry-key-' + 'x'.repeat(8);
export const COORD_PW = 'field-key-' + 'y'.repeat(8);

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'),
    'utf8');

// Every environment still open, for the exit handlers.
const live = new Set();

function killAll() {
  for (const env of live) env.killNow();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { killAll(); process.exit(128 + os.constants.signals[sig]); });
}

/** A secret file as the CLI wants it: new (O_EXCL), mode 0600. */
function writeSecret(file, value) {
  fs.writeFileSync(file, value, { flag: 'wx', mode: 0o600 });
}

function run(args, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(t);
      if (code === 0) resolve(out);
      else reject(new Error(`corridor ${args[0]} exited ${code}: ${err}`));
    });
  });
}

// Random test passwords from letters that are not hex digits, so that no
// four of them can spell a piece of a test username (most hold hex ids),
// which the strength rule would refuse; 20 of 34 letters are ~100 bits.
const PW_LETTERS = 'ghjkmnpqrstuvwxyzGHJKMNPQRSTUVWXYZ';
export function randomPassword(prefix) {
  const b = crypto.randomBytes(20);
  let s = prefix;
  for (const x of b) s += PW_LETTERS[x % PW_LETTERS.length];
  return s;
}

class Corridor {
  constructor() {
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corridor-browser-'));
    this.dir = path.join(this.tmp, 'data');
    this.passfile = path.join(this.tmp, 'passphrase');
    this.logfile = path.join(this.tmp, 'serve.log');
    this.log = '';
    this.proc = null;
    this.browser = null;
    this.pages = [];
    this.origin = null;
    this.adminPassword = ADMIN_PW;
    this.coordPassword = COORD_PW;
    live.add(this);
  }

  // --- the server ----------------------------------------------------------

  async init() {
    writeSecret(this.passfile, 'op-' + crypto.randomBytes(12).toString('hex'));
    const apw = path.join(this.tmp, 'apw');
    const cpw = path.join(this.tmp, 'cpw');
    writeSecret(apw, this.adminPassword);
    writeSecret(cpw, this.coordPassword);
    await run(['init', this.dir, '--passphrase-file', this.passfile,
      '--admin', 'admin', '--admin-password-file', apw,
      '--coordinator', 'coord', '--coordinator-password-file', cpw]);
  }

  serve(extraArgs = []) {
    return new Promise((resolve, reject) => {
      const p = spawn(BIN, ['serve', this.dir, '--passphrase-file',
        this.passfile, '--listen', '127.0.0.1:0', ...extraArgs],
      { stdio: ['ignore', 'ignore', 'pipe'] });
      this.proc = p;
      const logf = fs.createWriteStream(this.logfile);
      const timer = setTimeout(() => {
        reject(new Error('corridor serve did not start:\n' + this.log));
      }, 60000);
      p.stderr.on('data', (d) => {
        logf.write(d);
        this.log += d;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(this.log);
        if (m && this.origin === null) {
          this.origin = `http://127.0.0.1:${m[1]}`;
          clearTimeout(timer);
          resolve();
        }
      });
      p.on('error', (e) => { clearTimeout(timer); reject(e); });
      p.on('exit', (code, sig) => {
        this.exit = { code, sig };
        logf.end();
        if (this.origin === null) {
          clearTimeout(timer);
          reject(new Error(`corridor serve exited ${code ?? sig}:\n${this.log}`));
        }
      });
    });
  }

  /** SIGTERM and wait: the exit code (0 = clean, no leak under ASan). */
  async stopServer() {
    const p = this.proc;
    if (p === null) return null;
    this.proc = null;
    if (p.exitCode === null && p.signalCode === null) {
      const done = new Promise((resolve) => p.once('exit', resolve));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 60000);
      await done;
      clearTimeout(t);
    }
    return p.exitCode;
  }

  // --- the API -------------------------------------------------------------

  /**
   * One API call below /api/v1. Returns { status, headers, body, json }
   * (json is null when the body is not JSON).
   */
  async api(method, apiPath, { token, body, headers } = {}) {
    const h = { ...(headers || {}) };
    if (token) h.Authorization = 'Bearer ' + token;
    let data;
    if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      data = JSON.stringify(body);
    }
    const r = await fetch(this.origin + '/api/v1' + apiPath,
      { method, headers: h, body: data, redirect: 'error' });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, headers: r.headers, body: text, json };
  }

  async expect(status, method, apiPath, opts) {
    const r = await this.api(method, apiPath, opts);
    if (r.status !== status) {
      throw new Error(`${method} ${apiPath}: want ${status}, got ${r.status} ${r.body}`);
    }
    return r.json;
  }

  /** Log in; an active coordinator also confirms the password
   * (POST /session/confirm), so the session may open the org key for
   * 5 minutes, unless confirm is false. */
  async login(username, password, { confirm = true } = {}) {
    const s = await this.expect(201, 'POST', '/session',
      { body: { username, password } });
    if (confirm && s.user.role === 'coordinator') {
      const me = await this.api('GET', '/me', { token: s.token });
      if (me.status === 200 && me.json.status === 'active') {
        await this.api('POST', '/session/confirm',
          { token: s.token, body: { password } });
      }
    }
    return s.token;
  }

  async logout(token) {
    await this.expect(204, 'DELETE', '/session', { token });
  }

  admin() { return this.login('admin', this.adminPassword); }
  coord() { return this.login('coord', this.coordPassword); }

  /** Replace a first password (the enrolment that makes the user's key
   * pair); returns the new password. */
  async enrol(username, first, password = randomPassword('pw-')) {
    const tok = await this.login(username, first);
    await this.expect(204, 'PUT', '/me/password',
      { token: tok, body: { old_password: first, new_password: password } });
    await this.logout(tok);
    return password;
  }

  /**
   * Create a user as admin and, unless enrol is false, enrol them.
   * Returns { id, username, role, password } (the first password when
   * not enrolled).
   */
  async createUser(username, role, { enrol = true, password } = {}) {
    const admin = await this.admin();
    const first = randomPassword('first-');
    const u = await this.expect(201, 'POST', '/users',
      { token: admin, body: { username, password: first, role } });
    await this.logout(admin);
    const pw = enrol ? await this.enrol(username, first, password) : first;
    return { id: u.id, username, role, password: pw };
  }

  /** A case created by token's user (a caseworker is assigned to it). */
  createCase(token, fields = {}) {
    return this.expect(201, 'POST', '/cases', {
      token,
      body: { risk: 'high', region: 'Chechnya', household_size: 1,
        person: { name: 'Test Person' }, notes: '', ...fields },
    });
  }

  /** n cases, one request after another (the list fixtures: 100 cases
   * for the render measurement). fields(i) gives each case's fields. */
  async createCases(token, n, fields = () => ({})) {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await this.createCase(token, fields(i)));
    return out;
  }

  addContact(token, caseId, fields = {}) {
    return this.expect(201, 'POST', `/cases/${caseId}/contacts`, {
      token, body: { channel: 'signal', summary: 'contact', ...fields },
    });
  }

  assign(coordToken, caseId, userId) {
    return this.api('POST', `/cases/${caseId}/assignments`,
      { token: coordToken, body: { user_id: userId } });
  }

  // --- the browser ---------------------------------------------------------

  async launch() {
    this.profile = path.join(this.tmp, 'profile');
    fs.mkdirSync(this.profile);
    const args = [
      // the closed network: no background fetches to Google's hosts
      '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-default-apps', '--no-first-run',
      '--disable-quic', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-features=Translate,MediaRouter,OptimizationHints',
      '--window-size=1280,900',
    ];
    // Chromium refuses to run as root with its sandbox, and CI runs as
    // root. The sandbox protects the machine from the pages; these tests
    // load only our own pages from our own server on loopback.
    if (typeof process.getuid === 'function' && process.getuid() === 0) {
      args.push('--no-sandbox');
    }
    this.browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: this.profile,
      args,
      defaultViewport: { width: 1280, height: 900 },
    });
  }

  /**
   * A new page in a fresh browser context (its own storage: one per user
   * of a multi-user flow), with the language set ('en' or 'ru': the
   * Accept-Language header, navigator.languages and Intl), recording:
   *   page.errors      console errors and uncaught exceptions
   *   page.violations  CSP and Trusted Types violations
   *   page.requests    every request URL
   * Does not navigate: call page.goto(env.origin + '/').
   */
  async newPage({ lang = 'en' } = {}) {
    if (this.browser === null) await this.launch();
    const ctx = await this.browser.createBrowserContext();
    const page = await ctx.newPage();
    page.errors = [];
    page.violations = [];
    page.requests = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        const where = msg.location()?.url;
        const text = msg.text() + (where ? ` (${where})` : '');
        page.errors.push(text);
        // the console also reports sink violations on elements not in
        // the document, which fire no event the listener below can see
        if (/Content Security Policy|Trusted(HTML|Script|ScriptURL| ?Types?)/i
          .test(msg.text())) {
          page.violations.push({ source: 'console', text });
        }
      }
    });
    page.on('pageerror', (e) => page.errors.push('uncaught: ' + e.message));
    page.on('request', (req) => page.requests.push(req.url()));
    await page.exposeFunction('__corridorTestViolation', (v) => {
      page.violations.push({ source: 'event', ...v });
    });
    await page.evaluateOnNewDocument(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        // eslint-disable-next-line no-undef
        globalThis.__corridorTestViolation({
          directive: e.violatedDirective, blocked: e.blockedURI,
          sample: e.sample, line: e.lineNumber,
        });
      });
    });
    await this.setLanguage(page, lang);
    this.pages.push(page);
    return page;
  }

  /** Switch what the browser says it prefers (takes effect on the next
   * load). */
  async setLanguage(page, lang) {
    const acceptLanguage = lang === 'ru' ? 'ru-RU,ru;q=0.9' : 'en-US,en;q=0.9';
    const cdp = await page.createCDPSession();
    await cdp.send('Network.setUserAgentOverride', {
      userAgent: await this.browser.userAgent(), acceptLanguage,
      platform: 'Linux',
    });
    await cdp.send('Emulation.setLocaleOverride',
      { locale: lang === 'ru' ? 'ru-RU' : 'en-US' });
  }

  /** Every request of page that went anywhere but our origin (data: URLs
   * are the page's own bytes, not a request to another origin). */
  foreignRequests(page) {
    return page.requests.filter((u) => !u.startsWith(this.origin + '/') &&
        !u.startsWith('data:'));
  }

  /**
   * Run axe-core on the page as it is (see the top of this file for why
   * through the DevTools protocol). Returns the violations of impact
   * serious or critical (each { id, impact, help, nodes: [selectors] }).
   */
  async axe(page, { impacts = ['serious', 'critical'] } = {}) {
    const loaded = await page.evaluate('typeof globalThis.axe === "object"');
    if (!loaded) await page.evaluate(AXE_SOURCE);
    const res = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => n.target.join(' ')),
      }));
    });
    return res.filter((v) => impacts.includes(v.impact));
  }

  /**
   * Measure how long page takes to show something, from Chromium's own
   * trace: marks 'corridor-start', runs action (a click, a navigation),
   * waits for ready (a selector, or a function of page), waits two
   * animation frames so the result has been painted, marks
   * 'corridor-painted'. Returns { ms, longestTaskMs, tasks, file }: the
   * time between the marks, the longest main-thread task in between and
   * how many there were, and the trace file (SCREENSHOT_DIR/<name>.trace
   * .json, opens in chrome://tracing or the Performance panel). For
   * docs/performance.md, never for an assertion on time.
   */
  async traceRender(page, name, action, ready) {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error('bad trace name');
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, name + '.trace.json');
    const mark = (m) => page.evaluate((x) => { performance.mark(x); }, m);
    await page.tracing.start({ path: file, categories: [
      'devtools.timeline', 'blink.user_timing', 'toplevel'] });
    try {
      await mark('corridor-start');
      await action();
      if (typeof ready === 'string') await page.waitForSelector(ready);
      else await ready(page);
      await page.evaluate(() => new Promise((resolve) => {
        requestAnimationFrame(() => requestAnimationFrame(() => resolve()));
      }));
      await mark('corridor-painted');
    } finally {
      await page.tracing.stop();
    }
    const events = JSON.parse(fs.readFileSync(file, 'utf8')).traceEvents;
    const at = (n) => events.filter((e) => e.name === n)
      .map((e) => e.ts).sort((a, b) => a - b);
    const t0 = at('corridor-start')[0];
    const t1 = at('corridor-painted').pop();
    if (t0 === undefined || t1 === undefined) {
      throw new Error('trace holds no marks: ' + file);
    }
    // main-thread tasks of the renderers (the page's JavaScript, style,
    // layout and paint run there)
    const main = new Set(events.filter((e) => e.ph === 'M' &&
        e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}/${e.tid}`));
    const tasks = events.filter((e) => e.ph === 'X' &&
        /(^|::)RunTask$/.test(e.name) && main.has(`${e.pid}/${e.tid}`) &&
        e.ts >= t0 && e.ts <= t1);
    return {
      ms: (t1 - t0) / 1000,
      longestTaskMs: Math.max(0, ...tasks.map((e) => e.dur || 0)) / 1000,
      tasks: tasks.length,
      file,
    };
  }

  /** Write a full-page PNG to SCREENSHOT_DIR/<name>.png; returns its path. */
  async screenshot(page, name) {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error('bad screenshot name');
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, name + '.png');
    await page.screenshot({ path: file, fullPage: true });
    return file;
  }

  // --- teardown ------------------------------------------------------------

  /** Synchronous last resort (process exit): kill, remove. */
  killNow() {
    try { this.browser?.process()?.kill('SIGKILL'); } catch { /* gone */ }
    try { this.proc?.kill('SIGKILL'); } catch { /* gone */ }
    if (!process.env.CORRIDOR_BROWSER_KEEP) {
      fs.rmSync(this.tmp, { recursive: true, force: true });
    }
    live.delete(this);
  }

  /**
   * Close the browser, stop the server, remove the temp dir. Returns the
   * server's exit code (0 = clean shutdown; under ASan, no leak).
   */
  async close() {
    let rc = null;
    try {
      if (this.browser !== null) {
        const b = this.browser;
        this.browser = null;
        await b.close().catch(() => b.process()?.kill('SIGKILL'));
      }
    } finally {
      rc = await this.stopServer();
      if (!process.env.CORRIDOR_BROWSER_KEEP) {
        fs.rmSync(this.tmp, { recursive: true, force: true });
      }
      live.delete(this);
    }
    return rc;
  }
}

/**
 * A fresh data directory (admin "admin" and coordinator "coord", passwords
 * ADMIN_PW and COORD_PW, both enrolled by init), and the server running
 * on it. The browser starts with the first newPage().
 */
export async function startCorridor({ serveArgs = [] } = {}) {
  const env = new Corridor();
  try {
    await env.init();
    await env.serve(serveArgs);
  } catch (e) {
    await env.close();
    throw e;
  }
  return env;
}
