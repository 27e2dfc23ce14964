// SPDX-License-Identifier: AGPL-3.0-or-later
//
// The auditor's audit screen with a real witness (docs/audit.md section
// 14): a `corridor witness serve` that follows this server's log; the
// screen lists it as cosigning, with a cosignature on the checkpoint
// shown and no lag; once the witness is stopped and the log grows, the
// screen shows it unreachable and behind.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { startCorridor, BIN } from './harness.mjs';
import { openApp, login, press, waitText, bodyText, assertClean } from './ui.mjs';

let env;
let auditor;
let witness = null;

function startWitness(dir, logKey) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, ['witness', 'serve', dir, '--log-key', logKey, '--listen', '127.0.0.1:0'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => reject(new Error('witness did not start:\n' + log)), 30000);
    p.stderr.on('data', (d) => {
      log += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) { clearTimeout(timer); resolve({ proc: p, url: m[1] }); }
    });
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`witness exited ${code}:\n${log}`)); });
  });
}

async function stopWitness() {
  if (!witness) return;
  const p = witness.proc;
  witness = null;
  p.removeAllListeners('exit');
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await done;
}

before(async () => {
  env = await startCorridor();
  auditor = await env.createUser('auditor-w', 'auditor');
  const tok = await env.login(auditor.username, auditor.password);
  const key = (await env.api('GET', '/audit/public-key', { token: tok })).json.vkey;
  await env.logout(tok);
  const pub = path.join(env.tmp, 'audit.pub');
  fs.writeFileSync(pub, key + '\n');
  const wdir = path.join(env.tmp, 'witness');
  const r = spawnSync(BIN, ['witness', 'init', wdir, '--name', 'witness.partner.example/w1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  witness = await startWitness(wdir, pub);
  // the same server again, now sending its checkpoints to the witness
  await env.stopServer();
  env.origin = null;
  env.log = '';   // serve() reads the port from the latest log
  await env.serve(['--witness', `${witness.url},${path.join(wdir, 'witness.pub')}`,
    '--checkpoint-every', '3', '--checkpoint-interval', '1']);
});
after(async () => {
  await stopWitness();
  if (env) assert.equal(await env.close(), 0, 'corridor serve did not exit cleanly');
});

test('auditor: the audit screen shows the witness, its cosignature and its lag', async () => {
  const page = await openApp(env);
  await login(page, auditor.username, auditor.password);
  await waitText(page, 'Latest signed checkpoint');
  // the witness cosigns within a second or two of the start-up checkpoint
  let text = '';
  for (let i = 0; i < 50; i += 1) {
    await press(page, 'Fetch the latest checkpoint');
    text = await bodyText(page);
    if (/witness\.partner\.example\/w1\s*cosigning\s*yes\s*0 entries/.test(text)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(text, /Witnesses: partner organisations/);
  assert.match(text, /witness\.partner\.example\/w1\s*cosigning\s*yes\s*0 entries/);
  assert.match(text, /the server's current key/);
  // the witness goes away; the log grows (each fetch is an audited read)
  await stopWitness();
  for (let i = 0; i < 50; i += 1) {
    await press(page, 'Fetch the latest checkpoint');
    text = await bodyText(page);
    if (/witness\.partner\.example\/w1\s*unreachable\s*no\s*[1-9]/.test(text)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(text, /witness\.partner\.example\/w1\s*unreachable\s*no\s*[1-9]\d* entries/);
  assertClean(env, page);
});
