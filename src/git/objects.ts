// The mirror's object store: packs through pack-reader, loose objects (objects/xx/yyyy…, which
// native git or an older slipway may have left) read here. No library: inflate, check the id.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { GitError } from '../errors.ts';
import { openPacks, type GitObject } from './pack-reader.ts';

export interface ObjectStore {
  /** The object, or a GitError when the mirror does not hold it. */
  read(oid: string): Promise<GitObject>;
  /** Every id in the store that starts with `prefix` (lower-case hex, at least 2 digits). */
  expand(prefix: string): Promise<string[]>;
  close(): void;
}

const TYPES = new Set(['commit', 'tree', 'blob', 'tag']);

export async function openObjects(gitdir: string): Promise<ObjectStore> {
  const packs = await openPacks(gitdir);
  // Loose objects are rare in a mirror: list each folder once per store, not a probe per object.
  const listings = new Map<string, Promise<string[]>>();
  const list = (dir: string): Promise<string[]> => {
    let hit = listings.get(dir);
    if (!hit) {
      hit = readdir(join(gitdir, 'objects', dir)).catch(() => []);
      listings.set(dir, hit);
    }
    return hit;
  };

  const readLoose = async (oid: string): Promise<GitObject | null> => {
    const dir = oid.slice(0, 2);
    if (!(await list(dir)).includes(oid.slice(2))) return null;
    const raw = inflateSync(await readFile(join(gitdir, 'objects', dir, oid.slice(2))));
    const nul = raw.indexOf(0);
    const [type, size] = raw.toString('latin1', 0, Math.max(0, nul)).split(' ');
    const data = raw.subarray(nul + 1);
    if (nul < 0 || !TYPES.has(type ?? '') || Number(size) !== data.length) throw new GitError(`loose object ${oid} is malformed`);
    if (createHash('sha1').update(raw).digest('hex') !== oid) throw new GitError(`loose object ${oid} does not match its id`);
    return { type: type as GitObject['type'], data };
  };

  return {
    async read(oid) {
      const object = packs.read(oid) ?? (await readLoose(oid));
      if (!object) throw new GitError(`object ${oid} not found in the mirror ${gitdir}`);
      return object;
    },
    async expand(prefix) {
      const found = new Set(packs.expand(prefix));
      for (const name of await list(prefix.slice(0, 2))) {
        const oid = prefix.slice(0, 2) + name;
        if (/^[0-9a-f]{40}$/.test(oid) && oid.startsWith(prefix)) found.add(oid);
      }
      return [...found];
    },
    close: () => packs.close(),
  };
}
