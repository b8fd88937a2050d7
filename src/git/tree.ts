// Writing a commit's files into a folder straight from the object store. isomorphic-git's
// checkout() would rewrite the mirror's HEAD and index, so two checkouts from one mirror race;
// reading trees and blobs ourselves touches nothing in the mirror.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GitError } from '../errors.ts';
import { readingMirror } from './mirror-lease.ts';
import { openObjects } from './objects.ts';
import type { GitObject } from './pack-reader.ts';

interface FileEntry {
  path: string;
  oid: string;
  kind: 'file' | 'exec' | 'link';
}

interface TreePlan {
  /** Parents before children. */
  dirs: string[];
  files: FileEntry[];
}

/** Only loose-object reads are asynchronous: a few in flight is enough. */
const WRITE_CONCURRENCY = 8;

/**
 * Writes the tree of commit `sha` into `dir` (absent or empty). Files get 0755 for 100755 entries,
 * symlinks stay symlinks, submodules are skipped. Hostile names ('..', '/', '.git', duplicates)
 * are refused with a GitError before anything is written.
 */
export function writeTree(opts: { gitdir: string; sha: string; dir: string }): Promise<{ files: number }> {
  // Compaction must not remove a pack while this reads it.
  return readingMirror(opts.gitdir, () => writeTreeNow(opts));
}

async function writeTreeNow(opts: { gitdir: string; sha: string; dir: string }): Promise<{ files: number }> {
  const { gitdir, sha, dir } = opts;
  const store = await openObjects(gitdir);
  try {
    return await writeTreeFrom(store.read, sha, dir);
  } finally {
    store.close();
  }
}

async function writeTreeFrom(read: ReadObject, sha: string, dir: string): Promise<{ files: number }> {
  let plan: TreePlan;
  try {
    const commit = await read(sha);
    const tree = commit.type === 'commit' ? /^tree ([0-9a-f]{40})$/m.exec(commit.data.toString('latin1'))?.[1] : undefined;
    if (!tree) throw new GitError(`${sha} is not a commit`);
    plan = await planTree(read, tree);
  } catch (err) {
    if (err instanceof GitError) throw err;
    throw new GitError(`cannot read the tree of commit ${sha}: ${(err as Error).message}`, { cause: err });
  }
  await prepareDir(dir);
  for (const level of byDepth(plan.dirs)) {
    for (const d of level) mkdirSync(join(dir, d));
  }
  await runPool(plan.files, WRITE_CONCURRENCY, async (entry) => {
    const { data } = await read(entry.oid);
    const target = join(dir, entry.path);
    // Synchronous on purpose: a small file costs three thread-pool round trips (open, write,
    // close) asynchronously, which made the whole tree several times slower.
    if (entry.kind === 'link') {
      symlinkSync(data.toString('utf8'), target);
    } else {
      // 'wx' never follows a symlink or overwrites: a second layer under the name checks.
      writeFileSync(target, data, { mode: entry.kind === 'exec' ? 0o755 : 0o644, flag: 'wx' });
    }
  });
  return { files: plan.files.length };
}

type ReadObject = (oid: string) => Promise<GitObject>;

async function planTree(read: ReadObject, rootOid: string): Promise<TreePlan> {
  const plan: TreePlan = { dirs: [], files: [] };
  let level: Array<{ path: string; oid: string }> = [{ path: '', oid: rootOid }];
  while (level.length > 0) {
    const trees = await Promise.all(level.map((t) => read(t.oid)));
    const next: Array<{ path: string; oid: string }> = [];
    trees.forEach((tree, i) => {
      const parent = level[i]!.path;
      if (tree.type !== 'tree') throw new GitError(`${level[i]!.oid} is not a tree`);
      const seen = new Set<string>();
      for (const entry of parseTree(tree.data)) {
        checkName(entry.name, parent, seen);
        const path = parent === '' ? entry.name : `${parent}/${entry.name}`;
        if (entry.mode === '40000' || entry.mode === '040000') {
          plan.dirs.push(path);
          next.push({ path, oid: entry.oid });
        } else if (entry.mode === '160000') {
          continue; // submodule: its commit is not in this repo
        } else if (entry.mode === '120000') {
          plan.files.push({ path, oid: entry.oid, kind: 'link' });
        } else {
          plan.files.push({ path, oid: entry.oid, kind: entry.mode === '100755' ? 'exec' : 'file' });
        }
      }
    });
    level = next;
  }
  return plan;
}

/** Tree object entries: "<mode> <name>\0<20-byte id>" one after another. */
function parseTree(data: Buffer): Array<{ mode: string; name: string; oid: string }> {
  const entries: Array<{ mode: string; name: string; oid: string }> = [];
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const nul = data.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 21 > data.length) throw new GitError('malformed tree object');
    entries.push({
      mode: data.toString('latin1', pos, space),
      name: data.toString('utf8', space + 1, nul),
      oid: data.toString('hex', nul + 1, nul + 21),
    });
    pos = nul + 21;
  }
  return entries;
}

/** Refuses names that could write outside `dir` or into a .git folder. */
function checkName(name: string, parent: string, seen: Set<string>): void {
  const where = parent === '' ? 'the top folder' : JSON.stringify(parent);
  const lower = name.toLowerCase();
  // Backslash too: git refuses it (core.protectNTFS is on by default).
  const unsafe = name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name) || lower === '.git';
  if (unsafe) {
    throw new GitError(`refusing to write unsafe path ${JSON.stringify(name)} in ${where}`);
  }
  // A name twice in one tree could make a symlink and a folder of the same path.
  if (seen.has(name)) throw new GitError(`refusing to write duplicate path ${JSON.stringify(name)} in ${where}`);
  seen.add(name);
}

async function prepareDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const existing = await readdir(dir);
  if (existing.length > 0) throw new GitError(`cannot write the tree into ${dir}: the folder is not empty`);
}

function byDepth(dirs: string[]): string[][] {
  const levels: string[][] = [];
  for (const d of dirs) {
    const depth = d.split('/').length - 1;
    (levels[depth] ??= []).push(d);
  }
  return levels.filter((l) => l !== undefined);
}

async function runPool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      // Cached blob reads resolve as microtasks and the writes are synchronous: without this the
      // whole tree would hold the event loop (a daemon's HTTP server, timers) for a second or more.
      if (next % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
      if (failed || next >= items.length) break;
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
