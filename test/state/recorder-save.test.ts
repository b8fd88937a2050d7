// Saves that come while a write is under way share the next write (ten hosts' steps starting at
// once cost two writes of the run, not ten), and every save settles only after a write that
// holds its change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunRecorder } from '../../src/pipeline/recorder.ts';
import { readRun } from '../../src/state/store.ts';
import type { RunRecord } from '../../src/state/types.ts';

test('concurrent saves coalesce into one write after the one under way; none is lost', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-recorder-'));
  try {
    const run: RunRecord = {
      version: 1, pipeline: 'app', number: 1, status: 'running', branch: 'main', trigger: 'poll', createdAt: '2026-01-01T00:00:00.000Z',
      commit: { id: 'a'.repeat(40), message: 'm', author: { name: 'n', email: 'e@x' }, time: '2026-01-01T00:00:00.000Z' },
      stages: [{ name: 'deploy:prod', kind: 'deploy', environment: 'prod', status: 'running', steps: [] }],
    } as RunRecord;
    let writes = 0;
    const rec = new RunRecorder(dir, run, { secrets: [], now: () => new Date(), onChange: async () => void writes++ });
    await rec.save();
    writes = 0;
    const saves = Array.from({ length: 10 }, (_, i) => {
      rec.addStep(run.stages[0]!, { id: `prod-web${i}-connect`, name: `web${i}: connect`, host: `web${i}` });
      return rec.save().then(async () => (await readRun(dir, 'app', 1)).stages[0]!.steps.length);
    });
    const seen = await Promise.all(saves);
    seen.forEach((n, i) => assert.ok(n >= i + 1, `save ${i} settled after a write holding its step (${n} on disk)`));
    assert.ok(writes >= 1 && writes <= 2, `ten saves at once: at most the write under way and one after it (${writes})`);
    assert.equal((await readRun(dir, 'app', 1)).stages[0]!.steps.length, 10);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
