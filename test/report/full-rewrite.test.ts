// `slipway report` renders and writes only what changed since the last full rewrite, and its
// result is the same report a rewrite from nothing makes (generation times aside).
import assert from 'node:assert/strict';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cacheDir } from '../../src/report/cache.ts';
import type { ReportConfig } from '../../src/report/types.ts';
import { updateReport } from '../../src/report/update-queue.ts';
import { statePaths, writeHostState, writePipelineState, writeRun } from '../../src/state/store.ts';
import { withTempDir } from '../state/helpers.ts';
import { NOW, deployedRun, waitingRun } from './sample.ts';

const config: ReportConfig = {
  title: 'ACME deploys',
  secrets: [],
  pipelines: [
    { name: 'app', repo: 'https://git.example.com/acme/app.git', branch: 'main', environments: [{ name: 'staging', hosts: ['web1'], approval: 'auto' }] },
    { name: 'other', repo: 'https://git.example.com/acme/other.git', branch: 'main', environments: [{ name: 'qa', hosts: ['qa1'], approval: 'auto' }] },
  ],
};
const LATER = new Date(NOW.getTime() + 3_600_000);

async function seed(dir: string): Promise<void> {
  await writePipelineState(dir, { version: 1, pipeline: 'app', nextRunNumber: 4, environments: {} });
  await writeRun(dir, deployedRun({ number: 1 }));
  await writeRun(dir, deployedRun());
  await writeRun(dir, waitingRun());
  await writeRun(dir, deployedRun({ pipeline: 'other', number: 1 }));
  await writeHostState(dir, { version: 1, host: 'web1', pipelines: {} });
}

/** Every file of the report, its generation time masked. */
async function snapshot(www: string, dir = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(join(www, dir), { withFileTypes: true })) {
    const k = dir === '' ? e.name : `${dir}/${e.name}`;
    if (e.isDirectory()) for (const [kk, v] of await snapshot(www, k)) out.set(kk, v);
    else out.set(k, (await readFile(join(www, k), 'utf8')).replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z|\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC/g, 'TIME'));
  }
  return out;
}

describe('full rewrite', () => {
  it('a second rewrite reads no ended run and writes nothing unchanged; the result equals a rewrite from nothing', async () => {
    await withTempDir(async (dir) => {
      await seed(dir);
      const www = statePaths(dir).www;
      const first = await updateReport(dir, config, { now: NOW, full: true });
      assert.equal(first.runsRead, 4);
      const runPage = join(www, 'runs', 'app', '1.html');
      const before = (await stat(runPage)).mtimeMs;

      const second = await updateReport(dir, config, { now: LATER, full: true });
      // Run 3 waits at a gate (not ended): read again, and its page changes (its timeline runs
      // up to now). Every other page differs at most by its generation time: not written.
      assert.equal(second.runsRead, 1);
      assert.equal(second.written, 1);
      assert.equal((await stat(runPage)).mtimeMs, before);

      const differential = await snapshot(www);
      await rm(cacheDir(dir), { recursive: true, force: true });
      const scratch = await updateReport(dir, config, { now: LATER, full: true });
      assert.equal(scratch.runsRead, 4);
      assert.deepEqual(await snapshot(www), differential);
    });
  });

  it('writes again what was deleted or edited, reads a run whose file changed, removes what is no longer made', async () => {
    await withTempDir(async (dir) => {
      await seed(dir);
      const www = statePaths(dir).www;
      await updateReport(dir, config, { now: NOW, full: true });
      const good = await snapshot(www);
      await rm(join(www, 'runs', 'app', '1.html'));
      await writeFile(join(www, 'hosts', 'web1.html'), 'edited by hand');
      await writeFile(join(www, 'stray.html'), 'not made from the state');
      // An ended record is never rewritten by slipway; a restore from a backup can still change it.
      const record = statePaths(dir).runFile('other', 1);
      await writeFile(record, (await readFile(record, 'utf8')).replace(/"message": ?"[^"]*"/, '"message": "restored record"'));

      const r = await updateReport(dir, config, { now: LATER, full: true });
      // app #1 (page gone), app #3 (not ended), other #1 (record changed).
      assert.equal(r.runsRead, 3);
      const after = await snapshot(www);
      assert.equal(after.has('stray.html'), false);
      assert.equal(after.get('runs/app/1.html'), good.get('runs/app/1.html'));
      assert.equal(after.get('hosts/web1.html'), good.get('hosts/web1.html'));
      assert.match(after.get('runs/other/1.html') ?? '', /restored record/);
    });
  });
});
