// What the state says after a plan ran, from the facts and the results alone (no second read).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostOutcome, nextHostAfterDeploy, nextHostAfterRollback } from '../../src/pipeline/host-record.ts';
import type { HostResult, Plan } from '../../src/pipeline/plan-types.ts';
import { A, B, NEW, OLD, PREV, running } from './plan-fixture.ts';

const plan: Plan = { refusals: [], batches: [], unlock: {}, finish: {}, release: { web1: NEW }, pruned: { web1: [OLD] } };
const result = (over: Partial<HostResult>): HostResult => ({ host: 'web1', status: 'deployed', switched: true, touched: true, unlocked: true, ...over });

test('hostOutcome: deployed, rolled back, never switched, rollback failed, refused, not reached', () => {
  const cases: Array<[string, HostResult | undefined, Plan, object]> = [
    ['deployed', result({}), plan, { status: 'deployed' }],
    ['its health failed, rolled back', result({ status: 'failed', error: 'health check: x', undo: 'ok' }), plan, { status: 'rolled-back', error: 'health check: x' }],
    ['a sibling failed: rolled back without an error of its own', result({ undo: 'ok' }), plan, { status: 'rolled-back' }],
    ['failed before the switch: its folder removed', result({ status: 'failed', switched: false, error: 'release folder: exit 1', undo: 'ok' }), plan, { status: 'untouched', error: 'release folder: exit 1' }],
    ['the rollback failed too', result({ status: 'failed', error: 'health check: x', undo: 'failed', undoError: 'rollback failed: lost' }), plan, { status: 'failed', error: 'rollback failed: lost' }],
    ['refused by the plan', undefined, { ...plan, refusals: [{ host: 'web1', error: 'no release before X on this host' }] }, { status: 'failed', error: 'no release before X on this host' }],
    ['not reached', undefined, plan, { status: 'untouched' }],
  ];
  for (const [name, r, p, want] of cases) assert.deepEqual(hostOutcome('web1', running, p, r), { host: 'web1', release: NEW, previousRelease: PREV, ...want }, name);
});

test('nextHostAfterDeploy: the new current, the one it replaced as previous, pruned releases gone', () => {
  const before = { releases: [OLD, PREV], current: { release: PREV, commit: B, deployedAt: 'd1', run: 3 } };
  const base = { before, facts: running, pruned: [OLD], commit: A, run: 7, now: 'now' };
  assert.deepEqual(nextHostAfterDeploy({ ...base, switched: true, outcome: { host: 'web1', status: 'deployed', release: NEW } }), {
    releases: [PREV, NEW],
    current: { release: NEW, commit: A, deployedAt: 'now', run: 7 },
    previous: { release: PREV, commit: B, deployedAt: 'd1', run: 3 },
  });
  assert.deepEqual(nextHostAfterDeploy({ ...base, pruned: [], switched: true, outcome: { host: 'web1', status: 'rolled-back', release: NEW } }), { ...before, releases: [OLD, PREV] }, 'rolled back before its prune: as before');
  assert.deepEqual(nextHostAfterDeploy({ ...base, switched: true, outcome: { host: 'web1', status: 'rolled-back', release: NEW } }), { ...before, releases: [PREV] }, 'healthy and pruned, then rolled back for a sibling: the pruned release is gone, the previous one serves');
  assert.deepEqual(nextHostAfterDeploy({ ...base, switched: true, outcome: { host: 'web1', status: 'failed', release: NEW } }), { releases: [OLD, PREV] }, 'switched and its rollback failed: no current claimed');
});

test('nextHostAfterRollback: back one release, previous named only with its commit', () => {
  assert.deepEqual(nextHostAfterRollback({ releases: [] }, running, OLD, 'x', 8, 'now'), { releases: [OLD, PREV], current: { release: OLD, commit: A, deployedAt: 'now', run: 8 } });
});

test('nextHostAfterDeploy: not rolled back because a newer deploy holds the lock — the state says what runs there', () => {
  const before = { releases: [OLD, PREV], current: { release: PREV, commit: B, deployedAt: 'd1', run: 3 } };
  const base = { before, facts: running, pruned: [OLD], commit: A, run: 7, now: 'now', switched: true, outcome: { host: 'web1', status: 'failed' as const, release: NEW, error: 'not rolled back: …' } };
  assert.deepEqual(nextHostAfterDeploy({ ...base, kept: NEW }), {
    releases: [PREV, NEW],
    current: { release: NEW, commit: A, deployedAt: 'now', run: 7 },
    previous: { release: PREV, commit: B, deployedAt: 'd1', run: 3 },
  }, 'our release still runs: it is current');
  assert.deepEqual(nextHostAfterDeploy({ ...base, kept: PREV }), { releases: [PREV, NEW], current: { release: PREV, commit: B, deployedAt: 'd1', run: 3 } }, 'the newer deploy switched to a release we know');
  assert.deepEqual(nextHostAfterDeploy({ ...base, kept: '20260104000000-ddddddd' }), { releases: [PREV, NEW], previous: { release: PREV, commit: B, deployedAt: 'd1', run: 3 } }, 'a release we cannot name a commit for: no current claimed');
  assert.deepEqual(hostOutcome('web1', running, plan, result({ undo: 'failed', undoError: 'not rolled back: a newer deploy (holder h) holds the lock; it runs X', kept: 'X' })), { host: 'web1', status: 'failed', release: NEW, previousRelease: PREV, error: 'not rolled back: a newer deploy (holder h) holds the lock; it runs X' });
});
