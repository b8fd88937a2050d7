// The host deploy lock: the pure decision (whose lock may go, when), and the scripts on a real sh
// racing each other: of many takers of one stale lock exactly one holds it afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, mkdir, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import * as locks from '../../src/pipeline/lock-scripts.ts';
import { decideLock, lockInfo, parseLockInfo } from '../../src/pipeline/deploy-lock.ts';

const ME = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const mine = (run: number) => lockInfo(ME, 'app', run, 'ops@box', '2026-12-01T00:00:00.000Z');

test('decideLock: own locks of ended runs go at once; other state folders wait for lockTimeout', () => {
  const known = { stateId: ME, lockTimeoutMs: 1_800_000 };
  const cases: Array<[string, Parameters<typeof decideLock>[0], Parameters<typeof decideLock>[1], string]> = [
    ['own lock, run interrupted', { holder: mine(2), ageSeconds: 5 }, { ...known, runStatus: 'interrupted' }, 'take-over'],
    ['own lock, run failed', { holder: mine(2), ageSeconds: 5 }, { ...known, runStatus: 'failed' }, 'take-over'],
    ['own lock, run gone (retention)', { holder: mine(2), ageSeconds: 5 }, { ...known, runStatus: 'missing' }, 'take-over'],
    ['own lock, run still running', { holder: mine(2), ageSeconds: 99_999 }, { ...known, runStatus: 'running' }, 'wait'],
    ['other state folder, young', { holder: lockInfo(OTHER, 'app', 2, 'x', 't'), ageSeconds: 60 }, known, 'wait'],
    ['other state folder, older than lockTimeout', { holder: lockInfo(OTHER, 'app', 2, 'x', 't'), ageSeconds: 1800 }, known, 'take-over'],
    ['old-style lock without a state id, young', { holder: 'run=app#2 by=x pid=1 at=t', ageSeconds: 60 }, known, 'wait'],
    ['empty lock (mid-takeover)', { holder: '', ageSeconds: 1 }, known, 'retry'],
    ['empty lock left by a dead taker', { holder: '', ageSeconds: 4000 }, known, 'take-over'],
  ];
  for (const [name, held, k, action] of cases) assert.equal(decideLock(held, k).action, action, name);
  assert.deepEqual(parseLockInfo(mine(7)), { state: ME, pipeline: 'app', run: 7 });
});

test('on a real sh: 12 processes of two state folders take over one stale lock at once; exactly one holds it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-lock-race-'));
  const path = join(dir, 'app');
  const sh = (script: string) => execa('sh', ['-c', script], { reject: false });
  try {
    const stale = mine(1);
    await mkdir(join(path, '.slipway-lock'), { recursive: true });
    await writeFile(join(path, '.slipway-lock', 'info'), `${stale}\n`);
    for (let round = 0; round < 5; round++) {
      const takers = Array.from({ length: 12 }, (_, i) => lockInfo(i % 2 ? ME : OTHER, 'app', 100 + round * 12 + i, 'ops', 't'));
      const current = round === 0 ? stale : (await readFile(join(path, '.slipway-lock', 'info'), 'utf8')).trim();
      const results = await Promise.all(takers.map((t) => sh(locks.takeOverLockScript(path, t, current))));
      const won = results.map((r, i) => (r.exitCode === 0 ? takers[i] : undefined)).filter(Boolean);
      assert.equal(won.length, 1, `round ${round}: exactly one taker wins (${results.map((r) => r.exitCode).join(',')})`);
      assert.equal((await readFile(join(path, '.slipway-lock', 'info'), 'utf8')).trim(), won[0], 'the lock names the winner');
      for (const [i, r] of results.entries()) if (r.exitCode !== 0) assert.equal(r.exitCode, locks.LOCK_HELD_EXIT, `loser ${i} is told it is held`);
      assert.deepEqual((await readdir(join(path, '.slipway-lock'))).sort(), ['info'], 'no leftovers of the losers');
    }
    // Free-lock race: 12 acquirers, one winner; the release by a loser changes nothing.
    await sh(locks.releaseLockScript(path, (await readFile(join(path, '.slipway-lock', 'info'), 'utf8')).trim()));
    const takers = Array.from({ length: 12 }, (_, i) => lockInfo(ME, 'app', 500 + i, 'ops', 't'));
    const results = await Promise.all(takers.map((t) => sh(locks.acquireLockScript(path, t))));
    assert.equal(results.filter((r) => r.exitCode === 0).length, 1);
    const holder = (await readFile(join(path, '.slipway-lock', 'info'), 'utf8')).trim();
    await sh(locks.releaseLockScript(path, takers.find((t) => t !== holder)!));
    assert.equal((await readFile(join(path, '.slipway-lock', 'info'), 'utf8')).trim(), holder);
    assert.deepEqual((await readdir(path)).sort(), ['.slipway-lock'], 'no temp folders left beside the lock');
    // A refresh renews the age of our own lock only.
    const old = new Date(Date.now() - 3_600_000);
    await utimes(join(path, '.slipway-lock'), old, old);
    await sh(locks.refreshLockScript(path, 'not the holder'));
    assert.ok(locks.parseHeld((await sh(locks.acquireLockScript(path, 'x'))).stdout)!.ageSeconds >= 3599);
    await sh(locks.refreshLockScript(path, holder));
    assert.ok(locks.parseHeld((await sh(locks.acquireLockScript(path, 'x'))).stdout)!.ageSeconds < 60);
    // An empty lock (a taker died between its renames) is taken over whole.
    await sh(`rm -rf '${path}/.slipway-lock' && mkdir '${path}/.slipway-lock' && touch '${path}/.slipway-lock/info.taken.1'`);
    assert.equal(locks.parseHeld((await sh(locks.acquireLockScript(path, 'x'))).stdout)!.holder, '');
    assert.equal((await sh(locks.takeOverLockScript(path, 'new', ''))).exitCode, 0);
    assert.equal((await readFile(join(path, '.slipway-lock', 'info'), 'utf8')).trim(), 'new');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
