// The file system handed to isomorphic-git. Measured on a 3,000-file tree, most of a plain
// `readBlob` loop was spent outside git: every object read first tries the loose object file
// (an ENOENT error with a captured stack), lists objects/pack again, and every API call probes the
// fs with a failing `readFile()`. Here the probe and the misses are cheap, and in snapshot mode
// (for read-only work on a mirror nobody writes to meanwhile) directory listings are cached.
import { promises as fsp } from 'node:fs';
import { basename, dirname } from 'node:path';

type Fsp = typeof fsp;

/** One shared error: isomorphic-git only looks at `code`, and a stack would cost a capture per miss. */
const MISSING = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
MISSING.stack = MISSING.message;

const LOOSE_OBJECT = /\/objects\/([0-9a-f]{2})\/([0-9a-f]{38})$/;

export interface RepoFs {
  promises: Pick<Fsp, 'readFile' | 'writeFile' | 'mkdir' | 'rmdir' | 'unlink' | 'stat' | 'lstat' | 'readdir' | 'readlink' | 'symlink' | 'rm'>;
}

export function createRepoFs(opts: { snapshot: boolean }): RepoFs {
  const listings = new Map<string, Promise<string[] | null>>();
  const list = (dir: string): Promise<string[] | null> => {
    if (!opts.snapshot) return fsp.readdir(dir).catch(() => null);
    let hit = listings.get(dir);
    if (!hit) {
      hit = fsp.readdir(dir).catch(() => null);
      listings.set(dir, hit);
    }
    return hit;
  };

  // Every API call stats the gitdir to tell a repo from a worktree's .git file.
  const stats = new Map<string, ReturnType<Fsp['stat']>>();
  const stat = ((path: string, options?: unknown) => {
    if (!opts.snapshot || options !== undefined) return fsp.stat(path, options as never);
    let hit = stats.get(path);
    if (!hit) {
      hit = fsp.stat(path);
      stats.set(path, hit);
    }
    return hit;
  }) as Fsp['stat'];

  const promises: RepoFs['promises'] = {
    readFile: ((path: unknown, options?: unknown) => {
      // isomorphic-git's "is this a promise fs?" probe calls readFile() without arguments.
      if (typeof path !== 'string') return Promise.reject(MISSING);
      const loose = LOOSE_OBJECT.exec(path);
      if (loose) {
        return list(dirname(path)).then((names) =>
          names?.includes(basename(path)) ? fsp.readFile(path, options as never) : Promise.reject(MISSING),
        );
      }
      return fsp.readFile(path, options as never);
    }) as Fsp['readFile'],
    readdir: ((path: string, options?: unknown) => {
      if (options === undefined && opts.snapshot) {
        return list(path).then((names): Promise<string[]> => (names ? Promise.resolve([...names]) : Promise.reject(MISSING)));
      }
      return fsp.readdir(path, options as never);
    }) as Fsp['readdir'],
    writeFile: fsp.writeFile,
    mkdir: fsp.mkdir,
    rmdir: fsp.rmdir,
    unlink: fsp.unlink,
    stat,
    lstat: fsp.lstat,
    readlink: fsp.readlink,
    symlink: fsp.symlink,
    rm: fsp.rm,
  };
  return { promises };
}
