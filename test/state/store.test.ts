import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { displayPath } from '../../src/state/paths.ts';
import { describe, it } from 'node:test';
import {
  listHostStates,
  listRunNumbers,
  readHostState,
  readPipelineState,
  readRun,
  readRuns,
  readStepLog,
  statePaths,
  setAsideUnreadableRuns,
  sweepStateFolder,
  writeHostState,
  writePipelineState,
  writeRun,
} from '../../src/state/store.ts';
import type { HostState, PipelineState } from '../../src/state/types.ts';
import { sampleRun, withTempDir } from './helpers.ts';

describe('statePaths', () => {
  it('lays out the state folder as documented', () => {
    const p = statePaths('/s');
    assert.deepEqual(
      [p.lock, p.pipelineFile('app'), p.runFile('app', 3), p.logsDir('app', 3), p.stepLog('app', 3, 'test-1'), p.hostFile('web1'), p.inbox, p.www, p.git('app'), p.work],
      ['/s/lock', '/s/pipelines/app.json', '/s/runs/app/3.json', '/s/logs/app/3', '/s/logs/app/3/test-1.log', '/s/hosts/web1.json', '/s/inbox', '/s/www', '/s/git/app.git', '/s/work'],
    );
  });

  it('refuses names that would leave their folder', () => {
    const p = statePaths('/s');
    assert.throws(() => p.runFile('../etc', 1), { name: 'StateError', message: 'pipeline name "../etc" cannot be used as a file name' });
    assert.throws(() => p.hostFile('..'), { name: 'StateError' });
    assert.throws(() => p.stepLog('app', 1, 'a/b'), { name: 'StateError' });
    assert.throws(() => p.runFile('app', 0), { name: 'StateError', message: 'run number 0 is not a positive integer' });
  });
});

describe('pipeline and host state', () => {
  it('defaults when absent and round-trips when written', async () => {
    await withTempDir(async (dir) => {
      assert.deepEqual(await readPipelineState(dir, 'app'), { version: 1, pipeline: 'app', nextRunNumber: 1, environments: {} });
      const state: PipelineState = {
        version: 1,
        pipeline: 'app',
        lastSeenCommit: 'abc',
        nextRunNumber: 4,
        environments: { staging: { commit: 'abc', release: '20240501100000-abc1234', deployedAt: '2024-05-01T10:00:00.000Z', run: 3 } },
      };
      await writePipelineState(dir, state);
      assert.deepEqual(await readPipelineState(dir, 'app'), state);

      assert.deepEqual(await readHostState(dir, 'web1'), { version: 1, host: 'web1', pipelines: {} });
      assert.deepEqual(await listHostStates(dir), []);
      const host: HostState = {
        version: 1,
        host: 'web1',
        pipelines: { app: { current: { release: 'r2', commit: 'abc', deployedAt: '2024-05-01T10:00:00.000Z', run: 3 }, releases: ['r1', 'r2'] } },
      };
      await writeHostState(dir, host);
      await writeHostState(dir, { ...host, host: 'web0' });
      assert.deepEqual(await readHostState(dir, 'web1'), host);
      assert.deepEqual((await listHostStates(dir)).map((h) => h.host), ['web0', 'web1']);
    });
  });
});

describe('runs', () => {
  it('lists run numbers ascending and reads runs newest first', async () => {
    await withTempDir(async (dir) => {
      assert.deepEqual(await listRunNumbers(dir, 'app'), []);
      for (const n of [1, 2, 10, 3]) await writeRun(dir, sampleRun({ number: n }));
      await writeFile(join(dir, 'runs', 'app', 'README'), 'not a run');
      assert.deepEqual(await listRunNumbers(dir, 'app'), [1, 2, 3, 10]);
      assert.deepEqual((await readRuns(dir, 'app')).map((r) => r.number), [10, 3, 2, 1]);
      assert.deepEqual((await readRuns(dir, 'app', { last: 2 })).map((r) => r.number), [10, 3]);
      assert.deepEqual(await readRun(dir, 'app', 3), sampleRun({ number: 3 }));
    });
  });

  it('an unreadable run file never stops a reader; at start it is set aside, with the reason', async () => {
    await withTempDir(async (dir) => {
      for (const n of [1, 2, 3]) await writeRun(dir, sampleRun({ number: n }));
      await writeFile(statePaths(dir).runFile('app', 2), '{"version": 1, "pipel');
      assert.deepEqual((await readRuns(dir, 'app')).map((r) => r.number), [3, 1]);
      const aside = await setAsideUnreadableRuns(dir, 'app');
      assert.equal(aside.length, 1);
      assert.match(aside[0]!.file, /runs\/app\/2\.json\.unreadable$/);
      assert.match(aside[0]!.problem, /not valid JSON/);
      assert.equal(await readFile(`${statePaths(dir).runFile('app', 2)}.unreadable`, 'utf8'), '{"version": 1, "pipel', 'kept for a person to look at');
      assert.deepEqual(await listRunNumbers(dir, 'app'), [1, 3]);
      assert.deepEqual(await setAsideUnreadableRuns(dir, 'app'), []);
    });
  });

  it('rewrites a run while it goes on, never once it has ended', async () => {
    await withTempDir(async (dir) => {
      await writeRun(dir, sampleRun({ status: 'queued' }));
      await writeRun(dir, sampleRun({ status: 'waiting' }));
      await writeRun(dir, sampleRun({ status: 'failed', finishedAt: '2024-05-01T10:01:00.000Z' }));
      const file = statePaths(dir).runFile('app', 1);
      const before = await readFile(file, 'utf8');
      await assert.rejects(writeRun(dir, sampleRun({ status: 'running' })), {
        name: 'StateError',
        message: `${displayPath(file)}: run app #1 has ended (failed) and is never rewritten`,
      });
      assert.equal(await readFile(file, 'utf8'), before);
    });
  });

  it('refuses to write an invalid record', async () => {
    await withTempDir(async (dir) => {
      const bad = { ...sampleRun(), status: 'bogus' } as unknown as Parameters<typeof writeRun>[1];
      await assert.rejects(writeRun(dir, bad), { name: 'StateError', message: /^refusing to write .*runs\/app\/1\.json: \/status must be one of queued, running/ });
    });
  });

  it('reports a missing run', async () => {
    await withTempDir(async (dir) => {
      await assert.rejects(readRun(dir, 'app', 7), { name: 'StateError', message: /runs\/app\/7\.json: no run 7 of pipeline app$/ });
    });
  });
});

describe('validation on read', () => {
  const cases: Array<{ what: string; content: string; message: string }> = [
    { what: 'invalid JSON', content: '{"version": 1, ', message: ': not valid JSON (' },
    {
      what: 'a wrong status',
      content: JSON.stringify({ ...sampleRun(), status: 'done' }),
      message: ': /status must be one of queued, running, passed, deployed, waiting, failed, interrupted, superseded',
    },
    { what: 'a missing field', content: JSON.stringify({ ...sampleRun(), commit: undefined }), message: ": (top level) is missing 'commit'" },
    { what: 'an unknown field', content: JSON.stringify({ ...sampleRun(), colour: 'red' }), message: ": (top level) has an unknown property 'colour'" },
    { what: 'a wrong type deep inside', content: JSON.stringify(sampleRun({ stages: [{ name: 'test', kind: 'test', status: 'running', steps: [{ id: 's', name: 'n', status: 'passed', exitCode: 'zero' }] }] as never })), message: ': /stages/0/steps/0/exitCode must be integer' },
    { what: 'a future version', content: JSON.stringify({ ...sampleRun(), version: 2 }), message: ': written by a newer slipway (version 2; this one knows up to 1); upgrade slipway' },
    { what: 'another run in the file', content: JSON.stringify(sampleRun({ number: 2 })), message: ': /number is 2 but the file is for 1' },
  ];
  for (const c of cases) {
    it(`a run file with ${c.what} is a StateError naming the file`, async () => {
      await withTempDir(async (dir) => {
        const file = statePaths(dir).runFile('app', 1);
        await mkdir(join(dir, 'runs', 'app'), { recursive: true });
        await writeFile(file, c.content);
        const err = await readRun(dir, 'app', 1).then(
          () => assert.fail('read succeeded'),
          (e: Error) => e,
        );
        assert.equal(err.name, 'StateError');
        assert.ok(err.message.startsWith(`${displayPath(file)}${c.message}`), err.message);
      });
    });
  }

  it('pipeline and host files are validated too', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'pipelines'), { recursive: true });
      await writeFile(statePaths(dir).pipelineFile('app'), JSON.stringify({ version: 1, pipeline: 'app', nextRunNumber: 0, environments: {} }));
      await assert.rejects(readPipelineState(dir, 'app'), { name: 'StateError', message: /pipelines\/app\.json: \/nextRunNumber must be >= 1$/ });
      await mkdir(join(dir, 'hosts'), { recursive: true });
      await writeFile(statePaths(dir).hostFile('web1'), JSON.stringify({ version: 3, host: 'web1', pipelines: {} }));
      await assert.rejects(listHostStates(dir), { name: 'StateError', message: /hosts\/web1\.json: written by a newer slipway \(version 3;/ });
    });
  });
});

describe('readStepLog', () => {
  it('reads a whole log, or its tail without splitting a character', async () => {
    await withTempDir(async (dir) => {
      assert.equal(await readStepLog(dir, 'app', 1, 'test-1'), undefined);
      const file = statePaths(dir).stepLog('app', 1, 'test-1');
      await mkdir(join(dir, 'logs', 'app', '1'), { recursive: true });
      const text = `start\n${'é'.repeat(100)}\nend ✓\n`;
      await writeFile(file, text);
      const size = Buffer.byteLength(text);
      assert.deepEqual(await readStepLog(dir, 'app', 1, 'test-1'), { text, truncated: false, size });
      assert.deepEqual(await readStepLog(dir, 'app', 1, 'test-1', { tailBytes: size }), { text, truncated: false, size });
      // 'end ✓\n' is 8 bytes; 11 bytes reach back into the middle of an 'é' (2 bytes each).
      const tail = await readStepLog(dir, 'app', 1, 'test-1', { tailBytes: 13 });
      assert.deepEqual(tail, { text: 'éé\nend ✓\n', truncated: true, size });
      const odd = await readStepLog(dir, 'app', 1, 'test-1', { tailBytes: 12 });
      assert.deepEqual(odd, { text: 'é\nend ✓\n', truncated: true, size });
    });
  });
});

describe('sweepStateFolder', () => {
  it('sweeps crash leftovers but not workspaces or git mirrors', async () => {
    await withTempDir(async (dir) => {
      const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
      for (const sub of ['runs/app', 'work/app-1', 'git/app.git']) await mkdir(join(dir, sub), { recursive: true });
      for (const sub of ['runs/app', 'work/app-1', 'git/app.git']) await writeFile(join(dir, sub, `x.${uuid}.tmp`), '');
      assert.equal(await sweepStateFolder(dir), 1);
    });
  });
});
