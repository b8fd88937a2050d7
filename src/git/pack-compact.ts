// Mirror compaction: every fetch adds one pack, and after months of polling a mirror holds
// thousands (each object read then searches every index). Compaction joins them into one.
//
// The packs are concatenated as they are, object bytes untouched: an ofs-delta names its base by
// the distance back, and copying each pack's objects contiguously keeps every distance; the CRCs
// in the old indexes stay right too. So nothing is inflated or re-hashed, memory stays ~50 bytes
// per object, and the cost is one sequential copy of the mirror.
import { createHash, randomUUID } from 'node:crypto';
import { open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GitError } from '../errors.ts';
import { removeWhenUnread } from './mirror-lease.ts';
import { buildIndex } from './pack-index.ts';
import { fsyncPath } from '../state/atomic.ts';

/** Compact once a mirror holds this many packs (a pack per new commit fetched). */
export const COMPACT_AT_PACKS = 16;
const COPY_CHUNK = 4 * 1024 * 1024;

/** The packs of a mirror, oldest first (by modification time), by their base name. */
export async function listPacks(gitdir: string): Promise<string[]> {
  const dir = join(gitdir, 'objects', 'pack');
  const names = await readdir(dir).catch(() => [] as string[]);
  const bases = names.filter((n) => /^pack-[0-9a-f]{40}\.idx$/.test(n) && names.includes(n.replace(/\.idx$/, '.pack'))).map((n) => n.slice(0, -4));
  const times = await Promise.all(bases.map(async (b) => (await stat(join(dir, `${b}.pack`))).mtimeMs));
  return bases.map((b, i) => ({ b, t: times[i]! })).sort((x, y) => x.t - y.t || (x.b < y.b ? -1 : 1)).map((x) => x.b);
}

/**
 * Joins the mirror's packs into one when it holds at least `minPacks`. Safe beside readers: the
 * new pack is complete before it appears, and the old ones are removed only when no checkout
 * reads the mirror (mirror-lease.ts). Must not run beside a fetch of the same mirror (the daemon
 * runs it from the pipeline's own poll, which never overlaps another poll of that pipeline).
 */
export async function compactMirror(opts: { gitdir: string; minPacks?: number }): Promise<{ packs: number; objects: number } | null> {
  const { gitdir } = opts;
  const dir = join(gitdir, 'objects', 'pack');
  await sweepLeftovers(dir);
  const sources = await listPacks(gitdir);
  if (sources.length < Math.max(2, opts.minPacks ?? COMPACT_AT_PACKS)) return null;

  const entries = await Promise.all(sources.map((s) => readIdx(join(dir, `${s}.idx`))));
  const total = entries.reduce((n, e) => n + e.count, 0);
  const tmp = join(dir, `tmp-${randomUUID()}`);
  const out = await open(`${tmp}.pack`, 'wx');
  const oids = Buffer.alloc(total * 20);
  const crcs = new Uint32Array(total);
  const offsets = new Float64Array(total);
  let checksum: string;
  try {
    const hash = createHash('sha1');
    const write = async (buf: Buffer): Promise<void> => {
      hash.update(buf);
      await out.write(buf);
    };
    const header = Buffer.alloc(12);
    header.write('PACK', 0, 'latin1');
    header.writeUInt32BE(2, 4);
    header.writeUInt32BE(total, 8);
    await write(header);
    let pos = 12;
    let k = 0;
    for (let p = 0; p < sources.length; p++) {
      const index = entries[p]!;
      const shift = pos - 12;
      for (let i = 0; i < index.count; i++, k++) {
        index.oids.copy(oids, k * 20, i * 20, i * 20 + 20);
        crcs[k] = index.crcs[i]!;
        offsets[k] = index.offsets[i]! + shift;
      }
      pos += await copyObjects(join(dir, `${sources[p]}.pack`), index.count, write);
    }
    checksum = hash.digest('hex');
    await out.write(Buffer.from(checksum, 'hex'));
    await out.sync();
  } finally {
    await out.close();
  }
  try {
    const index = buildIndex({ count: total, oids, crcs, offsets, checksum });
    const name = `pack-${checksum}`;
    await writeSynced(`${tmp}.idx`, index.idx);
    await rename(`${tmp}.pack`, join(dir, `${name}.pack`));
    await rename(`${tmp}.idx`, join(dir, `${name}.idx`));
    await fsyncPath(dir);
    const old = sources.filter((s) => s !== name);
    // Index first: a reader that lists packs afterwards never finds a pack without its index.
    await removeWhenUnread(gitdir, async () => {
      for (const s of old) await rm(join(dir, `${s}.idx`), { force: true });
      for (const s of old) await rm(join(dir, `${s}.pack`), { force: true });
    });
    return { packs: sources.length, objects: index.count };
  } finally {
    await rm(`${tmp}.pack`, { force: true });
    await rm(`${tmp}.idx`, { force: true });
  }
}

/** Copies a pack's object bytes (between its 12-byte header and 20-byte trailer); returns their length. */
async function copyObjects(path: string, count: number, write: (buf: Buffer) => Promise<void>): Promise<number> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const head = Buffer.alloc(12);
    await file.read(head, 0, 12, 0);
    if (head.toString('latin1', 0, 4) !== 'PACK' || head.readUInt32BE(8) !== count) {
      throw new GitError(`cannot compact ${path}: its header does not match its index`);
    }
    const end = size - 20;
    for (let pos = 12; pos < end; ) {
      const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, end - pos));
      const { bytesRead } = await file.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) throw new GitError(`cannot compact ${path}: it is shorter than it says`);
      await write(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    return end - 12;
  } finally {
    await file.close();
  }
}

interface IdxEntries {
  count: number;
  oids: Buffer;
  crcs: Uint32Array;
  offsets: Float64Array;
}

/** The entries of a version 2 .idx file. */
async function readIdx(path: string): Promise<IdxEntries> {
  const idx = await readFile(path);
  if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) throw new GitError(`cannot compact: ${path} is not a version 2 pack index`);
  const count = idx.readUInt32BE(8 + 255 * 4);
  const ids = 8 + 256 * 4;
  const crcAt = ids + count * 20;
  const offAt = crcAt + count * 4;
  const largeAt = offAt + count * 4;
  const crcs = new Uint32Array(count);
  const offsets = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    crcs[i] = idx.readUInt32BE(crcAt + i * 4);
    const small = idx.readUInt32BE(offAt + i * 4);
    offsets[i] = small & 0x80000000 ? Number(idx.readBigUInt64BE(largeAt + (small & 0x7fffffff) * 8)) : small;
  }
  return { count, oids: Buffer.from(idx.subarray(ids, ids + count * 20)), crcs, offsets };
}

/** Temporary files of a fetch or compaction that died half-way, and packs that lost their index. */
async function sweepLeftovers(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    const orphanPack = n.endsWith('.pack') && !names.includes(n.replace(/\.pack$/, '.idx'));
    if (n.startsWith('tmp-') || orphanPack) await rm(join(dir, n), { force: true });
  }
}

async function writeSynced(path: string, data: Buffer): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

