// A read-only reader for the mirror's pack files, used to write work trees and read commits.
// isomorphic-git inflated with pako (JavaScript) and paid a file-system probe per object: on a
// 3,000-file tree that was most of writeTree's CPU time. Here objects are inflated with Node's
// zlib and every result is checked against its id (sha1), so a parsing mistake can never write
// wrong content silently. Objects it cannot find (loose ones) are left to objects.ts.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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
  /** Read with positional reads, never whole: a mirror's pack may be bigger than the memory. */
  fd: number;
  size: number;
  count: number;
}

const TYPES = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' } as const;
const OFS_DELTA = 6;
const REF_DELTA = 7;
/** Resolved delta bases kept for reuse; chains of edits to one file share them. */
const BASE_CACHE_BYTES = 32 * 1024 * 1024;
/** One read covers the header and data of most objects. */
const FIRST_READ = 64 * 1024;

export interface PackReader {
  /** The object, or null when no pack has it. */
  read(oid: string): GitObject | null;
  /** Ids in the packs that start with `prefix` (lower-case hex). */
  expand(prefix: string): string[];
  close(): void;
}

export async function openPacks(gitdir: string): Promise<PackReader> {
  const dir = join(gitdir, 'objects', 'pack');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.idx'));
  const packs: Pack[] = [];
  for (const name of names) {
    let idx: Buffer;
    let fd: number;
    try {
      idx = await readFile(join(dir, name));
      fd = openSync(join(dir, name.replace(/\.idx$/, '.pack')), 'r');
    } catch {
      continue; // a pack that compaction removed meanwhile: its objects are in the new one
    }
    // Version 2 index: magic \377tOc, version 2, 256 fan-out entries (the last is the count).
    if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) {
      closeSync(fd);
      continue;
    }
    packs.push({ name, idx, fd, size: fstatSync(fd).size, count: idx.readUInt32BE(8 + 255 * 4) });
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

  // The first read of every object goes into this one buffer (its bytes are parsed and inflated
  // before the next read): a fresh 64 KiB per object is churn outside the JS heap for nothing.
  const scratch = Buffer.allocUnsafe(FIRST_READ);
  const readBytes = (pack: Pack, pos: number, len: number, into?: Buffer): Buffer => {
    const want = Math.max(0, Math.min(len, pack.size - pos));
    const buf = into !== undefined && want <= into.length ? into.subarray(0, want) : Buffer.allocUnsafe(want);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(pack.fd, buf, got, buf.length - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  };

  const readAt = (pack: Pack, offset: number, depth: number): GitObject => {
    const key = `${pack.name}:${offset}`;
    const cached = bases.get(key);
    if (cached) return cached;
    if (depth > 50) throw new GitError(`pack ${pack.name}: delta chain too deep at ${offset}`);
    let buf = readBytes(pack, offset, FIRST_READ, scratch);
    let pos = 0;
    let c = buf[pos++]!;
    const type = (c >> 4) & 7;
    let size = c & 15;
    let shift = 4;
    while (c & 0x80) {
      c = buf[pos++]!;
      size += (c & 0x7f) * 2 ** shift;
      shift += 7;
    }
    let where: { pack: Pack; offset: number } | null = null;
    if (type === OFS_DELTA) {
      c = buf[pos++]!;
      let back = c & 0x7f;
      while (c & 0x80) {
        c = buf[pos++]!;
        back = (back + 1) * 128 + (c & 0x7f);
      }
      where = { pack, offset: offset - back };
    } else if (type === REF_DELTA) {
      const baseOid = buf.subarray(pos, pos + 20).toString('hex');
      pos += 20;
      where = find(baseOid);
      if (!where) throw new GitError(`pack ${pack.name}: missing delta base ${baseOid}`);
    } else if (type < 1 || type > 4) {
      throw new GitError(`pack ${pack.name}: unknown object type ${type} at ${offset}`);
    }
    // zlib never grows data by more than this (deflateBound): read the rest when it may not fit.
    const need = pos + size + Math.ceil(size / 1024) + 64;
    if (need > buf.length) buf = readBytes(pack, offset, need);
    const data = inflateSync(buf.subarray(pos));
    if (where === null) return { type: TYPES[type as 1 | 2 | 3 | 4], data };
    const base = readAt(where.pack, where.offset, depth + 1);
    remember(where.pack, where.offset, base);
    return { type: base.type, data: applyDelta(base.data, data) };
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
    expand(prefix: string): string[] {
      const found = new Set<string>();
      for (const pack of packs) for (const oid of withPrefix(pack, prefix)) found.add(oid);
      return [...found];
    },
    close(): void {
      for (const pack of packs.splice(0)) closeSync(pack.fd);
      bases.clear();
    },
  };
}

/** Ids of one pack starting with `prefix`: the fan-out bucket of its first byte, scanned. */
function withPrefix(pack: Pack, prefix: string): string[] {
  const { idx, count } = pack;
  const first = Number.parseInt(prefix.slice(0, 2).padEnd(2, '0'), 16);
  const last = prefix.length >= 2 ? first : first + 15;
  const lo = first === 0 ? 0 : idx.readUInt32BE(8 + (first - 1) * 4);
  const hi = idx.readUInt32BE(8 + Math.min(255, last) * 4);
  const ids = 8 + 256 * 4;
  const out: string[] = [];
  for (let i = lo; i < hi && i < count; i++) {
    const oid = idx.toString('hex', ids + i * 20, ids + i * 20 + 20);
    if (oid.startsWith(prefix)) out.push(oid);
  }
  return out;
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
