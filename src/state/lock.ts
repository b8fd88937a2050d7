// One slipway process per state folder. An O_EXCL-style pid file: a crashed holder is detected at
// once (kill(pid, 0) = ESRCH) instead of after a stale timeout, and /proc/PID/cmdline guards against
// the pid having been reused by an unrelated program.

import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { readFileSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LockHeld, StateError } from '../errors.ts';
import { tempNameFor } from './atomic.ts';

export interface LockInfo {
  pid: number;
  command: string;
  startedAt: string;
  host: string;
}

export interface StateLock {
  release(): Promise<void>;
}

export async function acquireStateLock(stateDir: string, opts: { command: string }): Promise<StateLock> {
  await mkdir(stateDir, { recursive: true });
  const lockPath = join(stateDir, 'lock');
  const info: LockInfo = { pid: process.pid, command: opts.command, startedAt: new Date().toISOString(), host: hostname() };
  const content = `${JSON.stringify(info)}\n`;
  // Written whole to a temp file, then hard-linked into place: link() fails with EEXIST like an
  // O_EXCL open, but a reader can never see the lock file empty or half written.
  const temp = tempNameFor(lockPath);
  await writeFile(temp, content, { flag: 'wx' });
  try {
    const deadline = Date.now() + TAKEOVER_PATIENCE_MS;
    for (;;) {
      if (await linkExclusive(temp, lockPath)) break;
      const existing = await readFile(lockPath, 'utf8').catch(() => undefined);
      if (existing === undefined) continue; // released between link and read: try again
      const holder = parseLock(existing);
      if (holder && isHolderAlive(holder)) throw lockHeld(stateDir, holder);
      if ((await removeStaleLock(lockPath, existing, temp)) === 'busy') {
        if (Date.now() > deadline) throw new StateError(`cannot take over the stale lock ${lockPath}; remove ${lockPath}.takeover if no slipway runs`);
        await delay(5);
      }
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }

  const onExit = (): void => {
    try {
      if (readFileSync(lockPath, 'utf8') === content) unlinkSync(lockPath);
    } catch {
      // Nothing to clean up; the process is exiting anyway.
    }
  };
  process.on('exit', onExit);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      process.off('exit', onExit);
      const current = await readFile(lockPath, 'utf8').catch(() => undefined);
      if (current === content) await unlink(lockPath).catch(() => undefined);
    },
  };
}

const TAKEOVER_PATIENCE_MS = 5000;

async function linkExclusive(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Two processes may both find the same dead holder; if each simply deleted the lock, the slower
 * one could delete the lock the faster one just took. So a takeover happens only while holding a
 * second exclusive file, lock.takeover, and only removes the lock if it still is the dead
 * holder's: nobody else can change it meanwhile (a new lock can only appear once it is gone).
 */
async function removeStaleLock(lockPath: string, staleContent: string, ourLockFile: string): Promise<'removed' | 'busy'> {
  const guard = `${lockPath}.takeover`;
  if (!(await linkExclusive(ourLockFile, guard))) {
    const text = await readFile(guard, 'utf8').catch(() => undefined);
    const taker = text === undefined ? undefined : parseLock(text);
    // A taker that died mid-takeover would block everyone forever.
    if (text !== undefined && (taker === undefined || !isHolderAlive(taker))) await unlink(guard).catch(() => undefined);
    return 'busy';
  }
  try {
    const current = await readFile(lockPath, 'utf8').catch(() => undefined);
    if (current === staleContent) await unlink(lockPath).catch(() => undefined);
    return 'removed';
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** The live holder of the state lock, if any (`trigger` asks whether a daemon runs). */
export async function readLockHolder(stateDir: string): Promise<LockInfo | undefined> {
  const text = await readFile(join(stateDir, 'lock'), 'utf8').catch(() => undefined);
  const holder = text === undefined ? undefined : parseLock(text);
  return holder && isHolderAlive(holder) ? holder : undefined;
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockInfo>;
    if (typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0) return undefined;
    return {
      pid: value.pid,
      command: typeof value.command === 'string' ? value.command : 'unknown',
      startedAt: typeof value.startedAt === 'string' ? value.startedAt : 'unknown time',
      host: typeof value.host === 'string' ? value.host : hostname(),
    };
  } catch {
    return undefined;
  }
}

/** Exported for tests. An unparsable lock counts as dead: only a crash mid-way could leave one. */
export function isHolderAlive(holder: LockInfo): boolean {
  // A lock from another machine (state on a shared disk) cannot be checked from here.
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: the process exists but belongs to someone else.
  }
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${holder.pid}/cmdline`, 'utf8');
  } catch {
    return true; // no /proc here: trust kill()
  }
  // A zombie has an empty cmdline: it will never release the lock.
  if (cmdline === '') return false;
  return /node|slipway|tsx/i.test(cmdline);
}

function lockHeld(stateDir: string, holder: LockInfo): LockHeld {
  const where = holder.host === hostname() ? '' : ` on ${holder.host}`;
  return new LockHeld(
    `state folder ${stateDir} is in use by slipway ${holder.command} (pid ${holder.pid}${where}, since ${holder.startedAt}); wait for it to finish or stop it`,
  );
}
