// Putting rendered files in place, two ways, neither of which lets a reader (the HTTP server, a
// browser on file://) see half a page:
// - writeReport / openFolderSwap: a whole new report in a fresh folder beside www, swapped in with
//   two renames (the full rewrite; files not in the new report disappear with the old folder);
// - writeFilesInPlace: some files of the live folder, each written to a temp file and renamed
//   over the old one (the incremental update).
// Pages are not fsynced: the report is rebuilt from the state after any crash.

import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StateError } from '../errors.ts';
import { fsyncPath, withFileQueue } from '../state/atomic.ts';

function checkKey(key: string): void {
  const segments = key.split('/');
  if (key.startsWith('/') || key.includes('\\') || key.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new StateError(`report file name ${JSON.stringify(key)} is not a plain relative path`);
  }
}

function isCode(err: unknown, ...codes: string[]): boolean {
  return codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

/** Runs fn with the report folder to itself (in this process; the state lock keeps others out). */
export function withReportFolder<T>(wwwDir: string, fn: () => Promise<T>): Promise<T> {
  return withFileQueue(wwwDir, fn);
}

/** Size and mtime of a file as written, for the manifest (manifest.ts). */
export interface Written {
  size: number;
  mtimeMs: number;
}

export interface FolderSwap {
  write(key: string, content: string): Promise<Written>;
  /** Swaps the new folder in; the old one is removed. */
  commit(): Promise<void>;
  /** Drops the new folder; the old report stays. */
  abort(): Promise<void>;
}

/** A fresh folder to write a whole report into, file by file (a big report never sits in memory). */
export async function openFolderSwap(wwwDir: string): Promise<FolderSwap> {
  const parent = dirname(wwwDir);
  // Names end in -<uuid>.tmp so a crash's leftovers are removed by sweepTempFiles at start.
  const fresh = `${wwwDir}.new-${randomUUID()}.tmp`;
  await mkdir(parent, { recursive: true });
  await mkdir(fresh);
  const made = new Set<string>([fresh]);
  const fail = async (err: unknown): Promise<never> => {
    await rm(fresh, { recursive: true, force: true });
    throw new StateError(`cannot write the report to ${wwwDir}: ${(err as Error).message}`, { cause: err });
  };
  return {
    async write(key, content) {
      checkKey(key);
      const file = join(fresh, key);
      const dir = dirname(file);
      try {
        if (!made.has(dir)) {
          await mkdir(dir, { recursive: true });
          made.add(dir);
        }
        return await writeNew(file, content);
      } catch (err) {
        return fail(err);
      }
    },
    async commit() {
      const olds: string[] = [];
      try {
        for (let attempt = 0; ; attempt++) {
          const old = `${wwwDir}.old-${randomUUID()}.tmp`;
          try {
            await rename(wwwDir, old);
            olds.push(old);
          } catch (err) {
            if (!isCode(err, 'ENOENT')) throw err;
          }
          try {
            await rename(fresh, wwwDir);
            break;
          } catch (err) {
            // Another writer put a www back between our two renames: move it aside too.
            if (!isCode(err, 'ENOTEMPTY', 'EEXIST') || attempt >= 4) throw err;
          }
        }
        await fsyncPath(parent);
      } catch (err) {
        // Better the previous report than none.
        const last = olds.pop();
        if (last !== undefined) await rename(last, wwwDir).catch(() => olds.push(last));
        await fail(err);
      } finally {
        for (const old of olds) await rm(old, { recursive: true, force: true });
      }
    },
    async abort() {
      await rm(fresh, { recursive: true, force: true });
    },
  };
}

async function writeNew(file: string, content: string): Promise<Written> {
  const handle = await open(file, 'wx', 0o644);
  try {
    await handle.writeFile(content);
    const { size, mtimeMs } = await handle.stat();
    return { size, mtimeMs };
  } finally {
    await handle.close();
  }
}

/** Replaces the whole report folder with these files. */
export async function writeReport(wwwDir: string, files: Map<string, string>): Promise<void> {
  for (const key of files.keys()) checkKey(key);
  return withReportFolder(wwwDir, async () => {
    const swap = await openFolderSwap(wwwDir);
    for (const [key, content] of files) await swap.write(key, content);
    await swap.commit();
  });
}

const PARALLEL_WRITES = 16;

/**
 * Writes files into the live report folder, each atomically (temp file, rename over), then removes
 * `remove`. Call inside withReportFolder.
 */
export async function writeFilesInPlace(wwwDir: string, files: Map<string, string>, remove: readonly string[] = []): Promise<void> {
  for (const key of [...files.keys(), ...remove]) checkKey(key);
  const entries = [...files];
  const made = new Set<string>();
  const one = async ([key, content]: [string, string]): Promise<void> => {
    await writeOneInPlace(wwwDir, key, content, made);
  };
  for (let i = 0; i < entries.length; i += PARALLEL_WRITES) await Promise.all(entries.slice(i, i + PARALLEL_WRITES).map(one));
  for (const key of remove) await unlink(join(wwwDir, key)).catch((err: unknown) => (isCode(err, 'ENOENT') ? undefined : Promise.reject(err)));
}

/**
 * One file of the live report folder, atomically (temp file, rename over). `made`: folders known
 * to exist. Call inside withReportFolder.
 */
export async function writeOneInPlace(wwwDir: string, key: string, content: string, made: Set<string> = new Set()): Promise<Written> {
  checkKey(key);
  const file = join(wwwDir, key);
  const dir = dirname(file);
  if (!made.has(dir)) {
    await mkdir(dir, { recursive: true });
    made.add(dir);
  }
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    const written = await writeNew(temp, content);
    await rename(temp, file);
    return written;
  } catch (err) {
    await rm(temp, { force: true });
    throw new StateError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Removes every file under the report folder that `keep` does not name, and folders left empty:
 * what a folder swap does to files the new report no longer has. Call inside withReportFolder.
 */
export async function removeUnlisted(wwwDir: string, keep: ReadonlySet<string>, folder = ''): Promise<number> {
  return (await sweep(wwwDir, keep, folder)).removed;
}

/** `left`: entries the folder still has. Only a folder left empty is removed: a failed rmdir of each full one cost a 10,000-run rewrite ~40 ms. */
async function sweep(wwwDir: string, keep: ReadonlySet<string>, folder: string): Promise<{ removed: number; left: number }> {
  let removed = 0;
  let left = 0;
  const entries = await readdir(folder === '' ? wwwDir : join(wwwDir, folder), { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const key = folder === '' ? e.name : `${folder}/${e.name}`;
    if (e.isDirectory()) {
      const inner = await sweep(wwwDir, keep, key);
      removed += inner.removed;
      if (inner.left === 0 && (await rmdir(join(wwwDir, key)).then(() => true, () => false))) continue;
      left++;
    } else if (!keep.has(key)) {
      await rm(join(wwwDir, key), { force: true });
      removed++;
    } else {
      left++;
    }
  }
  return { removed, left };
}

/** Every folder that holds one of these files, and their parents ('' is the report folder). */
function foldersOf(keys: Iterable<string>): Set<string> {
  const out = new Set<string>(['']);
  for (const k of keys) {
    for (let i = k.lastIndexOf('/'); i > 0; i = k.lastIndexOf('/', i - 1)) {
      const f = k.slice(0, i);
      if (out.has(f)) break;
      out.add(f);
    }
  }
  return out;
}

/** The mtime of each folder that holds one of these files: stamps for removeUnlistedSince. */
export function folderStamps(wwwDir: string, keys: Iterable<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of foldersOf(keys)) {
    const s = statSync(f === '' ? wwwDir : `${wwwDir}/${f}`, { throwIfNoEntry: false });
    if (s?.isDirectory()) out.set(f, s.mtimeMs);
  }
  return out;
}

/**
 * removeUnlisted, knowing what the folders held when `folders` was stamped (`files`): a folder
 * whose mtime is the same has had no entry added, removed or renamed over since (every write
 * here renames a temp file in), so it holds just those files and needs no listing; the others
 * are listed. As make and rsync trust mtimes; listing all 160 folders of a 10,000-run report
 * was ~50 ms of a rewrite that changed nothing. Call inside withReportFolder.
 */
export async function removeUnlistedSince(wwwDir: string, keep: ReadonlySet<string>, before: { files: Iterable<string>; folders: ReadonlyMap<string, number> }): Promise<void> {
  if (before.folders.size === 0) {
    await removeUnlisted(wwwDir, keep);
    return;
  }
  const known = new Map<string, string[]>();
  for (const k of before.files) {
    const i = k.lastIndexOf('/');
    const f = i < 0 ? '' : k.slice(0, i);
    (known.get(f) ?? known.set(f, []).get(f)!).push(k);
  }
  const touched = new Set<string>();
  for (const [folder, mtimeMs] of before.folders) {
    const dir = folder === '' ? wwwDir : `${wwwDir}/${folder}`;
    const s = statSync(dir, { throwIfNoEntry: false });
    if (s === undefined) continue;
    if (s.mtimeMs === mtimeMs) {
      for (const k of known.get(folder) ?? []) {
        if (keep.has(k)) continue;
        await rm(`${wwwDir}/${k}`, { force: true });
        touched.add(folder);
      }
      continue;
    }
    // Changed: its files are listed; a folder in it that was not stamped is swept whole.
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const k = folder === '' ? e.name : `${folder}/${e.name}`;
      if (e.isDirectory()) {
        if (!before.folders.has(k)) await removeUnlisted(wwwDir, keep, k).then(() => rmdir(`${wwwDir}/${k}`).catch(() => undefined));
      } else if (!keep.has(k)) {
        await rm(`${wwwDir}/${k}`, { force: true });
        touched.add(folder);
      }
    }
  }
  // Folders left empty go, deepest first.
  for (const folder of [...touched].sort((a, b) => b.length - a.length)) {
    for (let f = folder; f !== ''; f = f.includes('/') ? f.slice(0, f.lastIndexOf('/')) : '') {
      if (!(await rmdir(`${wwwDir}/${f}`).then(() => true, () => false))) break;
    }
  }
}

/** Report-relative paths of the files in one folder of the report (none when it is absent). */
export async function listReportFolder(wwwDir: string, folder: string): Promise<string[]> {
  try {
    const names = await readdir(join(wwwDir, folder), { withFileTypes: true });
    return names.filter((e) => e.isFile() && !e.name.endsWith('.tmp')).map((e) => `${folder}/${e.name}`);
  } catch (err) {
    if (isCode(err, 'ENOENT', 'ENOTDIR')) return [];
    throw err;
  }
}
