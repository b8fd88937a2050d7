import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sweepTempFiles, writeFileAtomic, writeJsonAtomic } from '../../src/state/atomic.ts';
import { repoRoot, spawnTs, stopChild, waitFor, withTempDir } from './helpers.ts';

describe('writeJsonAtomic', () => {
  it('writes pretty JSON with a trailing newline, creating the folder', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'a', 'b', 'x.json');
      await writeJsonAtomic(file, { version: 1, name: 'é ✓' });
      assert.equal(await readFile(file, 'utf8'), '{\n  "version": 1,\n  "name": "é ✓"\n}\n');
    });
  });

  it('serialises concurrent writes to one file: every write lands, the result is one of them', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'x.json');
      const values = Array.from({ length: 50 }, (_, i) => ({ i, pad: 'y'.repeat(i * 500) }));
      await Promise.all(values.map((v) => writeJsonAtomic(file, v)));
      const result = JSON.parse(await readFile(file, 'utf8')) as { i: number };
      // Queued in call order, so the last call wins.
      assert.equal(result.i, 49);
      assert.deepEqual(await readdir(dir), ['x.json']);
    });
  });

  it('leaves no temp file behind when the write fails', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'x.json');
      await mkdir(file); // renaming a file over a folder fails
      await assert.rejects(writeFileAtomic(file, 'data'), { name: 'StateError', message: /cannot write .*x\.json/ });
      assert.deepEqual(await readdir(dir), ['x.json']);
    });
  });

  it('a process killed mid-write leaves every file whole', async () => {
    await withTempDir(async (dir) => {
      // Kill after different numbers of completed rounds: each kill lands somewhere inside a write.
      for (const rounds of [1, 3, 7, 15]) {
        const child = spawnTs(join(repoRoot, 'test/state/fixtures/write-loop.ts'), [dir]);
        try {
          await waitFor(() => child.out().split('\n').length > rounds, `${rounds} rounds of writes`);
        } finally {
          await stopChild(child);
        }
        for (let f = 0; f < 4; f++) {
          const value = JSON.parse(await readFile(join(dir, `f${f}.json`), 'utf8')) as { f: number; payload: string };
          assert.equal(value.f, f);
          assert.equal(value.payload.length, 64 * 1024);
        }
        await sweepTempFiles(dir);
        assert.deepEqual((await readdir(dir)).sort(), ['f0.json', 'f1.json', 'f2.json', 'f3.json']);
      }
    });
  });
});

describe('sweepTempFiles', () => {
  it('removes only the temp files and folders slipway creates, recursively, and skips what it is told to', async () => {
    await withTempDir(async (dir) => {
      const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
      await mkdir(join(dir, 'runs', 'app'), { recursive: true });
      await mkdir(join(dir, 'work', 'ws'), { recursive: true });
      await mkdir(join(dir, `www.new-${uuid}.tmp`, 'runs'), { recursive: true });
      await writeFile(join(dir, `www.new-${uuid}.tmp`, 'runs', 'x.html'), '');
      await writeFile(join(dir, 'runs', 'app', `3.json.${uuid}.tmp`), '{"ver');
      await writeFile(join(dir, `lock.${uuid}.tmp`), '');
      await writeFile(join(dir, 'runs', 'app', '3.json'), '{}');
      await writeFile(join(dir, 'runs', 'app', 'notes.tmp'), 'a user file: not ours');
      await writeFile(join(dir, 'work', 'ws', `a.${uuid}.tmp`), 'inside a workspace');

      assert.equal(await sweepTempFiles(dir, { skip: [join(dir, 'work')] }), 3);
      assert.deepEqual((await readdir(dir)).sort(), ['runs', 'work']);
      assert.deepEqual((await readdir(join(dir, 'runs', 'app'))).sort(), ['3.json', 'notes.tmp']);
      assert.deepEqual(await readdir(join(dir, 'work', 'ws')), [`a.${uuid}.tmp`]);
      assert.equal(await sweepTempFiles(join(dir, 'absent')), 0);
    });
  });
});
