// updateReport after a change rewrites only the pages that depend on it, each atomically.
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cacheDir } from '../../src/report/cache.ts';
import { updateReport } from '../../src/report/update-queue.ts';
import { statePaths, writeHostState, writePipelineState, writeRun } from '../../src/state/store.ts';
import { withTempDir } from '../state/helpers.ts';
import { NOW, deployedRun, waitingRun, twoPipelineConfig } from './sample.ts';

const config = twoPipelineConfig;

async function seed(dir: string): Promise<void> {
  await writePipelineState(dir, { version: 1, pipeline: 'app', nextRunNumber: 4, environments: {} });
  await writeRun(dir, deployedRun({ number: 1 }));
  await writeRun(dir, deployedRun());
  await writeRun(dir, waitingRun());
  await writeRun(dir, deployedRun({ pipeline: 'other', number: 1 }));
  await writeHostState(dir, { version: 1, host: 'web1', pipelines: {} });
}

const mtime = async (dir: string, page: string): Promise<number> => (await stat(join(statePaths(dir).www, page))).mtimeMs;
const page = (dir: string, p: string): Promise<string> => readFile(join(statePaths(dir).www, p), 'utf8');

describe('incremental updates', () => {
  it('the first update is full; a new run rewrites its pipeline, its run, the shared files and its hosts only', async () => {
    await withTempDir(async (dir) => {
      await seed(dir);
      const first = await updateReport(dir, config, { now: NOW });
      assert.equal(first.mode, 'full');
      assert.equal(first.runsRead, 4);
      const untouched = ['runs/app/1.html', 'runs/other/1.html', 'pipelines/other/index.html', 'hosts/qa1.html', 'badges/other.svg'];
      const before = await Promise.all(untouched.map((p) => mtime(dir, p)));
      await writeRun(dir, deployedRun({ number: 4, commit: { id: 'fedcba9876', message: 'the fourth', author: { name: 'Ada', email: 'a@x' }, time: NOW.toISOString() } }));
      const r = await updateReport(dir, config, { now: NOW, changed: { pipeline: 'app', run: 4 } });
      assert.equal(r.mode, 'incremental');
      // Run 3 had not ended (waiting): read again with the new one.
      assert.equal(r.runsRead, 2);
      assert.deepEqual(await Promise.all(untouched.map((p) => mtime(dir, p))), before);
      assert.match(await page(dir, 'runs/app/4.html'), /the fourth/);
      assert.match(await page(dir, 'index.html'), /the fourth/);
      assert.match(await page(dir, 'pipelines/app/index.html'), /<b>4<\/b>runs/);
      assert.match(await page(dir, 'feed.xml'), /app #4 deployed/);
    });
  });

  it('without a hint every pipeline is scanned, and a run that ended is read once more, then never', async () => {
    await withTempDir(async (dir) => {
      await seed(dir);
      await updateReport(dir, config, { now: NOW });
      assert.match(await page(dir, 'pipelines/app/waiting.html'), /runs\/app\/3.html/);
      const ended = waitingRun();
      ended.status = 'deployed';
      ended.finishedAt = NOW.toISOString();
      ended.stages[2]!.status = 'passed';
      await writeRun(dir, ended);
      const r = await updateReport(dir, config, { now: NOW });
      assert.equal(r.runsRead, 1);
      assert.doesNotMatch(await page(dir, 'index.html'), /slipway approve/);
      // No run waits any more: the filter page is gone, not left stale.
      await assert.rejects(stat(join(statePaths(dir).www, 'pipelines/app/waiting.html')), { code: 'ENOENT' });
      assert.equal((await updateReport(dir, config, { now: NOW })).runsRead, 0);
    });
  });

  it('a changed config, a broken cache or a missing report means a full rewrite', async () => {
    await withTempDir(async (dir) => {
      await seed(dir);
      await updateReport(dir, config, { now: NOW });
      assert.equal((await updateReport(dir, { ...config, title: 'New title' }, { now: NOW })).mode, 'full');
      assert.match(await page(dir, 'runs/app/1.html'), /New title/);
      await writeFile(join(cacheDir(dir), 'pipelines', 'app.json'), '{"version": 1');
      // In this process the cache is also held in memory: a new config string forces a re-read from disk.
      assert.equal((await updateReport(dir, { ...config, title: 'Third' }, { now: NOW })).mode, 'full');
      assert.equal((await updateReport(dir, { ...config, title: 'Third' }, { now: NOW, full: true })).mode, 'full');
    });
  });

  it('a reader never sees a half-written page while updates rewrite it', async () => {
    await withTempDir(async (dir) => {
      await seed(dir);
      await updateReport(dir, config, { now: NOW });
      let done = false;
      let reads = 0;
      const reader = (async () => {
        while (!done) {
          const html = await page(dir, 'index.html');
          assert.ok(html.startsWith('<!DOCTYPE html>') && html.endsWith('</html>\n'), 'a whole page');
          reads++;
        }
      })();
      for (let n = 4; n < 14; n++) {
        await writeRun(dir, deployedRun({ number: n }));
        await updateReport(dir, config, { now: NOW, changed: { pipeline: 'app', run: n } });
      }
      done = true;
      await reader;
      assert.ok(reads > 0);
      assert.match(await page(dir, 'index.html'), /runs\/app\/13.html/);
    });
  });

  it('concurrent calls fold their hints into one follow-up', async () => {
    await withTempDir(async (dir) => {
      await seed(dir);
      await updateReport(dir, config, { now: NOW });
      await writeRun(dir, deployedRun({ number: 4 }));
      await writeRun(dir, deployedRun({ pipeline: 'other', number: 2 }));
      const results = await Promise.all([
        updateReport(dir, config, { now: NOW, changed: { pipeline: 'app', run: 4 } }),
        updateReport(dir, config, { now: NOW, changed: { pipeline: 'app', run: 4 } }),
        updateReport(dir, config, { now: NOW, changed: { pipeline: 'other', run: 2 } }),
      ]);
      assert.equal(results[1], results[2], 'the two queued calls share one update');
      assert.match(await page(dir, 'runs/other/2.html'), /other #2/);
      assert.match(await page(dir, 'runs/app/4.html'), /app #4/);
    });
  });
});
