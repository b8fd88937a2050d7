// DORA numbers from hand-made run records with known answers (table-driven). Times are relative
// to NOW so each case reads as a story: "deployed 2 days ago, rolled back an hour later".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeDora, doraFacts, median } from '../../src/report/dora.ts';
import type { RunRecord, StageRecord } from '../../src/state/types.ts';

const NOW = new Date('2026-06-30T12:00:00.000Z');
const H = 3_600_000;
const D = 24 * H;
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();

let n = 0;
/** A run of `commitAgo` committed, whose stage for ENV ended `endAgo` ago with `status`. */
function run(env: string, endAgo: number, status: StageRecord['status'], opts: { commitAgo?: number; trigger?: string } = {}): RunRecord {
  const rollback = opts.trigger === 'rollback';
  return {
    version: 1, pipeline: 'app', number: ++n, status: status === 'passed' ? 'deployed' : 'failed', branch: 'main',
    trigger: opts.trigger ?? 'poll', createdAt: ago(endAgo + H),
    commit: { id: 'c'.repeat(40), message: 'm', author: { name: 'a', email: 'a@x' }, time: ago(opts.commitAgo ?? endAgo + H) },
    stages: [
      { name: 'test', kind: 'test', status: 'passed', steps: [], finishedAt: ago(endAgo + 1000) },
      { name: `${rollback ? 'rollback' : 'deploy'}:${env}`, kind: 'deploy', environment: env, status, steps: [], startedAt: ago(endAgo + 1000), finishedAt: ago(endAgo) },
    ],
  };
}

interface Case {
  what: string;
  runs: RunRecord[];
  /** [deploys, attempts, failures, changeFailureRate, leadTimeMs, timeToRestoreMs] over 7 days. */
  week: [number, number, number, number | null, number | null, number | null];
  month?: [number, number, number, number | null, number | null, number | null];
}

const cases: Case[] = [
  { what: 'no deploys at all', runs: [], week: [0, 0, 0, null, null, null] },
  {
    what: 'three good deploys; lead times 1 h, 2 h, 4 h → median 2 h',
    runs: [run('prod', 1 * D, 'passed', { commitAgo: 1 * D + H }), run('prod', 2 * D, 'passed', { commitAgo: 2 * D + 2 * H }), run('prod', 3 * D, 'passed', { commitAgo: 3 * D + 4 * H })],
    week: [3, 3, 0, 0, 2 * H, null],
  },
  {
    what: 'a failed deploy (rolled back on the spot), fixed by a good deploy 3 h later',
    runs: [run('prod', 5 * D, 'passed'), run('prod', 2 * D, 'rolled-back'), run('prod', 2 * D - 3 * H, 'passed', { commitAgo: 2 * D - 2 * H })],
    week: [2, 3, 1, 0.333, H, 3 * H],
  },
  {
    what: 'a good deploy undone by slipway rollback 30 min later counts as a failed change, restored by the rollback',
    runs: [run('prod', 4 * D, 'passed'), run('prod', 1 * D, 'passed'), run('prod', 1 * D - 0.5 * H, 'passed', { trigger: 'rollback' })],
    week: [2, 2, 1, 0.5, H, 0.5 * H],
  },
  {
    what: 'windows: a deploy 20 days ago is outside 7 days, inside 30',
    runs: [run('prod', 20 * D, 'failed'), run('prod', 2 * D, 'passed')],
    week: [1, 1, 0, 0, H, null],
    month: [1, 2, 1, 0.5, H, 18 * D],
  },
  {
    what: 'other environments do not count',
    runs: [run('staging', 1 * D, 'failed'), run('prod', 1 * D, 'passed')],
    week: [1, 1, 0, 0, H, null],
  },
];

test('DORA numbers per environment from known histories (7 and 30 days)', () => {
  for (const c of cases) {
    const [prod] = computeDora(c.runs.flatMap(doraFacts), ['prod'], NOW);
    const pick = (i: number): Case['week'] => {
      const w = prod!.windows[i]!;
      return [w.deploys, w.attempts, w.failures, w.changeFailureRate, w.leadTimeMs, w.timeToRestoreMs];
    };
    assert.deepEqual(pick(0), c.week, c.what);
    if (c.month) assert.deepEqual(pick(1), c.month, `${c.what} (30 days)`);
    assert.deepEqual(prod!.windows.map((w) => w.days), [7, 30, 90]);
  }
});

test('deploys per day: 30 UTC days, today last; deployment frequency per day', () => {
  const runs = [run('prod', 0.1 * H, 'passed'), run('prod', 0.2 * H, 'passed'), run('prod', 1 * D, 'passed'), run('prod', 29 * D, 'passed'), run('prod', 31 * D, 'passed'), run('prod', 2 * D, 'failed')];
  const [prod] = computeDora(runs.flatMap(doraFacts), ['prod'], NOW);
  assert.equal(prod!.deploysPerDay.length, 30);
  assert.equal(prod!.deploysPerDay[29], 2);
  assert.equal(prod!.deploysPerDay[28], 1);
  assert.equal(prod!.deploysPerDay[0], 1);
  assert.equal(prod!.deploysPerDay.reduce((a, b) => a + b, 0), 4);
  assert.equal(prod!.windows[0]!.deploysPerDay, 0.43, '3 deploys / 7 days');
  assert.equal(prod!.windows[2]!.deploys, 5);
  assert.equal(prod!.leadTimes.length, 5);
});

test('median of odd and even counts', () => {
  assert.equal(median([]), null);
  assert.equal(median([5]), 5);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 3);
});
