import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { acquireStateLock } from '../../src/state/lock.ts';
import { repoRoot, spawnTs, stopChild, waitFor, withTempDir } from './helpers.ts';

const holdLock = join(repoRoot, 'test/state/fixtures/hold-lock.ts');

function lockJson(pid: number, command = 'run'): string {
  return JSON.stringify({ pid, command, startedAt: '2024-05-01T10:00:00.000Z', host: hostname() });
}

/** A process that is alive until killed; `node` passes the cmdline check, `sleep` does not. */
function spawnIdle(kind: 'node' | 'sleep') {
  const child =
    kind === 'node' ? spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' }) : spawn('sleep', ['600'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, pid: child.pid ?? assert.fail('no pid') };
}

describe('acquireStateLock', () => {
  it('writes who holds it and removes it on release', async () => {
    await withTempDir(async (dir) => {
      const lock = await acquireStateLock(dir, { command: 'once' });
      const info = JSON.parse(await readFile(join(dir, 'lock'), 'utf8')) as Record<string, unknown>;
      assert.equal(info.pid, process.pid);
      assert.equal(info.command, 'once');
      assert.equal(info.host, hostname());
      assert.ok(typeof info.startedAt === 'string' && !Number.isNaN(Date.parse(info.startedAt)));
      await lock.release();
      await assert.rejects(readFile(join(dir, 'lock')), { code: 'ENOENT' });
      const again = await acquireStateLock(dir, { command: 'once' });
      await again.release();
    });
  });

  it('a second acquire fails with LockHeld naming the pid and the command', async () => {
    await withTempDir(async (dir) => {
      const child = spawnTs(holdLock, [dir]);
      try {
        await waitFor(() => child.out().includes('locked'), 'the child to take the lock');
        const pid = child.child.pid;
        const since = (JSON.parse(await readFile(join(dir, 'lock'), 'utf8')) as { startedAt: string }).startedAt;
        await assert.rejects(acquireStateLock(dir, { command: 'once' }), {
          name: 'LockHeld',
          message: `state folder ${dir} is in use by slipway run (pid ${pid}, since ${since}); wait for it to finish or stop it`,
        });
      } finally {
        await stopChild(child);
      }
    });
  });

  it('within one process, a second acquire fails too', async () => {
    await withTempDir(async (dir) => {
      const lock = await acquireStateLock(dir, { command: 'run' });
      try {
        await assert.rejects(acquireStateLock(dir, { command: 'once' }), { name: 'LockHeld', message: new RegExp(`pid ${process.pid}`) });
      } finally {
        await lock.release();
      }
    });
  });

  it('takes over the lock of a holder that died', async () => {
    await withTempDir(async (dir) => {
      const idle = spawnIdle('node');
      await writeFile(join(dir, 'lock'), lockJson(idle.pid));
      await assert.rejects(acquireStateLock(dir, { command: 'once' }), { name: 'LockHeld', message: new RegExp(`pid ${idle.pid}`) });
      idle.child.kill('SIGKILL');
      await idle.exited;
      const lock = await acquireStateLock(dir, { command: 'once' });
      assert.equal((JSON.parse(await readFile(join(dir, 'lock'), 'utf8')) as { pid: number }).pid, process.pid);
      await lock.release();
    });
  });

  it('two takers racing for a dead holder\'s lock: exactly one wins', async () => {
    await withTempDir(async (dir) => {
      for (let round = 0; round < 10; round++) {
        const idle = spawnIdle('node');
        idle.child.kill('SIGKILL');
        await idle.exited;
        await writeFile(join(dir, 'lock'), lockJson(idle.pid));
        const results = await Promise.allSettled([0, 1, 2].map(() => acquireStateLock(dir, { command: 'once' })));
        const won = results.filter((r) => r.status === 'fulfilled');
        assert.equal(won.length, 1, `round ${round}: ${results.map((r) => r.status).join(', ')}`);
        for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as Error).name, 'LockHeld');
        await won[0]?.value.release();
      }
    });
  });

  it('takes over when the pid now belongs to some other program', async () => {
    await withTempDir(async (dir) => {
      const idle = spawnIdle('sleep');
      try {
        await writeFile(join(dir, 'lock'), lockJson(idle.pid));
        const lock = await acquireStateLock(dir, { command: 'once' });
        await lock.release();
      } finally {
        idle.child.kill('SIGKILL');
        await idle.exited;
      }
    });
  });

  it('a holder that exits without releasing leaves no lock', async () => {
    await withTempDir(async (dir) => {
      const child = spawnTs(holdLock, [dir, 'exit']);
      await child.exited;
      assert.equal(child.child.exitCode, 0);
      assert.match(child.out(), /locked/);
      await assert.rejects(readFile(join(dir, 'lock')), { code: 'ENOENT' });
    });
  });

  it('release removes the lock only while it is still ours', async () => {
    await withTempDir(async (dir) => {
      const lock = await acquireStateLock(dir, { command: 'once' });
      const theirs = lockJson(process.pid + 1, 'run');
      await writeFile(join(dir, 'lock'), theirs);
      await lock.release();
      assert.equal(await readFile(join(dir, 'lock'), 'utf8'), theirs);
    });
  });
});
