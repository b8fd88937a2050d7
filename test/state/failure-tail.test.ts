// Which step a failed run is summed up by (terminal, notification, run page): the one that
// failed first, not a parallel job that a failure cancelled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failedStep } from '../../src/state/failure-tail.ts';
import type { RunRecord } from '../../src/state/types.ts';

const run = (steps: Array<{ id: string; finishedAt: string; status: 'passed' | 'failed' }>): RunRecord => ({
  version: 1, pipeline: 'app', number: 3, status: 'failed', trigger: 'poll', branch: 'main',
  commit: { id: 'a'.repeat(40), message: 'm', author: { name: 'n', email: 'e' }, time: '2026-12-01T00:00:00.000Z' },
  createdAt: '2026-12-01T00:00:00.000Z',
  stages: [{ name: 'test', kind: 'test', status: 'failed', steps: steps.map((s) => ({ ...s, name: s.id, startedAt: '2026-12-01T00:00:00.000Z' })) }],
});

test('the step that failed first sums a run up: a job cancelled by it ended later', () => {
  const parallel = run([
    { id: 'test-job-unit', status: 'failed', finishedAt: '2026-12-01T00:00:03.000Z' },
    { id: 'test-job-lint', status: 'failed', finishedAt: '2026-12-01T00:00:01.000Z' },
  ]);
  assert.equal(failedStep(parallel)?.id, 'test-job-lint');
  const sequence = run([
    { id: 'test-1', status: 'passed', finishedAt: '2026-12-01T00:00:01.000Z' },
    { id: 'test-2', status: 'failed', finishedAt: '2026-12-01T00:00:02.000Z' },
  ]);
  assert.equal(failedStep(sequence)?.id, 'test-2');
  assert.equal(failedStep(run([{ id: 'test-1', status: 'passed', finishedAt: '2026-12-01T00:00:01.000Z' }])), undefined);
});
