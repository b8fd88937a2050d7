// A full rewrite knows an unchanged pipeline by the stat data of its state files (stamps.ts) and
// its digest's content key: it reads neither its runs nor its cached summaries. What it then
// still guarantees: a page deleted or edited by hand is made again, and a record restored in
// place (same size, mtime put back, as `cp -p` does) is read again.
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cacheDir } from '../../src/report/cache.ts';
import { updateReport } from '../../src/report/update-queue.ts';
import { statePaths, writeHostState, writePipelineState, writeRun } from '../../src/state/store.ts';
import { withTempDir } from '../state/helpers.ts';
import { NOW, deployedRun, twoPipelineConfig } from './sample.ts';
import { treeFiles } from '../helpers/tree-files.ts';

const config = twoPipelineConfig;
const LATER = new Date(NOW.getTime() + 3_600_000);

async function seed(dir: string): Promise<void> {
  await writePipelineState(dir, { version: 1, pipeline: 'app', nextRunNumber: 3, environments: {} });
  await writeRun(dir, deployedRun({ number: 1 }));
  await writeRun(dir, deployedRun());
  await writeRun(dir, deployedRun({ pipeline: 'other', number: 1 }));
  await writeHostState(dir, { version: 1, host: 'web1', pipelines: {} });
}

const read = (dir: string, page: string): Promise<string> => readFile(join(statePaths(dir).www, page), 'utf8');

describe('full rewrite of unchanged pipelines', () => {
  it('reads no run and no cached summary of a pipeline whose files stamp as before', async () => {
    await withTempDir(async (dir) => {
      await seed(dir);
      assert.equal((await updateReport(dir, config, { now: NOW, full: true })).runsRead, 3);
      // Were its summaries read, this cache file would fail and all its runs be read instead.
      await writeFile(join(cacheDir(dir), 'pipelines', 'other.json'), '{"version": 2');
      const again = await updateReport(dir, config, { now: LATER, full: true });
      assert.deepEqual([again.runsRead, again.written], [0, 0]);
      // A new run of one pipeline: that run is read; the other pipeline still is not.
      await writeRun(dir, deployedRun({ number: 3 }));
      const third = await updateReport(dir, config, { now: LATER, full: true });
      assert.equal(third.runsRead, 1);
      assert.match(await read(dir, 'pipelines/app/index.html'), /<b>3<\/b>runs/);
    });
  });

  it('makes again what was deleted or edited by hand, and reads a record restored in place', async () => {
    await withTempDir(async (dir) => {
      await seed(dir);
      await updateReport(dir, config, { now: NOW, full: true });
      const pages = ['runs/other/1.html', 'pipelines/other/index.html', 'hosts/qa1.html', 'badges/other.svg', 'index.html'];
      const good = await Promise.all(pages.map((p) => read(dir, p)));
      await rm(join(statePaths(dir).www, pages[0]!));
      for (const p of pages.slice(1)) await writeFile(join(statePaths(dir).www, p), 'edited by hand');
      const r = await updateReport(dir, config, { now: NOW, full: true });
      assert.equal(r.runsRead, 1, 'the run whose page was deleted');
      assert.deepEqual(await Promise.all(pages.map((p) => read(dir, p))), good);

      // Same size, mtime put back: only the inode's change time tells.
      const record = statePaths(dir).runFile('other', 1);
      const before = await stat(record);
      await writeFile(record, (await readFile(record, 'utf8')).replace('Fix the thing', 'Restored one!'));
      await utimes(record, before.atimeMs / 1000, before.mtimeMs / 1000);
      const after = await stat(record);
      assert.deepEqual([after.size, Math.round(after.mtimeMs)], [before.size, Math.round(before.mtimeMs)]);
      const restored = await updateReport(dir, config, { now: NOW, full: true });
      assert.equal(restored.runsRead, 1);
      assert.match(await read(dir, 'runs/other/1.html'), /Restored one!/);
      assert.match(await read(dir, 'pipelines/other/index.html'), /Restored one!/);
    });
  });

  it('removes what it no longer makes and what it never made, in folders it did not list again', async () => {
    await withTempDir(async (dir) => {
      await seed(dir);
      await updateReport(dir, config, { now: NOW, full: true });
      const www = statePaths(dir).www;
      await updateReport(dir, config, { now: NOW, full: true });
      await mkdir(join(www, 'junk', 'deep'), { recursive: true });
      await writeFile(join(www, 'junk', 'deep', 'x.html'), 'stray');
      await writeFile(join(www, 'runs', 'other', 'stray.html'), 'stray');
      // Retention removed a run: its page goes, though nothing else in its folder changed.
      await rm(statePaths(dir).runFile('app', 1));
      await updateReport(dir, config, { now: NOW, full: true });
      const files = [...(await treeFiles(www)).keys()];
      assert.deepEqual(files.filter((f) => /junk|stray|runs\/app\/1\.html/.test(f)), []);
      await assert.rejects(stat(join(www, 'junk')), { code: 'ENOENT' });
      assert.ok(files.includes('runs/app/2.html') && files.includes('runs/other/1.html'));
    });
  });
});

describe('host pages in updates', () => {
  it('an update renders a host page only when what it shows changed', async () => {
    await withTempDir(async (dir) => {
      await seed(dir);
      await updateReport(dir, config, { now: NOW });
      const www = statePaths(dir).www;
      const mtime = async (p: string): Promise<number> => (await stat(join(www, p))).mtimeMs;
      const [web1, web2] = [await mtime('hosts/web1.html'), await mtime('hosts/web2.html')];
      // A run that has not deployed yet: app's pages change, no host page does.
      const running = deployedRun({ number: 3, status: 'running', finishedAt: undefined });
      running.stages = running.stages.slice(0, 1);
      await writeRun(dir, running);
      await updateReport(dir, config, { now: NOW, changed: { pipeline: 'app', run: 3 } });
      assert.match(await read(dir, 'pipelines/app/index.html'), /runs\/app\/3\.html/);
      assert.deepEqual([await mtime('hosts/web1.html'), await mtime('hosts/web2.html')], [web1, web2]);
      // It deploys to web1: that page changes, web2's does not.
      await writeRun(dir, deployedRun({ number: 3 }));
      await updateReport(dir, config, { now: NOW, changed: { pipeline: 'app', run: 3 } });
      assert.match(await read(dir, 'hosts/web1.html'), /runs\/app\/3\.html/);
      assert.equal(await mtime('hosts/web2.html'), web2);
    });
  });
});
