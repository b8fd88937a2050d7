import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadReportInput } from '../../src/report/load.ts';
import { updateReport } from '../../src/report/update-queue.ts';
import type { ReportConfig } from '../../src/report/types.ts';
import { writeReport } from '../../src/report/write.ts';
import { statePaths, writeHostState, writePipelineState, writeRun } from '../../src/state/store.ts';
import { withTempDir } from '../state/helpers.ts';
import { NOW, deployedRun, waitingRun } from './sample.ts';

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1))
    .sort();
}

describe('writeReport', () => {
  it('replaces the whole folder: files not in the new set are gone, nothing is left beside it', async () => {
    await withTempDir(async (dir) => {
      const www = join(dir, 'www');
      await writeReport(www, new Map([['index.html', 'one'], ['runs/app/1.html', 'run 1'], ['hosts/web1.html', 'host']]));
      assert.deepEqual(await listTree(www), ['hosts/web1.html', 'index.html', 'runs/app/1.html']);
      await writeReport(www, new Map([['index.html', 'two ✓'], ['runs/app/2.html', 'run 2']]));
      assert.deepEqual(await listTree(www), ['index.html', 'runs/app/2.html']);
      assert.equal(await readFile(join(www, 'index.html'), 'utf8'), 'two ✓');
      assert.deepEqual(await readdir(dir), ['www']);
    });
  });

  it('refuses file names that would leave the folder', async () => {
    await withTempDir(async (dir) => {
      for (const key of ['../x.html', '/etc/x', 'a//b.html', 'a/./b', 'a\\b']) {
        await assert.rejects(writeReport(join(dir, 'www'), new Map([[key, 'x']])), { name: 'StateError' }, key);
      }
      assert.deepEqual(await readdir(dir), []);
    });
  });

  it('a reader never sees a half-written page while reports are swapped in', async () => {
    await withTempDir(async (dir) => {
      const www = join(dir, 'www');
      const page = (n: number): string => `begin ${n}\n${'x'.repeat(200_000)}\nend ${n}\n`;
      await writeReport(www, new Map([['index.html', page(0)]]));
      let done = false;
      let reads = 0;
      const reader = (async () => {
        while (!done) {
          const text = await readFile(join(www, 'index.html'), 'utf8').catch(() => undefined);
          if (text === undefined) continue; // between the two renames the folder is briefly absent
          const n = Number(/^begin (\d+)\n/.exec(text)?.[1]);
          assert.equal(text, page(n));
          reads++;
        }
      })();
      // Concurrent calls are serialised, not interleaved.
      await Promise.all(Array.from({ length: 20 }, (_, i) => writeReport(www, new Map([['index.html', page(i + 1)]]))));
      done = true;
      await reader;
      assert.ok(reads > 0);
      assert.equal(await readFile(join(www, 'index.html'), 'utf8'), page(20));
      assert.deepEqual(await readdir(dir), ['www']);
    });
  });
});

const config: ReportConfig = {
  title: 'ACME deploys',
  secrets: ['s3cr3t-token'],
  pipelines: [
    {
      name: 'app',
      repo: 'https://git.example.com/acme/app.git',
      branch: 'main',
      environments: [
        { name: 'staging', hosts: ['web1'], approval: 'auto' },
        { name: 'production', hosts: ['web2'], approval: 'manual' },
      ],
    },
    { name: 'empty', repo: 'https://git.example.com/acme/empty.git', branch: 'main', environments: [] },
  ],
};

async function seedState(dir: string): Promise<void> {
  await writePipelineState(dir, { version: 1, pipeline: 'app', nextRunNumber: 4, environments: { staging: { commit: '0123456789abcdef0123456789abcdef01234567', release: 'r2', deployedAt: '2024-05-01T10:03:00.000Z', run: 2 } } });
  await writeRun(dir, deployedRun({ number: 1 }));
  await writeRun(dir, deployedRun());
  await writeRun(dir, waitingRun());
  await writeHostState(dir, { version: 1, host: 'web1', pipelines: { app: { current: { release: 'r2', commit: '0123456789abcdef0123456789abcdef01234567', deployedAt: '2024-05-01T10:03:00.000Z', run: 2 }, releases: ['r1', 'r2'] } } });
  const logs = statePaths(dir).logsDir('app', 2);
  await mkdir(logs, { recursive: true });
  await writeFile(join(logs, 'test-1.log'), `${'early line\n'.repeat(1000)}token s3cr3t-token ok\nall 12 tests passed\n`);
}

describe('loadReportInput and updateReport', () => {
  it('loads the newest runs, log tails and host states', async () => {
    await withTempDir(async (dir) => {
      await seedState(dir);
      const input = await loadReportInput(dir, config, { now: NOW, runsPerPipeline: 2, logTailBytes: 64 });
      assert.equal(input.generatedAt, NOW);
      assert.deepEqual(input.pipelines.map((p) => [p.name, p.runs.map((r) => r.number)]), [['app', [3, 2]], ['empty', []]]);
      assert.equal(input.pipelines[1]?.state.nextRunNumber, 1);
      const log = input.logs.get('app/2/test-1');
      assert.ok(log?.truncated);
      assert.ok(log.text.endsWith('all 12 tests passed\n') && Buffer.byteLength(log.text) <= 64);
      assert.deepEqual(input.hosts.map((h) => h.host), ['web1']);
    });
  });

  it('writes the report into STATE/www, masking secrets in logs', async () => {
    await withTempDir(async (dir) => {
      await seedState(dir);
      await updateReport(dir, config, { now: NOW });
      const www = statePaths(dir).www;
      assert.deepEqual(await listTree(www), [
        'app.css',
        'app.js',
        'badges/app.svg',
        'badges/app/production.svg',
        'badges/app/staging.svg',
        'badges/empty.svg',
        'favicon.svg',
      'feed.xml',
        'hosts/web1.html',
        'hosts/web2.html',
        'index.html',
        'pipelines/app/deployed.html',
        'pipelines/app/index.html',
        'pipelines/app/waiting.html',
        'pipelines/empty/index.html',
        'runs/app/1.html',
        'runs/app/2.html',
        'runs/app/3.html',
        'status.json',
      ]);
      const run = await readFile(join(www, 'runs/app/2.html'), 'utf8');
      assert.match(run, /token \*\*\* ok\nall 12 tests passed/);
      assert.match(run, /Show 962 earlier lines/);
      assert.ok(!run.includes('s3cr3t-token'));
      assert.match(await readFile(join(www, 'index.html'), 'utf8'), /slipway approve app 3/);
    });
  });

  it('a burst of updates all settle and the last state wins', async () => {
    await withTempDir(async (dir) => {
      await seedState(dir);
      const updates = [updateReport(dir, config, { now: NOW })];
      await writeRun(dir, deployedRun({ number: 4 }));
      updates.push(updateReport(dir, config, { now: NOW }), updateReport(dir, config, { now: NOW }));
      await Promise.all(updates);
      assert.ok((await listTree(statePaths(dir).www)).includes('runs/app/4.html'));
      await updateReport(dir, config, { now: NOW });
      assert.deepEqual(await readdir(dir).then((n) => n.sort()), ['cache', 'hosts', 'logs', 'pipelines', 'runs', 'www']);
    });
  });

  it('a broken state file fails the update and leaves the previous report', async () => {
    await withTempDir(async (dir) => {
      await seedState(dir);
      await updateReport(dir, config, { now: NOW });
      await writeFile(statePaths(dir).runFile('app', 2), '{"version": 1');
      await assert.rejects(updateReport(dir, config, { now: NOW, full: true }), { name: 'StateError', message: /runs\/app\/2\.json: not valid JSON/ });
      assert.match(await readFile(join(statePaths(dir).www, 'index.html'), 'utf8'), /slipway approve app 3/);
    });
  });
});
