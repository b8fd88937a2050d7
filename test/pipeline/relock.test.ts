// An undo after the host released its lock (issue 13: every host unlocks in its health exec):
// on a real sh, the undo takes the lock back when free or still ours, runs, and releases it in
// the same exec; a newer deploy's lock stops it before it changes anything. And recovery after a
// kill -9 still knows which hosts such an undo may have left locked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import * as locks from '../../src/pipeline/lock-scripts.ts';
import { withRelock } from '../../src/pipeline/host-steps.ts';
import { lockWasHeld } from '../../src/pipeline/relock.ts';
import { locksLeftBy } from '../../src/pipeline/release-locks.ts';
import type { RunRecord, StepRecord } from '../../src/state/types.ts';
import { env, LOCK } from './plan-fixture.ts';

const NEWER = 'state=22222222-2222-4222-8222-222222222222 run=app#9 by=ops@elsewhere pid=7 at=t';

test('withRelock on a real sh: free or ours, the undo runs and the lock is gone after; a newer holder stops it unchanged', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-relock-'));
  const path = join(dir, 'app');
  const lock = join(path, '.slipway-lock');
  const sh = (script: string) => execa('sh', ['-c', script], { reject: false });
  try {
    await mkdir(join(path, 'releases', 'r2'), { recursive: true });
    await symlink('releases/r2', join(path, 'current'));
    const e = env(['web1'], { path } as never);
    // The undo writes a marker (what a rollback's switch would be) and shows the lock it runs under.
    const undo = withRelock({ id: 'prod-web1-rollback', name: 'web1: roll back', script: `cat ${lock}/info > ${dir}/ran-under`, error: 'rollback failed' }, { env: e, lock: LOCK });
    assert.equal(undo.unlocks, true);

    // Free (the host released it when healthy): taken, the undo runs under it, released after.
    let r = await sh(undo.script);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal((await readFile(join(dir, 'ran-under'), 'utf8')).trim(), LOCK, 'the undo ran holding our lock');
    assert.ok(!existsSync(lock), 'released in the same exec');

    // Still ours (its release never happened): runs, released after.
    await mkdir(lock);
    await writeFile(join(lock, 'info'), `${LOCK}\n`);
    await rm(join(dir, 'ran-under'));
    r = await sh(undo.script);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'ran-under')));
    assert.ok(!existsSync(lock));

    // A newer deploy holds it: nothing runs, its lock stays as it was, the answer names it and what runs.
    await mkdir(lock);
    await writeFile(join(lock, 'info'), `${NEWER}\n`);
    await rm(join(dir, 'ran-under'));
    r = await sh(undo.script);
    assert.equal(r.exitCode, locks.LOCK_HELD_EXIT);
    assert.equal(locks.parseHeld(r.stdout)?.holder, NEWER);
    assert.equal(locks.parseRuns(r.stdout), 'r2');
    assert.equal(lockWasHeld(undo, { ok: false, exitCode: r.exitCode!, stdout: r.stdout }), true);
    assert.equal(lockWasHeld(undo, { ok: false, exitCode: 75, stdout: `${r.stdout}\nrestart said held=1 x but exited 75\n` }), false, 'only the relock part\'s own answer counts');
    assert.ok(!existsSync(join(dir, 'ran-under')), 'the undo did not run');
    assert.equal((await readFile(join(lock, 'info'), 'utf8')).trim(), NEWER, 'the newer deploy keeps its lock');

    // After a takeover (the applier's, for a holder whose run ended) the same script runs.
    assert.equal((await sh(locks.takeOverLockScript(path, LOCK, NEWER))).exitCode, 0);
    r = await sh(undo.script);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(!existsSync(lock));
    assert.equal(locks.parseRuns('held=3 x\nruns=\n'), '', 'no current: nothing runs');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const step = (id: string, status: StepRecord['status']): StepRecord => ({ id: `production-web1-${id}`, name: id, host: 'web1', status });
const runOf = (steps: StepRecord[]): RunRecord => ({ stages: [{ name: 'deploy:production', kind: 'deploy', environment: 'production', status: 'running', steps }] }) as unknown as RunRecord;

test('locksLeftBy: a host unlocked when healthy, then killed in an undo that takes the lock back, is released at recovery', () => {
  const cases: Array<[string, StepRecord[], boolean]> = [
    ['killed mid-deploy, lock held', [step('connect', 'passed'), step('release', 'passed'), step('switch', 'running')], true],
    ['healthy: unlocked with its health exec', [step('connect', 'passed'), step('switch', 'passed'), step('health', 'passed'), step('unlock', 'passed')], false],
    ['killed in the undo that took the lock back', [step('connect', 'passed'), step('health', 'passed'), step('unlock', 'passed'), step('rollback', 'running')], true],
    ['the undo released it again', [step('connect', 'passed'), step('health', 'passed'), step('unlock', 'passed'), step('rollback', 'passed'), step('unlock-2', 'passed')], false],
    ['never locked', [step('connect', 'failed')], false],
    ['waited, then locked', [step('lock-wait', 'passed'), step('connect', 'passed')], true],
  ];
  for (const [name, steps, left] of cases) assert.deepEqual(locksLeftBy(runOf(steps)), left ? [{ environment: 'production', host: 'web1' }] : [], name);
});
