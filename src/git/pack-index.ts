// Indexing a pack file from disk (what `git index-pack` does), so a fetch never holds the whole
// pack in memory. Pass 1 walks the pack once: each object is inflated to find where it ends, its
// CRC32 taken, and whole objects hashed. Pass 2 resolves deltas depth-first from their bases, so
// at any moment only one chain of objects is held (git's pack.depth caps chains at 50).
// Memory: the largest object about twice, plus ~50 bytes per object.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { crc32, inflateSync } from 'node:zlib';
import { GitError } from '../errors.ts';
import { applyDelta } from './pack-reader.ts';

const TYPE_NAMES = ['', 'commit', 'tree', 'blob', 'tag'] as const;
const OFS_DELTA = 6;
const REF_DELTA = 7;
const CHUNK = 4 * 1024 * 1024;

export interface PackIndex {
  /** The .idx file (version 2) for the pack. */
  idx: Buffer;
  /** The pack's own trailing sha1, in hex: its name is pack-<checksum>.pack. */
  checksum: string;
  count: number;
  /** Ids of every object in the pack, in hex (for checks such as "is the wanted commit here"). */
  has(oid: string): boolean;
}

/** Reads `path` (a complete pack: header, objects, sha1 trailer) and builds its index. */
export async function indexPack(path: string): Promise<PackIndex> {
  const file = await open(path, 'r');
  try {
    return await indexOpenPack(file, path);
  } finally {
    await file.close();
  }
}

async function indexOpenPack(file: FileHandle, path: string): Promise<PackIndex> {
  const size = (await file.stat()).size;
  const reader = new WindowReader(file, size);
  const corrupt = (what: string): GitError => new GitError(`pack ${path} is corrupt: ${what}`);
  if (size < 32) throw corrupt('too short');
  const head = await reader.read(0, 12);
  if (head.toString('latin1', 0, 4) !== 'PACK' || ![2, 3].includes(head.readUInt32BE(4))) throw corrupt('no pack header');
  const count = head.readUInt32BE(8);
  const end = size - 20;
  await checkTrailer(file, end, corrupt);
  const checksum = (await reader.read(end, 20)).toString('hex');

  const offsets = new Float64Array(count);
  const dataStarts = new Float64Array(count);
  const crcs = new Uint32Array(count);
  const types = new Uint8Array(count);
  const sizes = new Float64Array(count);
  /** Index of an ofs-delta's base; -1 for whole objects and ref-deltas. */
  const bases = new Int32Array(count).fill(-1);
  const oids = Buffer.alloc(count * 20);
  const resolved = new Uint8Array(count);
  /** Ref-deltas waiting for a base, by the base's id (rare: we ask for ofs-delta). */
  const waiting = new Map<string, number[]>();

  let pos = 12;
  for (let i = 0; i < count; i++) {
    if (i % 512 === 0) await new Promise((resolve) => setImmediate(resolve));
    if (pos >= end) throw corrupt(`${count} objects announced, ${i} found`);
    const header = await reader.read(pos, Math.min(32, end - pos));
    let at = 0;
    let c = header[at++]!;
    const type = (c >> 4) & 7;
    let objectSize = c & 15;
    let shift = 4;
    while (c & 0x80) {
      c = header[at++]!;
      objectSize += (c & 0x7f) * 2 ** shift;
      shift += 7;
    }
    if (type === OFS_DELTA) {
      c = header[at++]!;
      let back = c & 0x7f;
      while (c & 0x80) {
        c = header[at++]!;
        back = (back + 1) * 128 + (c & 0x7f);
      }
      const base = findOffset(offsets, i, pos - back);
      if (base < 0) throw corrupt(`delta at ${pos} points at no object`);
      bases[i] = base;
    } else if (type === REF_DELTA) {
      const baseOid = header.toString('hex', at, at + 20);
      at += 20;
      const list = waiting.get(baseOid);
      if (list) list.push(i);
      else waiting.set(baseOid, [i]);
    } else if (type < 1 || type > 4) {
      throw corrupt(`unknown object type ${type} at ${pos}`);
    }
    const dataStart = pos + at;
    // zlib never grows data by more than this (deflateBound), so the window holds the whole stream.
    const window = await reader.read(dataStart, Math.min(end - dataStart, objectSize + Math.ceil(objectSize / 1024) + 64));
    let data: Buffer;
    let used: number;
    try {
      const out = inflateSync(window, { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
      data = out.buffer;
      used = out.engine.bytesWritten;
    } catch (err) {
      throw corrupt(`object at ${pos} does not inflate (${(err as Error).message})`);
    }
    if (data.length !== objectSize) throw corrupt(`object at ${pos} has ${data.length} bytes, ${objectSize} announced`);
    offsets[i] = pos;
    dataStarts[i] = dataStart;
    types[i] = type;
    sizes[i] = objectSize;
    crcs[i] = crc32(window.subarray(0, used), crc32(header.subarray(0, at)));
    if (type <= 4) {
      hashInto(oids, i, TYPE_NAMES[type]!, data);
      resolved[i] = 1;
    }
    pos = dataStart + used;
  }
  if (pos !== end) throw corrupt(`${end - pos} bytes after the last object`);

  // Children of each object by ofs-delta, as one flat table (CSR): first[i]..first[i+1] in kids.
  const first = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) if (bases[i]! >= 0) first[bases[i]! + 1]!++;
  for (let i = 0; i < count; i++) first[i + 1]! += first[i]!;
  const kids = new Uint32Array(first[count]!);
  const fill = first.slice(0, count);
  for (let i = 0; i < count; i++) if (bases[i]! >= 0) kids[fill[bases[i]!]!++] = i;

  const inflateAt = async (i: number): Promise<Buffer> => {
    const window = await reader.read(dataStarts[i]!, Math.min(end - dataStarts[i]!, sizes[i]! + Math.ceil(sizes[i]! / 1024) + 64));
    return inflateSync(window);
  };
  const childrenOf = (i: number): number[] => {
    const list = Array.from(kids.subarray(first[i]!, first[i + 1]!));
    const byRef = waiting.get(oids.toString('hex', i * 20, i * 20 + 20));
    if (byRef) {
      waiting.delete(oids.toString('hex', i * 20, i * 20 + 20));
      list.push(...byRef);
    }
    return list;
  };

  let done = 0;
  for (let root = 0; root < count; root++) {
    if (types[root]! > 4) continue;
    let rootKids = childrenOf(root);
    if (rootKids.length === 0) continue;
    const stack: Array<{ type: number; data: Buffer; kids: number[] }> = [{ type: types[root]!, data: await inflateAt(root), kids: rootKids }];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const child = frame.kids.pop();
      if (child === undefined) {
        stack.pop();
        continue;
      }
      if (++done % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
      let data: Buffer;
      try {
        data = applyDelta(frame.data, await inflateAt(child));
      } catch (err) {
        throw corrupt(`delta at ${offsets[child]} does not apply (${(err as Error).message})`);
      }
      hashInto(oids, child, TYPE_NAMES[frame.type]!, data);
      resolved[child] = 1;
      // The parent's data is not needed once its last child is done: let it go before descending.
      if (frame.kids.length === 0) stack.pop();
      rootKids = childrenOf(child);
      if (rootKids.length > 0) stack.push({ type: frame.type, data, kids: rootKids });
    }
  }
  if (waiting.size > 0) throw corrupt(`deltas against ${waiting.size} object(s) the pack does not hold`);
  if (resolved.some((r) => r === 0)) throw corrupt('a delta chain has no base');

  return buildIndex({ count, oids, crcs, offsets, checksum });
}

function hashInto(oids: Buffer, i: number, type: string, data: Buffer): void {
  createHash('sha1').update(`${type} ${data.length}\0`).update(data).digest().copy(oids, i * 20);
}

/** Binary search among the objects read so far (offsets ascend with the index). */
function findOffset(offsets: Float64Array, upTo: number, offset: number): number {
  let lo = 0;
  let hi = upTo;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = offsets[mid]!;
    if (v === offset) return mid;
    if (v < offset) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

async function checkTrailer(file: FileHandle, end: number, corrupt: (what: string) => GitError): Promise<void> {
  const hash = createHash('sha1');
  // Sized to the pack, not always 4 MB: a poll's pack is often a few hundred bytes, and 4 MB blocks
  // from several polls at once crept into malloc's arena (1–2 MB of the daemon's RSS in the soak).
  const buf = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK, end)));
  for (let pos = 0; pos < end; ) {
    const { bytesRead } = await file.read(buf, 0, Math.min(CHUNK, end - pos), pos);
    if (bytesRead === 0) throw corrupt('truncated');
    hash.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  const trailer = Buffer.alloc(20);
  await file.read(trailer, 0, 20, end);
  if (!hash.digest().equals(trailer)) throw corrupt('its checksum does not match');
}

/** The version 2 .idx layout, as git writes it; duplicate ids keep their first copy. */
export function buildIndex(opts: { count: number; oids: Buffer; crcs: Uint32Array; offsets: Float64Array; checksum: string }): PackIndex {
  const { oids, crcs, offsets } = opts;
  const order = Array.from({ length: opts.count }, (_, i) => i).sort((a, b) => oids.compare(oids, b * 20, b * 20 + 20, a * 20, a * 20 + 20) || a - b);
  const unique = order.filter((i, k) => k === 0 || oids.compare(oids, i * 20, i * 20 + 20, order[k - 1]! * 20, order[k - 1]! * 20 + 20) !== 0);
  const n = unique.length;
  const large = unique.filter((i) => offsets[i]! >= 0x80000000).length;
  const idx = Buffer.alloc(8 + 256 * 4 + n * 28 + large * 8 + 40);
  idx.writeUInt32BE(0xff744f63, 0);
  idx.writeUInt32BE(2, 4);
  const ids = 8 + 256 * 4;
  const crcAt = ids + n * 20;
  const offAt = crcAt + n * 4;
  let largeAt = offAt + n * 4;
  let largeCount = 0;
  const fanout = new Uint32Array(256);
  unique.forEach((i, k) => {
    fanout[oids[i * 20]!]!++;
    oids.copy(idx, ids + k * 20, i * 20, i * 20 + 20);
    idx.writeUInt32BE(crcs[i]!, crcAt + k * 4);
    const offset = offsets[i]!;
    if (offset < 0x80000000) {
      idx.writeUInt32BE(offset, offAt + k * 4);
    } else {
      idx.writeUInt32BE((0x80000000 | largeCount++) >>> 0, offAt + k * 4);
      idx.writeBigUInt64BE(BigInt(offset), largeAt);
      largeAt += 8;
    }
  });
  let total = 0;
  for (let b = 0; b < 256; b++) {
    total += fanout[b]!;
    idx.writeUInt32BE(total, 8 + b * 4);
  }
  Buffer.from(opts.checksum, 'hex').copy(idx, largeAt);
  createHash('sha1').update(idx.subarray(0, largeAt + 20)).digest().copy(idx, largeAt + 20);
  const known = new Set<string>();
  return {
    idx,
    checksum: opts.checksum,
    count: n,
    has(oid: string): boolean {
      if (known.size === 0) for (let k = 0; k < n; k++) known.add(idx.toString('hex', ids + k * 20, ids + k * 20 + 20));
      return known.has(oid);
    },
  };
}

/** Positional reads through a 4 MB window; a read larger than that gets its own buffer. */
class WindowReader {
  private buf = Buffer.alloc(0);
  private start = 0;
  constructor(
    private readonly file: FileHandle,
    private readonly size: number,
  ) {}

  async read(pos: number, len: number): Promise<Buffer> {
    if (pos >= this.start && pos + len <= this.start + this.buf.length) {
      return this.buf.subarray(pos - this.start, pos - this.start + len);
    }
    const want = Math.min(Math.max(len, CHUNK), this.size - pos);
    // Always a fresh buffer: callers still hold views of the previous window.
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.file.read(buf, got, want - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (want > CHUNK) return buf.subarray(0, got);
    this.start = pos;
    this.buf = buf.subarray(0, got);
    return this.buf.subarray(0, Math.min(len, got));
  }
}
