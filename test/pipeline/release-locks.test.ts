// Recovery releases the locks a killed run may hold, also where the record lost the connect
// step's end (step progress is written at most every 250 ms): every host of a deploy stage that
// did not end, unless its release is the last thing recorded for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locksMaybeLeftBy } from '../../src/pipeline/release-locks.ts';
import type { RunRecord, StepRecord } from '../../src/state/types.ts';

const step = (host: string, id: string, status: StepRecord['status']): StepRecord => ({ id: `production-${host}-${id}`, name: id, host, status });
const runOf = (status: string, steps: StepRecord[], startedAt = '2026-12-02T05:00:00.000Z'): RunRecord =>
  ({ stages: [{ name: 'deploy:production', kind: 'deploy', environment: 'production', status, ...(startedAt ? { startedAt } : {}), steps }] }) as unknown as RunRecord;
const hosts = (name: string): string[] | undefined => (name === 'production' ? ['web1', 'web2'] : undefined);

test('locksMaybeLeftBy: recorded locks are known, the unrecorded hosts of a stage that did not end are candidates', () => {
  const cases: Array<[string, RunRecord, Array<[string, boolean]>]> = [
    ['connect lost in the write window: both hosts asked', runOf('failed', []), [['web1', false], ['web2', false]]],
    ['web1 recorded locked, web2 not recorded', runOf('failed', [step('web1', 'connect', 'passed')]), [['web1', true], ['web2', false]]],
    ['web1 released last: only web2', runOf('failed', [step('web1', 'connect', 'passed'), step('web1', 'health', 'passed'), step('web1', 'unlock', 'passed')]), [['web2', false]]],
    ['a stage that passed: every release was recorded with its end', runOf('passed', []), []],
    ['a stage never started', runOf('pending', [], ''), []],
  ];
  for (const [name, run, want] of cases) {
    assert.deepEqual(
      locksMaybeLeftBy(run, hosts).map((l) => [l.host, l.known]),
      want,
      name,
    );
  }
});
