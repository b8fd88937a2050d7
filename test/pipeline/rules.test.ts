// The pure rules of issue 9, table-driven: one run per commit, infrastructure retries with
// backoff, the approval rule, waiting runs superseded, what cancel does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PipelineState, RunRecord } from '../../src/state/types.ts';
import { decideCommitRun, retryBackoffMs } from '../../src/pipeline/commit-runs.ts';
import { checkApproval } from '../../src/pipeline/approval.ts';
import { planSupersedeWaiting } from '../../src/pipeline/waiting.ts';
import { planCancel } from '../../src/pipeline/cancel.ts';
import { deployFailure } from '../../src/pipeline/run.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const T0 = '2026-12-01T10:00:00.000Z';
function run(number: number, over: Partial<RunRecord> = {}): RunRecord {
  return {
    version: 1, pipeline: 'app', number, status: 'deployed', branch: 'main', trigger: 'poll', createdAt: T0, finishedAt: T0, stages: [],
    commit: { id: A, message: 'm', author: { name: 'n', email: 'e' }, time: T0 },
    ...over,
  };
}
const waitingAt = (n: number, commit = A) => run(n, { status: 'waiting', commit: { id: commit, message: '', author: { name: '', email: '' }, time: T0 }, stages: [{ name: 'deploy:production', kind: 'deploy', environment: 'production', status: 'waiting', steps: [] }] });
const at = (secs: number) => new Date(Date.parse(T0) + secs * 1000);

test('one run per commit and branch, whoever asks', () => {
  const req = (trigger: string, extra: object = {}) => ({ commit: A, branch: 'main', trigger, now: at(1), ...extra });
  const cases: Array<[string, RunRecord[], ReturnType<typeof req>, string]> = [
    ['a new commit runs', [], req('poll'), 'run'],
    ['a deployed commit does not run again by poll', [run(1)], req('poll'), 'skip'],
    ['… nor by a trigger of the head', [run(1)], req('trigger'), 'skip'],
    ['… nor by a webhook', [run(1)], req('webhook'), 'skip'],
    ['… unless asked: trigger --commit', [run(1)], req('trigger', { explicit: true }), 'run'],
    ['a queued run is not doubled', [run(1, { status: 'queued' })], req('poll'), 'skip'],
    ['a running run is not doubled by recovery', [run(1, { status: 'running' })], req('recovery'), 'skip'],
    ['an interrupted run is re-run by recovery', [run(1, { status: 'interrupted' })], req('recovery'), 'run'],
    ['… and not by the start-up poll', [run(1, { status: 'interrupted' })], req('poll'), 'skip'],
    ['a commit failure quarantines the commit', [run(1, { status: 'failed', cause: 'commit' })], req('poll'), 'skip'],
    ['an infrastructure failure is retried by the poll after the backoff', [run(1, { status: 'failed', cause: 'infrastructure' })], req('poll', { now: at(16) }), 'run'],
    ['… not before it', [run(1, { status: 'failed', cause: 'infrastructure' })], req('poll', { now: at(5) }), 'skip'],
    ['… and by a trigger at once', [run(1, { status: 'failed', cause: 'infrastructure' })], req('trigger', { now: at(1) }), 'run'],
    ['the backoff doubles with each infrastructure failure', [run(1, { status: 'failed', cause: 'infrastructure' }), run(2, { status: 'failed', cause: 'infrastructure', trigger: 'poll' })], req('poll', { now: at(20) }), 'skip'],
    ['deploy runs of the commit do not count', [run(1, { trigger: 'deploy' })], req('poll'), 'run'],
    ['another branch does not count', [run(1, { branch: 'dev' })], req('poll'), 'run'],
    ['another commit does not count', [run(1, { commit: { id: B, message: '', author: { name: '', email: '' }, time: T0 } })], req('poll'), 'run'],
  ];
  for (const [name, runs, r, action] of cases) assert.equal(decideCommitRun(runs, r).action, action, name);
  assert.deepEqual(decideCommitRun([run(4)], req('trigger')), { action: 'skip', reason: 'aaaaaaa already ran in run #4 (deployed); to run it again: slipway trigger app --commit aaaaaaa' });
  assert.deepEqual([1, 2, 3, 7, 20].map(retryBackoffMs), [15_000, 30_000, 60_000, 600_000, 600_000]);
});

test('the approval rule: only a waiting run, never backwards', () => {
  const state = (runNo?: number): PipelineState => ({ version: 1, pipeline: 'app', nextRunNumber: 10, environments: runNo ? { production: { commit: B, release: 'r', deployedAt: T0, run: runNo } } : {} });
  assert.deepEqual(checkApproval(waitingAt(5), state()).ok, true);
  assert.deepEqual(checkApproval(waitingAt(5), state(4)).ok, true);
  const back = checkApproval(waitingAt(5), state(7));
  assert.equal(back.ok, false);
  assert.equal(!back.ok && back.message, 'production already runs bbbbbbb from the newer run #7; approving #5 would take it backwards (to do that on purpose: slipway deploy app --env production --commit aaaaaaa)');
  const ended = checkApproval(run(5), state());
  assert.equal(!ended.ok && ended.message, 'app #5 is deployed, not waiting for approval');
});

test('waiting runs do not pile up at a gate', () => {
  const runs = [waitingAt(2), waitingAt(4, B), waitingAt(6)];
  assert.deepEqual(planSupersedeWaiting(runs, 'production', undefined).map((x) => [x.run.number, x.why]), [
    [2, 'the newer run #6 waits for production'],
    [4, 'the newer run #6 waits for production'],
  ]);
  // Production already runs A from run #5: #2 (older) and #6 (same commit) go; nothing else waits.
  assert.deepEqual(planSupersedeWaiting(runs, 'production', { commit: A, run: 5 }).map((x) => x.run.number), [2, 4, 6]);
  assert.deepEqual(planSupersedeWaiting(runs, 'staging', undefined), []);
});

test('cancel: waiting and queued at once, running aborted, ended refused', () => {
  assert.deepEqual(planCancel(waitingAt(1)), { action: 'now' });
  assert.deepEqual(planCancel(run(1, { status: 'queued' })), { action: 'now' });
  assert.deepEqual(planCancel(run(1, { status: 'running' })), { action: 'abort' });
  assert.deepEqual(planCancel(run(1, { status: 'failed' })), { action: 'refuse', message: 'app #1 has already ended (failed); nothing to cancel' });
});

test('a refused lock says nothing changed; a rollback says so', () => {
  const stage = (hosts: Array<'rolled-back' | 'untouched' | 'failed'>, error: string) => ({ name: 'deploy:production', kind: 'deploy' as const, status: 'failed' as const, steps: [], error, hosts: hosts.map((status, i) => ({ host: `web${i}`, status })) });
  assert.equal(deployFailure('production', stage(['untouched', 'failed'], 'web1: refused: deploy lock held by run=x#1 for longer than lockWait 10m; nothing changed')), 'deploy to production refused: lock held, nothing changed: web1: refused: deploy lock held by run=x#1 for longer than lockWait 10m; nothing changed');
  assert.match(deployFailure('production', stage(['rolled-back', 'failed'], 'web1: health check: x')), /^deploy to production failed and was rolled back: /);
  assert.match(deployFailure('production', stage(['failed'], 'web0: cannot connect')), /^deploy to production failed; nothing was changed: /);
});

test('"tested in run #N" names the run that ran the tests, never a deploy or rollback run', async () => {
  const { findTestedRun } = await import('../../src/pipeline/promotion.ts');
  const tested = [{ name: 'test', kind: 'test' as const, status: 'passed' as const, steps: [] }];
  const runs = [run(9, { trigger: 'deploy', stages: tested }), run(8, { trigger: 'rollback', stages: tested }), run(7, { stages: tested })]; // newest first
  assert.equal(findTestedRun(runs)?.number, 7);
  assert.equal(findTestedRun(runs, A)?.number, 7);
  assert.equal(findTestedRun(runs, B), undefined);
});

test('promotion: production only gets a commit staging runs or took healthy', async () => {
  const { promotionRefusal } = await import('../../src/pipeline/promotion.ts');
  const envs = [{ name: 'staging' }, { name: 'production' }] as PipelineConfigLike['environments'];
  const pipeline = { name: 'app', environments: envs } as unknown as Parameters<typeof promotionRefusal>[0];
  const state: PipelineState = { version: 1, pipeline: 'app', nextRunNumber: 9, environments: { staging: { commit: A, release: 'r', deployedAt: 't', run: 7 } } };
  const took = [run(6, { commit: { id: B, message: '', author: { name: '', email: '' }, time: '' }, stages: [{ name: 'deploy:staging', kind: 'deploy' as const, status: 'passed' as const, steps: [] }] })];
  assert.equal(promotionRefusal(pipeline, 0, state, [], B), undefined, 'the first environment takes anything tested');
  assert.equal(promotionRefusal(pipeline, 1, state, [], A), undefined, 'staging runs it now');
  assert.equal(promotionRefusal(pipeline, 1, state, took, B), undefined, 'staging took it healthy before');
  assert.equal(promotionRefusal(pipeline, 1, state, [], B), `production only gets a commit that staging took healthy; deploy ${B.slice(0, 7)} to staging first`);
});
type PipelineConfigLike = { environments: Array<{ name: string }> };
