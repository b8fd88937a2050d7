// Writing a commit's files into a folder straight from the object store. isomorphic-git's
// checkout() would rewrite the mirror's HEAD and index, so two checkouts from one mirror race;
// reading trees and blobs ourselves touches nothing in the mirror.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readBlob, readCommit, readTree } from 'isomorphic-git';
import { GitError } from '../errors.ts';
import { createRepoFs, type RepoFs } from './repo-fs.ts';

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

/** Blob reads inflate on the main thread and writes go to libuv's pool: a few in flight is enough. */
const WRITE_CONCURRENCY = 16;

/**
 * Writes the tree of commit `sha` into `dir` (absent or empty). Files get 0755 for 100755 entries,
 * symlinks stay symlinks, submodules are skipped. Hostile names ('..', '/', '.git', duplicates)
 * are refused with a GitError before anything is written.
 */
export async function writeTree(opts: { gitdir: string; sha: string; dir: string }): Promise<{ files: number }> {
  const { gitdir, sha, dir } = opts;
  // One cache for every read: it holds the parsed pack index and the pack itself in memory,
  // without it each blob read would load them again.
  const cache = {};
  // Nothing writes to the mirror while we read it, so listings can be cached for the whole call.
  const fs = createRepoFs({ snapshot: true });
  let plan: TreePlan;
  try {
    const { commit } = await readCommit({ fs, gitdir, oid: sha, cache });
    plan = await planTree(fs, gitdir, commit.tree, cache);
  } catch (err) {
    if (err instanceof GitError) throw err;
    // isomorphic-git wraps its own refusals (unsafe tree entry names) in a bug-report text.
    const e = err as { code?: string; message?: string; data?: { message?: string } };
    const why = e.code === 'InternalError' ? e.data?.message : e.message;
    throw new GitError(`cannot read the tree of commit ${sha}: ${why ?? String(err)}`, { cause: err });
  }
  await prepareDir(dir);
  for (const level of byDepth(plan.dirs)) {
    for (const d of level) mkdirSync(join(dir, d));
  }
  await runPool(plan.files, WRITE_CONCURRENCY, async (entry) => {
    const { blob } = await readBlob({ fs, gitdir, oid: entry.oid, cache });
    const target = join(dir, entry.path);
    // Synchronous on purpose: a small file costs three thread-pool round trips (open, write,
    // close) asynchronously, which made the whole tree 3x slower than writing it in place.
    if (entry.kind === 'link') {
      symlinkSync(Buffer.from(blob).toString('utf8'), target);
    } else {
      // 'wx' never follows a symlink or overwrites: a second layer under the name checks.
      writeFileSync(target, blob, { mode: entry.kind === 'exec' ? 0o755 : 0o644, flag: 'wx' });
    }
  });
  return { files: plan.files.length };
}

async function planTree(fs: RepoFs, gitdir: string, rootOid: string, cache: object): Promise<TreePlan> {
  const plan: TreePlan = { dirs: [], files: [] };
  let level: Array<{ path: string; oid: string }> = [{ path: '', oid: rootOid }];
  while (level.length > 0) {
    const trees = await Promise.all(level.map((t) => readTree({ fs, gitdir, oid: t.oid, cache })));
    const next: Array<{ path: string; oid: string }> = [];
    trees.forEach(({ tree }, i) => {
      const parent = level[i]!.path;
      const seen = new Set<string>();
      for (const entry of tree) {
        checkName(entry.path, parent, seen);
        const path = parent === '' ? entry.path : `${parent}/${entry.path}`;
        switch (entry.mode) {
          case '040000':
            plan.dirs.push(path);
            next.push({ path, oid: entry.oid });
            break;
          case '100755':
            plan.files.push({ path, oid: entry.oid, kind: 'exec' });
            break;
          case '120000':
            plan.files.push({ path, oid: entry.oid, kind: 'link' });
            break;
          case '160000':
            break; // submodule: its commit is not in this repo
          default:
            plan.files.push({ path, oid: entry.oid, kind: 'file' });
        }
      }
    });
    level = next;
  }
  return plan;
}

/** Refuses names that could write outside `dir` or into a .git folder. */
function checkName(name: string, parent: string, seen: Set<string>): void {
  const where = parent === '' ? 'the top folder' : JSON.stringify(parent);
  const lower = name.toLowerCase();
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0') || lower === '.git') {
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
