// Test helpers for state and report tests: temp folders, child processes, polling.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunRecord } from '../../src/state/types.ts';

export const repoRoot = new URL('../../', import.meta.url).pathname;

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs a TypeScript fixture with tsx in its own process; collects stdout. */
export function spawnTs(script: string, args: string[]): { child: ChildProcess; out: () => string; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, out: () => out, exited };
}

export async function stopChild(p: { child: ChildProcess; exited: Promise<void> }): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await p.exited;
}

export function sampleRun(over: Partial<RunRecord> = {}): RunRecord {
  return {
    version: 1,
    pipeline: 'app',
    number: 1,
    status: 'running',
    commit: {
      id: '0123456789abcdef0123456789abcdef01234567',
      message: 'Fix the thing\n\nLonger body.',
      author: { name: 'Ada', email: 'ada@example.com' },
      time: '2024-05-01T10:00:00.000Z',
    },
    branch: 'main',
    trigger: 'poll',
    createdAt: '2024-05-01T10:00:01.000Z',
    startedAt: '2024-05-01T10:00:02.000Z',
    stages: [
      {
        name: 'test',
        kind: 'test',
        status: 'running',
        startedAt: '2024-05-01T10:00:02.000Z',
        steps: [{ id: 'test-1', name: 'npm test', status: 'running', startedAt: '2024-05-01T10:00:02.000Z' }],
      },
    ],
    ...over,
  };
}
