// An incremental update must leave STATE/www exactly as a full rewrite of the same state would:
// after a sequence of changes of every kind, each followed by the update the pipeline asks for
// (with its hint), every file is byte for byte what a full rewrite of a copy of the state, with
// no report and no cache, produces.
import assert from 'node:assert/strict';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import type { ReportConfig } from '../../src/report/types.ts';
import { updateReport } from '../../src/report/update-queue.ts';
import { statePaths, writeHostState, writePipelineState, writeRun } from '../../src/state/store.ts';
import type { RunRecord } from '../../src/state/types.ts';
import { withTempDir } from '../state/helpers.ts';
import { NOW, deployedRun, waitingRun } from './sample.ts';
import { treeFiles } from '../helpers/tree-files.ts';

const config: ReportConfig = {
  title: 'ACME deploys',
  secrets: ['s3cr3t-token'],
  pipelines: [
    { name: 'app', repo: 'https://github.com/acme/app.git', branch: 'main', environments: [{ name: 'staging', hosts: ['web1'], approval: 'auto' }, { name: 'production', hosts: ['web2'], approval: 'manual' }] },
    { name: 'other', repo: 'https://git.example.com/acme/other.git', branch: 'main', environments: [{ name: 'staging', hosts: ['web1'], approval: 'auto' }] },
    { name: 'idle', repo: 'https://git.example.com/acme/idle.git', branch: 'main', environments: [{ name: 'qa', hosts: ['qa1'], approval: 'auto' }] },
  ],
};

const commit = (n: number, text: string): RunRecord['commit'] => ({ id: `${n.toString(16).padStart(2, '0')}${'0123456789abcdef'.repeat(3)}`.slice(0, 40), message: `${text} <b>&</b>\n\nbody s3cr3t-token`, author: { name: 'Ada', email: 'ada@example.com' }, time: NOW.toISOString() });

async function stepLog(dir: string, run: RunRecord, text: string): Promise<void> {
  const logs = statePaths(dir).logsDir(run.pipeline, run.number);
  await mkdir(logs, { recursive: true });
  await writeFile(join(logs, 'test-1.log'), text);
}

it('after updates of every kind, the report is byte for byte a full rewrite of the same state', async () => {
  await withTempDir(async (dir) => {
    const a = join(dir, 'a');
    const update = (changed?: { pipeline: string; run?: number }) => updateReport(a, config, { now: NOW, ...(changed ? { changed } : {}) });
    await writePipelineState(a, { version: 1, pipeline: 'app', nextRunNumber: 3, environments: {} });
    await writeRun(a, deployedRun({ number: 1, commit: commit(1, 'first') }));
    await writeRun(a, deployedRun({ number: 2, commit: commit(2, 'second') }));
    await writeHostState(a, { version: 1, host: 'web1', pipelines: {} });
    assert.equal((await update()).mode, 'full');

    // A run starts, waits at a gate, is approved and deployed; each step says what changed.
    const waiting = waitingRun();
    waiting.commit = commit(3, 'third');
    await writeRun(a, { ...waiting, status: 'running' });
    await stepLog(a, waiting, '\x1b[32mok\x1b[0m tests <script>alert(1)</script>\n');
    await update({ pipeline: 'app', run: 3 });
    await writeRun(a, waiting);
    await update({ pipeline: 'app', run: 3 });
    const deployed = { ...waiting, status: 'deployed' as const, finishedAt: '2024-05-01T11:00:00.000Z' };
    deployed.stages = waiting.stages.map((s) => (s.status === 'waiting' ? { ...s, status: 'passed' as const } : s));
    await writeRun(a, deployed);
    await writePipelineState(a, { version: 1, pipeline: 'app', nextRunNumber: 4, environments: { staging: { commit: deployed.commit.id, release: 'r3', deployedAt: deployed.finishedAt, run: 3 } } });
    await writeHostState(a, { version: 1, host: 'web1', pipelines: { app: { current: { release: 'r3', commit: deployed.commit.id, deployedAt: deployed.finishedAt, run: 3 }, releases: ['r2', 'r3'] } } });
    await update({ pipeline: 'app', run: 3 });

    // Another pipeline's first runs (one failed), then a host change alone (a rollback elsewhere).
    await writeRun(a, deployedRun({ pipeline: 'other', number: 1, commit: commit(11, 'other one') }));
    await update({ pipeline: 'other', run: 1 });
    const failed = deployedRun({ pipeline: 'other', number: 2, status: 'failed', error: 'tests failed', commit: commit(12, 'other broken') });
    failed.stages = failed.stages.slice(0, 1).map((s) => ({ ...s, status: 'failed' as const }));
    await writeRun(a, failed);
    await stepLog(a, failed, 'FAIL s3cr3t-token\n');
    await update({ pipeline: 'other', run: 2 });
    await writeHostState(a, { version: 1, host: 'web2', pipelines: { app: { current: { release: 'r1', commit: commit(1, 'first').id, deployedAt: NOW.toISOString(), run: 1 }, releases: ['r1'] } } });
    await update({ pipeline: 'other' });

    // Retention removes an old run; an update without a hint scans everything.
    await rm(join(statePaths(a).runs, 'app', '1.json'));
    await rm(statePaths(a).logsDir('app', 1), { recursive: true, force: true });
    await update({ pipeline: 'app' });
    await writeRun(a, deployedRun({ number: 4, commit: commit(4, 'fourth') }));
    await update();

    const b = join(dir, 'b');
    await cp(a, b, { recursive: true, filter: (src) => !src.startsWith(statePaths(a).www) && !src.startsWith(join(a, 'cache')) });
    assert.equal((await updateReport(b, config, { now: NOW, full: true })).mode, 'full');
    const [got, want] = await Promise.all([treeFiles(statePaths(a).www), treeFiles(statePaths(b).www)]);
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'the same files');
    const differ = [...want].filter(([name, bytes]) => !bytes.equals(got.get(name)!)).map(([name]) => name);
    assert.deepEqual(differ, [], 'every file byte for byte');
  });
});
