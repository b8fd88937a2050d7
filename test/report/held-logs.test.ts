// A running run's page is made again at each update from its step logs; a log's tail is kept in
// memory while its inode, size and mtime stay as read (load.ts). What that must not do: show a
// log as it was after it grew, or after it was replaced by one of the same size.
import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import type { ReportConfig } from '../../src/report/types.ts';
import { updateReport } from '../../src/report/update-queue.ts';
import { statePaths, writeRun } from '../../src/state/store.ts';
import { withTempDir } from '../state/helpers.ts';
import { NOW, deployedRun } from './sample.ts';

const config: ReportConfig = {
  title: 'ACME deploys',
  secrets: [],
  pipelines: [{ name: 'app', repo: 'https://git.example.com/acme/app.git', branch: 'main', environments: [{ name: 'staging', hosts: ['web1'], approval: 'auto' }] }],
};

it('a running run page shows its logs as they are at each update', async () => {
  await withTempDir(async (dir) => {
    const running = deployedRun({ number: 1, status: 'running', finishedAt: undefined });
    await writeRun(dir, running);
    const logs = statePaths(dir).logsDir('app', 1);
    await mkdir(logs, { recursive: true });
    const log = join(logs, 'test-1.log');
    await writeFile(log, 'first line\n');
    const page = async (): Promise<string> => {
      await updateReport(dir, config, { now: NOW, changed: { pipeline: 'app', run: 1 } });
      return readFile(join(statePaths(dir).www, 'runs', 'app', '1.html'), 'utf8');
    };
    assert.match(await page(), /first line/);
    await appendFile(log, 'second line\n');
    assert.match(await page(), /first line\nsecond line/);
    // Replaced by a log of the same size (a new file renamed in): read again.
    await writeFile(`${log}.new`, 'FIRST LINE\nSECOND LINE\n');
    await rename(`${log}.new`, log);
    const html = await page();
    assert.match(html, /FIRST LINE\nSECOND LINE/);
    assert.doesNotMatch(html, /first line/);
  });
});
