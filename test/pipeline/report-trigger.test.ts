// The report trigger spaces out the renders a running run asks for "soon" (a gap after each
// render), and renders at once what cannot wait, taking every waiting change along.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReportTrigger } from '../../src/pipeline/report-trigger.ts';
import { statePaths, writeRun } from '../../src/state/store.ts';
import type { Config } from '../../src/config/types.ts';
import type { RunRecord } from '../../src/state/types.ts';

function configFor(stateDir: string): Config {
  return {
    settings: { stateDir, report: { title: 'T' } },
    secrets: [],
    pipelines: [{ name: 'app', repo: 'https://git.example/app.git', branch: 'main', environments: [] }],
  } as unknown as Config;
}

function run(n: number): RunRecord {
  return {
    version: 1, pipeline: 'app', number: n, status: 'running', branch: 'main', trigger: 'poll', createdAt: '2026-01-01T00:00:00.000Z',
    commit: { id: 'a'.repeat(40), message: 'm', author: { name: 'n', email: 'e@x' }, time: '2026-01-01T00:00:00.000Z' },
    stages: [],
  } as RunRecord;
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

test('a soon render waits the gap after the last render, then shows its change', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-trigger-'));
  try {
    const gapMs = 300;
    const report = createReportTrigger(configFor(dir), { gapMs, onError: (e) => assert.fail(String(e)) });
    await writeRun(dir, run(1));
    await report({ pipeline: 'app', run: 1 });
    const ended = Date.now();
    await writeRun(dir, run(2));
    await report({ pipeline: 'app', run: 2 }, { soon: true });
    assert.ok(Date.now() - ended >= gapMs - 5, `the soon render started ${Date.now() - ended} ms after the last one ended`);
    assert.ok(await exists(join(statePaths(dir).www, 'runs', 'app', '2.html')), 'its run page is written');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a render that cannot wait takes the waiting soon renders along', { timeout: 30_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-trigger-'));
  try {
    // A gap longer than the test's timeout: only the flush can settle the soon render in time.
    const report = createReportTrigger(configFor(dir), { gapMs: 10 * 60_000, onError: (e) => assert.fail(String(e)) });
    await writeRun(dir, run(1));
    await report({ pipeline: 'app', run: 1 });
    await writeRun(dir, run(2));
    const soon = report({ pipeline: 'app', run: 2 }, { soon: true });
    await report();
    await soon;
    assert.ok(await exists(join(statePaths(dir).www, 'runs', 'app', '2.html')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
