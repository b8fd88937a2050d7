import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLocal } from '../../src/exec/run-local.ts';
import { maskSecrets, MaskingLineBuffer } from '../../src/exec/mask.ts';
import { openStepLog } from '../../src/exec/log-file.ts';
import { waitFor } from '../helpers/wait.ts';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

test('runLocal reports exit codes and streams output', async () => {
  let out = '';
  const ok = await runLocal({ command: 'echo hi; echo err >&2', cwd: tmpdir(), env, deadline: Date.now() + 30_000, onOutput: (t) => (out += t) });
  assert.equal(ok.exitCode, 0);
  assert.equal(ok.timedOut, false);
  assert.match(out, /hi\n/);
  assert.match(out, /err\n/);
  const bad = await runLocal({ command: 'exit 3', cwd: tmpdir(), env, deadline: Date.now() + 30_000, onOutput: () => {} });
  assert.equal(bad.exitCode, 3);
});

test('runLocal kills the whole process group at the deadline, grandchildren included', async () => {
  const marker = `slipway-exec-test-${process.pid}-${Date.now()}`;
  // The grandchild holds stdout open: with execa's own timeout this would hang until it exits.
  const res = await runLocal({
    command: `sh -c 'exec -a ${marker} sleep 300' & sleep 300`,
    cwd: tmpdir(),
    env,
    deadline: Date.now() + 500,
    graceMs: 500,
    onOutput: () => {},
  });
  assert.equal(res.timedOut, true);
  await waitFor(async () => !(await pgrep(marker)), { timeoutMs: 10_000, what: 'grandchild to be killed' });
});

test('runLocal sweeps background jobs a successful step left behind', async () => {
  const marker = `slipway-bg-test-${process.pid}-${Date.now()}`;
  const res = await runLocal({
    command: `(exec -a ${marker} sleep 300) >/dev/null 2>&1 & echo started`,
    cwd: tmpdir(),
    env,
    deadline: Date.now() + 30_000,
    onOutput: () => {},
  });
  assert.equal(res.exitCode, 0);
  await waitFor(async () => !(await pgrep(marker)), { timeoutMs: 10_000, what: 'background job to be swept' });
});

test('maskSecrets masks every occurrence, longest first', () => {
  assert.equal(maskSecrets('token=abc123 and abc123x', ['abc123', 'abc123x']), 'token=*** and ***');
  assert.equal(maskSecrets('a b', ['a']), 'a b', 'secrets shorter than 3 characters are ignored');
});

test('MaskingLineBuffer masks a secret split across chunks', () => {
  let out = '';
  const buf = new MaskingLineBuffer(['s3cr3t-value'], (t) => (out += t));
  buf.write('pass: s3cr');
  buf.write('3t-value\nnext ');
  buf.write('line');
  buf.flush();
  assert.equal(out, 'pass: ***\nnext line');
});

test('openStepLog writes masked text to the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-'));
  try {
    const log = await openStepLog(join(dir, 'a', 'b.log'), ['hunter22']);
    log.output(Buffer.from('password hunter2'), 'stdout');
    log.output(Buffer.from('2 done\n'), 'stdout');
    await log.close();
    assert.equal(await readFile(join(dir, 'a', 'b.log'), 'utf8'), 'password *** done\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('openStepLog: a write that fails (ENOSPC, here /dev/full) is kept as .error, never thrown, and later output is dropped', async () => {
  const log = await openStepLog('/dev/full', []);
  assert.equal(log.error, undefined);
  log.write('$ true\n');
  log.output(Buffer.from('more\n'), 'stdout');
  await log.close();
  assert.match(log.error ?? '', /ENOSPC/);
});

async function pgrep(marker: string): Promise<boolean> {
  const { execa } = await import('execa');
  const r = await execa('pgrep', ['-f', marker], { reject: false });
  return r.exitCode === 0;
}
