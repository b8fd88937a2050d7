// Atomic file writes for the state folder. A plain writeFile killed mid-way leaves a torn file
// (measured: 10 of 40 files unreadable after SIGKILL); temp file + fsync + rename leaves either the
// old or the new content. Temp names use randomUUID: pid+time names collided under concurrency.

import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StateError } from '../errors.ts';
import { maskForState } from './secret-mask.ts';

/** Every temp name we create ends like this, so a sweep never touches anyone else's files. */
const TEMP_NAME = /[.-][0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/;

export function tempNameFor(path: string, tag = ''): string {
  return `${path}.${tag}${randomUUID()}.tmp`;
}

const queues = new Map<string, Promise<unknown>>();

/**
 * Runs fn after every earlier job queued for the same path (in this process) has settled. Two
 * writes racing to rename over one file would otherwise land in an arbitrary order.
 */
export function withFileQueue<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(path) ?? Promise.resolve();
  const result = previous.then(fn, fn);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  queues.set(path, tail);
  void tail.then(() => {
    if (queues.get(path) === tail) queues.delete(path);
  });
  return result;
}

/** fsync of a file or a folder (a folder's sync makes a rename in it durable). */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// State files can hold what masking cannot know about (commit messages, host output): readable by
// slipway's user only, in folders only it can enter.
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * Creates a new file (private: FILE_MODE, in a DIR_MODE folder); its folder is made only when the
 * create finds it missing. A mkdir before every write (a mkdir and a stat once the folder exists)
 * was 2 of the ~10 file system calls of each state write, and a deploy to 100 hosts makes ~300 of
 * them; the report's derived files (report/cache.ts) are written dozens of times per once too.
 */
export async function createTemp(temp: string): Promise<FileHandle> {
  try {
    return await open(temp, 'wx', FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(temp), { recursive: true, mode: DIR_MODE });
  return open(temp, 'wx', FILE_MODE);
}

async function writeNow(path: string, data: string | Uint8Array, durable = true): Promise<void> {
  const dir = dirname(path);
  const temp = tempNameFor(path);
  try {
    const handle = await createTemp(temp);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new StateError(`cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
  // Without this the rename itself may be lost on power failure, resurrecting the old file
  // (which a non-durable write accepts: the file's own fsync above still keeps it whole).
  if (durable) await fsyncPath(dir);
}

export interface AtomicWriteOptions {
  /** Runs inside the path's queue just before the write; throw to refuse the write. */
  before?: () => Promise<void>;
  /**
   * false: skip the folder's fsync, so after a power loss the previous version may come back
   * (never a torn file). For writes that a later durable one supersedes (a run's step progress).
   */
  durable?: boolean;
  /** Runs inside the path's queue after a write that worked (before the next write may begin). */
  after?: () => Promise<void>;
}

export function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  return withFileQueue(path, async () => {
    await opts.before?.();
    await writeNow(path, data, opts.durable ?? true);
    await opts.after?.();
  });
}

export function writeJsonAtomic(path: string, value: unknown, opts: AtomicWriteOptions = {}): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(maskForState(path, value), null, 2)}\n`, opts);
}

/** A read-modify-write of one JSON file inside its write queue: no other write of this process lands between the read and the write. */
export function updateJsonAtomic<T>(path: string, update: () => Promise<T | undefined>): Promise<void> {
  return withFileQueue(path, async () => {
    const value = await update();
    if (value !== undefined) await writeNow(path, `${JSON.stringify(maskForState(path, value), null, 2)}\n`);
  });
}

export interface SweepOptions {
  /** Absolute paths not to descend into (workspaces and git mirrors can be huge). */
  skip?: string[];
}

/**
 * Removes temp files and temp folders that a crash left behind (only names we generate) under dir,
 * recursively. Call it at start, while holding the state lock, so no live write is swept away.
 */
export async function sweepTempFiles(dir: string, opts: SweepOptions = {}): Promise<number> {
  const skip = new Set(opts.skip ?? []);
  let removed = 0;
  async function walk(current: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const entry of entries) {
      const full = join(current, entry.name);
      if (TEMP_NAME.test(entry.name)) {
        if (entry.isDirectory()) await rm(full, { recursive: true, force: true });
        else await unlink(full).catch(ignoreMissing);
        removed++;
      } else if (entry.isDirectory() && !skip.has(full)) {
        await walk(full);
      }
    }
  }
  await walk(dir);
  return removed;
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
