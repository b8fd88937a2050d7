import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canMoveRun, moveRun, runEnded } from '../../src/pipeline/run-status.ts';
import { ENDED_STATUSES, type RunStatus } from '../../src/state/types.ts';

const ALL: RunStatus[] = ['queued', 'running', 'passed', 'deployed', 'waiting', 'failed', 'interrupted', 'superseded', 'cancelled'];

test('run status moves: forward only, ended runs are final', () => {
  const allowed = (from: RunStatus) => ALL.filter((to) => canMoveRun(from, to));
  assert.deepEqual(allowed('queued'), ['running', 'failed', 'interrupted', 'superseded', 'cancelled']);
  assert.deepEqual(allowed('running'), ['running', 'passed', 'deployed', 'waiting', 'failed', 'interrupted', 'cancelled']);
  assert.deepEqual(allowed('waiting'), ['running', 'failed', 'interrupted', 'superseded', 'cancelled']);
  for (const s of ENDED_STATUSES) assert.deepEqual(allowed(s), [], `${s} is final`);
  assert.deepEqual(ALL.filter(runEnded), [...ENDED_STATUSES].sort((a, b) => ALL.indexOf(a) - ALL.indexOf(b)), 'the ended statuses of state/types.ts, exactly');
});

test('moveRun refuses to rewrite an ended run, with its name', () => {
  const run = { pipeline: 'app', number: 4, status: 'deployed' as RunStatus };
  assert.throws(() => moveRun(run, 'running'), /^StateError: app #4 is deployed and cannot become running: an ended run is never rewritten$/);
  const live = { pipeline: 'app', number: 5, status: 'queued' as RunStatus };
  moveRun(live, 'running');
  assert.equal(live.status, 'running');
});
