// `slipway demo` as a newcomer runs it: a child process with a fresh, empty HOME and nothing else
// set up. It must deploy the sample app to both hosts, roll back the broken commit, write the
// report, clean up after itself, and exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSlipway } from '../helpers/slipway-cli.ts';

test('slipway demo runs the whole loop and exits 0', async () => {
  const home = await mkdtemp(join(tmpdir(), 'slipway-demo-home-'));
  try {
    const r = await runSlipway(['demo'], { cwd: home, env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: home } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const answers = [...r.stdout.matchAll(/demo: (staging|production) app answers ([0-9a-f]{7})/g)];
    assert.equal(answers.length, 2, r.stdout);
    assert.equal(answers[0]![2], answers[1]![2], 'both hosts run the first commit');
    assert.match(r.stdout, new RegExp(`the broken commit was rolled back; the apps answer ${answers[0]![2]}, ${answers[0]![2]}`));
    assert.match(r.stdout, /demo-app #2: failed \(deploy to staging failed and was rolled back/);
    const report = /demo: report file:\/\/(\S+)/.exec(r.stdout)?.[1];
    assert.ok(report && existsSync(report), 'the report exists');
    assert.match(await readFile(report, 'utf8'), /demo-app/);
    assert.match(r.stdout, /demo: done in/);
    assert.equal(r.stderr, '');
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
