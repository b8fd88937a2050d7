// A run's step progress is written at most once per STEP_SAVE_WINDOW_MS (saveSoon), the first at
// once, later ones folded into one write at the window's end; a save() (stage end, run end) takes
// the place of a waiting one. Its renders are asked for "soon".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunRecorder, STEP_SAVE_WINDOW_MS } from '../../src/pipeline/recorder.ts';
import { readRun, statePaths, writeRun } from '../../src/state/store.ts';
import type { RunRecord } from '../../src/state/types.ts';
import type { ReportHow } from '../../src/pipeline/context.ts';

function newRun(): RunRecord {
  return {
    version: 1, pipeline: 'app', number: 1, status: 'running', branch: 'main', trigger: 'poll', createdAt: '2026-01-01T00:00:00.000Z',
    commit: { id: 'a'.repeat(40), message: 'm', author: { name: 'n', email: 'e@x' }, time: '2026-01-01T00:00:00.000Z' },
    stages: [{ name: 'deploy:prod', kind: 'deploy', environment: 'prod', status: 'running', steps: [] }],
  } as RunRecord;
}

async function withRecorder(fn: (rec: RunRecorder, dir: string, writes: ReportHow[]) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-soon-'));
  const writes: ReportHow[] = [];
  try {
    const rec = new RunRecorder(dir, newRun(), { secrets: [], now: () => new Date(), onChange: async (_c, how) => void writes.push(how ?? {}) });
    await fn(rec, dir, writes);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a burst of step saves costs the first write and one at the window end, which holds every step', async () => {
  await withRecorder(async (rec, dir, writes) => {
    const started = Date.now();
    const saves = Array.from({ length: 20 }, (_, i) => {
      rec.addStep(rec.run.stages[0]!, { id: `prod-web${i}-connect`, name: `web${i}: connect`, host: `web${i}` });
      return rec.saveSoon();
    });
    await Promise.all(saves);
    assert.equal(writes.length, 2, 'twenty saves within one window: the first at once, the rest in one write');
    assert.ok(Date.now() - started >= STEP_SAVE_WINDOW_MS - 5, 'the folded write waited for the window to end');
    assert.equal((await readRun(dir, 'app', 1)).stages[0]!.steps.length, 20);
    assert.deepEqual(writes, [{ soon: true }, { soon: true }], 'a run asks for its renders soon');
  });
});

test('save() takes the place of a waiting step save: no write after it', async () => {
  await withRecorder(async (rec, dir, writes) => {
    await rec.saveSoon(); // the first: at once, and it opens a window
    rec.addStep(rec.run.stages[0]!, { id: 'prod-web1-switch', name: 'web1: switch', host: 'web1' });
    const waiting = rec.saveSoon();
    rec.run.status = 'deployed';
    await rec.save();
    await waiting; // settled by the save, not by a write of its own
    assert.equal(writes.length, 2);
    const onDisk = await readRun(dir, 'app', 1);
    assert.equal(onDisk.status, 'deployed');
    assert.equal(onDisk.stages[0]!.steps.length, 1);
  });
});

test('a run file someone else ended is never rewritten, also right after our own write of it', async () => {
  await withRecorder(async (rec, dir) => {
    await rec.save();
    const file = statePaths(dir).runFile('app', 1);
    // Another writer (same size or not) replaces the file we wrote: the next write must read it.
    await writeFile(`${file}.x`, `${JSON.stringify({ ...rec.run, status: 'cancelled', finishedAt: '2026-01-01T00:01:00.000Z' }, null, 2)}\n`);
    const { rename } = await import('node:fs/promises');
    await rename(`${file}.x`, file);
    await assert.rejects(writeRun(dir, rec.run), /has ended \(cancelled\) and is never rewritten/);
    assert.equal((await readRun(dir, 'app', 1)).status, 'cancelled');
  });
});
