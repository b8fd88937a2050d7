// A read-only reader for the mirror's pack files, used to write work trees. isomorphic-git inflates
// with pako (JavaScript) and pays a file-system probe per object: on a 3,000-file tree that was
// most of writeTree's CPU time. Here objects are inflated with Node's zlib and every result is
// checked against its id (sha1), so a parsing mistake can never write wrong content silently.
// Objects it cannot find (loose ones) are left to the caller's fallback.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { GitError } from '../errors.ts';

export interface GitObject {
  type: 'commit' | 'tree' | 'blob' | 'tag';
  data: Buffer;
}

interface Pack {
  name: string;
  idx: Buffer;
  pack: Buffer;
  count: number;
}

const TYPES = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' } as const;
const OFS_DELTA = 6;
const REF_DELTA = 7;
/** Resolved delta bases kept for reuse; chains of edits to one file share them. */
const BASE_CACHE_BYTES = 32 * 1024 * 1024;

export interface PackReader {
  /** The object, or null when no pack has it. */
  read(oid: string): GitObject | null;
}

export async function openPacks(gitdir: string): Promise<PackReader> {
  const dir = join(gitdir, 'objects', 'pack');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.idx'));
  const packs: Pack[] = [];
  for (const name of names) {
    const [idx, pack] = await Promise.all([readFile(join(dir, name)), readFile(join(dir, name.replace(/\.idx$/, '.pack')))]);
    // Version 2 index: magic \377tOc, version 2, 256 fan-out entries (the last is the count).
    if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) continue;
    packs.push({ name, idx, pack, count: idx.readUInt32BE(8 + 255 * 4) });
  }
  const bases = new Map<string, GitObject>();
  let baseBytes = 0;

  const find = (oid: string): { pack: Pack; offset: number } | null => {
    const want = Buffer.from(oid, 'hex');
    for (const pack of packs) {
      const offset = lookup(pack, want);
      if (offset !== null) return { pack, offset };
    }
    return null;
  };

  const readAt = (pack: Pack, offset: number, depth: number): GitObject => {
    const key = `${pack.name}:${offset}`;
    const cached = bases.get(key);
    if (cached) return cached;
    if (depth > 50) throw new GitError(`pack ${pack.name}: delta chain too deep at ${offset}`);
    const buf = pack.pack;
    let pos = offset;
    let c = buf[pos++]!;
    const type = (c >> 4) & 7;
    while (c & 0x80) c = buf[pos++]!;
    if (type >= 1 && type <= 4) {
      return { type: TYPES[type as 1 | 2 | 3 | 4], data: inflateSync(buf.subarray(pos)) };
    }
    let where: { pack: Pack; offset: number } | null;
    if (type === OFS_DELTA) {
      c = buf[pos++]!;
      let back = c & 0x7f;
      while (c & 0x80) {
        c = buf[pos++]!;
        back = ((back + 1) << 7) | (c & 0x7f);
      }
      where = { pack, offset: offset - back };
    } else if (type === REF_DELTA) {
      const baseOid = buf.subarray(pos, pos + 20).toString('hex');
      pos += 20;
      where = find(baseOid);
      if (!where) throw new GitError(`pack ${pack.name}: missing delta base ${baseOid}`);
    } else {
      throw new GitError(`pack ${pack.name}: unknown object type ${type} at ${offset}`);
    }
    const base = readAt(where.pack, where.offset, depth + 1);
    remember(where.pack, where.offset, base);
    return { type: base.type, data: applyDelta(base.data, inflateSync(buf.subarray(pos))) };
  };

  const remember = (pack: Pack, offset: number, object: GitObject): void => {
    if (object.data.length > BASE_CACHE_BYTES / 8) return;
    if (baseBytes + object.data.length > BASE_CACHE_BYTES) {
      bases.clear();
      baseBytes = 0;
    }
    bases.set(`${pack.name}:${offset}`, object);
    baseBytes += object.data.length;
  };

  return {
    read(oid: string): GitObject | null {
      const where = find(oid);
      if (!where) return null;
      const object = readAt(where.pack, where.offset, 0);
      const hash = createHash('sha1').update(`${object.type} ${object.data.length}\0`).update(object.data).digest('hex');
      if (hash !== oid) throw new GitError(`pack ${where.pack.name}: object ${oid} reads back as ${hash}`);
      return object;
    },
  };
}

/** Offset of `want` in the pack, by binary search in the index's sorted id table. */
function lookup(pack: Pack, want: Buffer): number | null {
  const { idx, count } = pack;
  const first = want[0]!;
  let lo = first === 0 ? 0 : idx.readUInt32BE(8 + (first - 1) * 4);
  let hi = idx.readUInt32BE(8 + first * 4);
  const ids = 8 + 256 * 4;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const cmp = idx.compare(want, 0, 20, ids + mid * 20, ids + mid * 20 + 20);
    if (cmp === 0) {
      const offsets = ids + count * 24; // after the ids (20 bytes) and the CRCs (4 bytes)
      const small = idx.readUInt32BE(offsets + mid * 4);
      if ((small & 0x80000000) === 0) return small;
      const large = offsets + count * 4 + (small & 0x7fffffff) * 8;
      return Number(idx.readBigUInt64BE(large));
    }
    if (cmp < 0) lo = mid + 1;
    else hi = mid;
  }
  return null;
}

export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    let c: number;
    do {
      c = delta[pos++]!;
      value += (c & 0x7f) * 2 ** shift;
      shift += 7;
    } while (c & 0x80);
    return value;
  };
  if (varint() !== base.length) throw new GitError('delta does not match its base');
  const out = Buffer.allocUnsafe(varint());
  let at = 0;
  while (pos < delta.length) {
    const op = delta[pos++]!;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let i = 0; i < 4; i++) if (op & (1 << i)) offset |= delta[pos++]! << (8 * i);
      for (let i = 0; i < 3; i++) if (op & (16 << i)) size |= delta[pos++]! << (8 * i);
      if (size === 0) size = 0x10000;
      base.copy(out, at, offset >>> 0, (offset >>> 0) + size);
      at += size;
    } else if (op > 0) {
      delta.copy(out, at, pos, pos + op);
      pos += op;
      at += op;
    } else {
      throw new GitError('delta has a reserved opcode 0');
    }
  }
  if (at !== out.length) throw new GitError('delta produced the wrong size');
  return out;
}
