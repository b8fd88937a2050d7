// Updates that render an untouched pipeline from its digest (STATE/cache/report/digests.json),
// never reading its run summaries, and digests that are missing, torn, of an older shape or made
// "in the future" (the clock went back): each update leaves the report byte for byte what a full
// rewrite of the same state makes.
import assert from 'node:assert/strict';
import { cp, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import type { ReportConfig } from '../../src/report/types.ts';
import { updateReport } from '../../src/report/update-queue.ts';
import { statePaths, writeHostState, writeRun } from '../../src/state/store.ts';
import type { RunRecord } from '../../src/state/types.ts';
import { withTempDir } from '../state/helpers.ts';
import { NOW, deployedRun } from './sample.ts';
import { treeFiles } from '../helpers/tree-files.ts';

const config: ReportConfig = {
  title: 'ACME deploys',
  secrets: [],
  pipelines: [
    { name: 'app', repo: 'https://github.com/acme/app.git', branch: 'main', environments: [{ name: 'staging', hosts: ['web1'], approval: 'auto' }] },
    { name: 'other', repo: 'https://git.example.com/acme/other.git', branch: 'main', environments: [{ name: 'staging', hosts: ['web1'], approval: 'auto' }] },
  ],
};

const run = (pipeline: string, n: number): RunRecord => {
  const r = deployedRun({ pipeline, number: n, status: n % 4 === 0 ? 'failed' : 'deployed' });
  r.commit = { ...r.commit, id: n.toString(16).padStart(40, '0'), message: `${pipeline} change ${n}` };
  r.createdAt = new Date(NOW.getTime() - (200 - n) * 3_600_000).toISOString();
  return r;
};

async function assertSameAsFull(dir: string, a: string, now: Date, label: string): Promise<void> {
  const b = join(dir, `full-${label.replace(/\W+/g, '-')}`);
  await cp(a, b, { recursive: true, filter: (src) => !src.startsWith(statePaths(a).www) && !src.startsWith(statePaths(a).reportCache) });
  await updateReport(b, config, { now, full: true });
  const [got, want] = await Promise.all([treeFiles(statePaths(a).www), treeFiles(statePaths(b).www)]);
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${label}: the same files`);
  const differ = [...want].filter(([name, bytes]) => !bytes.equals(got.get(name)!)).map(([name]) => name);
  assert.deepEqual(differ, [], `${label}: every file byte for byte`);
}

it('untouched pipelines come from their digests; a missing, torn, older or future digest is rebuilt, never a wrong page', async () => {
  await withTempDir(async (dir) => {
    const a = join(dir, 'a');
    const cache = statePaths(a).reportCache;
    await Promise.all(Array.from({ length: 70 }, (_, i) => writeRun(a, run('other', i + 1))));
    await Promise.all([1, 2].map((n) => writeRun(a, run('app', n))));
    await writeHostState(a, { version: 1, host: 'web1', pipelines: {} });
    assert.equal((await updateReport(a, config, { now: NOW })).mode, 'full');
    const digests = JSON.parse(await readFile(join(cache, 'digests.json'), 'utf8')) as { pipelines: Record<string, { runs: unknown[]; count: number }> };
    assert.equal(digests.pipelines.other?.count, 70);
    assert.ok(digests.pipelines.other!.runs.length < 70, 'the digest leaves old runs out');

    // other's summaries are not there to read: the update must not need them.
    await rename(join(cache, 'pipelines', 'other.json'), join(dir, 'other.json'));
    await writeRun(a, run('app', 3));
    const one = await updateReport(a, config, { now: NOW, changed: { pipeline: 'app', run: 3 } });
    assert.deepEqual([one.mode, one.runsRead], ['incremental', 1]);
    await rename(join(dir, 'other.json'), join(cache, 'pipelines', 'other.json'));
    await assertSameAsFull(dir, a, NOW, 'from digests');

    // The clock went back: a digest made after the render time may lack runs DORA's window now holds.
    const future = async (): Promise<void> => {
      const file = join(cache, 'digests.json');
      const v = JSON.parse(await readFile(file, 'utf8')) as { pipelines: Record<string, { madeAt: string; runs: unknown[] }> };
      v.pipelines.other = { ...v.pipelines.other!, madeAt: new Date(NOW.getTime() + 86_400_000).toISOString(), runs: [] };
      await writeFile(file, JSON.stringify(v));
    };
    const cases: Array<[string, () => Promise<void>]> = [
      ['torn digests', () => writeFile(join(cache, 'digests.json'), '{"version":1,"fingerpr')],
      ['older shape', () => writeFile(join(cache, 'digests.json'), JSON.stringify({ version: 0, pipelines: {} }))],
      ['missing', () => rename(join(cache, 'digests.json'), join(dir, 'gone.json'))],
      ['made after the render time', future],
    ];
    let n = 4;
    for (const [label, spoil] of cases) {
      await spoil();
      await writeRun(a, run('app', n));
      assert.equal((await updateReport(a, config, { now: NOW, changed: { pipeline: 'app', run: n } })).mode, 'incremental', label);
      await assertSameAsFull(dir, a, NOW, label);
      n++;
    }
  });
});
