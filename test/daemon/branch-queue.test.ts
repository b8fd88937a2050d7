// The run queue with `branches:`: commits coalesce per branch (the newest of each runs, the
// others are superseded), never across branches, and one pipeline still runs one job at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunQueue, type Dispatch } from '../../src/daemon/queue.ts';
import { waitFor } from '../helpers/wait.ts';

test('commits coalesce per branch, and one job of a pipeline runs at a time', async () => {
  const seen: Array<{ commit: string; branch?: string; superseded: string[] }> = [];
  let release: () => void = () => {};
  let running = 0;
  let most = 0;
  const queue = new RunQueue({
    concurrency: 4,
    execute: async (d: Dispatch) => {
      running++;
      most = Math.max(most, running);
      if (d.job.kind === 'commit') {
        seen.push({ commit: d.job.commit, ...(d.job.branch ? { branch: d.job.branch } : {}), superseded: d.superseded.map((j) => (j.kind === 'commit' ? j.commit : '?')) });
      }
      if (seen.length === 1) await new Promise<void>((r) => (release = r));
      running--;
    },
  });
  queue.add('app', { kind: 'commit', commit: 'm1', trigger: 'poll' });
  await waitFor(() => seen.length === 1, { timeoutMs: 2000, what: 'the first job' });
  queue.add('app', { kind: 'commit', commit: 'a1', trigger: 'poll', branch: 'feature/a' });
  queue.add('app', { kind: 'commit', commit: 'b1', trigger: 'poll', branch: 'feature/b' });
  queue.add('app', { kind: 'commit', commit: 'a2', trigger: 'poll', branch: 'feature/a' });
  queue.add('app', { kind: 'commit', commit: 'm2', trigger: 'poll' });
  queue.add('app', { kind: 'commit', commit: 'a2', trigger: 'webhook', branch: 'feature/a' });
  assert.equal(queue.busy('app'), true);
  release();
  await waitFor(() => seen.length === 4, { timeoutMs: 2000, what: 'every branch run' });
  await queue.drain();
  assert.deepEqual(seen, [
    { commit: 'm1', superseded: [] },
    { commit: 'm2', superseded: [] },
    { commit: 'a2', branch: 'feature/a', superseded: ['a1'] },
    { commit: 'b1', branch: 'feature/b', superseded: [] },
  ]);
  assert.equal(most, 1);
  assert.equal(queue.busy('app'), false);
});
