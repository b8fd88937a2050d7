// The artifact: chosen paths of a built workspace packed once per run into a tar.gz that every host
// of every environment gets byte for byte. Written here, in Node, rather than by GNU tar: the bytes
// must not depend on the tar version, umask, owners or mtimes of the machine (same tree → same
// sha256), and nothing in the workspace is ever followed — a commit can plant `dist -> /etc` or
// `dist/keys -> ~/.ssh`, and packing must store such a link as a link, never what it points to.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { createGzip, constants as zlib } from 'node:zlib';
import { StateError } from '../errors.ts';
import { fsyncPath } from '../state/atomic.ts';

export interface ArtifactInfo {
  sha256: string;
  bytes: number;
  /** Regular files and links packed (folders not counted). */
  files: number;
}

type Entry =
  | { kind: 'dir'; name: string }
  | { kind: 'file'; name: string; abs: string; size: number; exec: boolean }
  | { kind: 'link'; name: string; target: string };

/** Pack `paths` (relative to `workspace`, already checked to hold no ".." by the config schema) into `out`. */
export async function packArtifact(workspace: string, paths: readonly string[], out: string): Promise<ArtifactInfo> {
  const entries = await collectEntries(workspace, paths);
  await mkdir(dirname(out), { recursive: true, mode: 0o700 });
  const partial = `${out}.partial-${process.pid}`;
  const hash = createHash('sha256');
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    // Node's gzip header carries no name and mtime 0: the same tar gives the same gzip bytes.
    await pipeline(Readable.from(tarStream(entries)), createGzip({ level: zlib.Z_BEST_SPEED }), count, createWriteStream(partial, { mode: 0o600 }));
    await fsyncPath(partial);
    await rename(partial, out);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
  return { sha256: hash.digest('hex'), bytes, files: entries.filter((e) => e.kind !== 'dir').length };
}

/** Every entry under the paths, sorted by name; a path reached through a symlink is refused. */
export async function collectEntries(workspace: string, paths: readonly string[]): Promise<Entry[]> {
  const byName = new Map<string, Entry>();
  for (const raw of paths) {
    const path = raw.replace(/\/+$/, '').replace(/^(\.\/)+/, '');
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    // Parent folders are packed as folders, and must be folders: `a/b` with `a -> /` would pack /b.
    for (let i = 1; i < parts.length; i++) {
      const name = parts.slice(0, i).join('/');
      const st = await lstatOrUndefined(join(workspace, name));
      if (!st) throw new StateError(`artifact path ${raw}: ${name} does not exist in the workspace; did build produce it?`);
      if (!st.isDirectory()) throw new StateError(`artifact path ${raw}: ${name} is ${st.isSymbolicLink() ? 'a symlink' : 'not a folder'}; slipway packs only what is inside the workspace`);
      byName.set(name, { kind: 'dir', name });
    }
    const name = parts.join('/');
    if (!(await lstatOrUndefined(join(workspace, name)))) throw new StateError(`artifact path ${raw} does not exist in the workspace; did build produce it?`);
    await walk(workspace, name, byName);
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function walk(workspace: string, name: string, into: Map<string, Entry>): Promise<void> {
  const abs = join(workspace, name);
  const st = await lstat(abs);
  if (st.isSymbolicLink()) into.set(name, { kind: 'link', name, target: await readlink(abs) });
  else if (st.isFile()) into.set(name, { kind: 'file', name, abs, size: st.size, exec: (st.mode & 0o111) !== 0 });
  else if (st.isDirectory()) {
    into.set(name, { kind: 'dir', name });
    for (const child of await readdir(abs)) await walk(workspace, `${name}/${child}`, into);
  }
  // Sockets, fifos and devices are not release files: left out.
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch {
    return undefined;
  }
}

const BLOCK = 512;

/** A ustar stream; names or link targets too long for ustar get a PAX header first. */
async function* tarStream(entries: Entry[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    const name = e.kind === 'dir' ? `${e.name}/` : e.name;
    const link = e.kind === 'link' ? e.target : '';
    if (Buffer.byteLength(name) > 100 || Buffer.byteLength(link) > 100) {
      const records = Buffer.concat([paxRecord('path', name), ...(link ? [paxRecord('linkpath', link)] : [])]);
      yield header({ name: 'PaxHeader', type: 'x', size: records.length, mode: 0o644 });
      yield padded(records);
    }
    if (e.kind === 'dir') yield header({ name, type: '5', size: 0, mode: 0o755 });
    else if (e.kind === 'link') yield header({ name, type: '2', size: 0, mode: 0o777, link });
    else {
      yield header({ name, type: '0', size: e.size, mode: e.exec ? 0o755 : 0o644 });
      const fh = await open(e.abs, 'r');
      try {
        let left = e.size;
        const buf = Buffer.alloc(1 << 20);
        while (left > 0) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, left), null);
          if (bytesRead === 0) throw new StateError(`artifact file ${e.name} shrank while it was packed`);
          left -= bytesRead;
          yield Buffer.from(buf.subarray(0, bytesRead));
        }
      } finally {
        await fh.close();
      }
      const rest = e.size % BLOCK;
      if (rest) yield Buffer.alloc(BLOCK - rest);
    }
  }
  yield Buffer.alloc(BLOCK * 2);
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`);
}

function padded(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest ? Buffer.concat([data, Buffer.alloc(BLOCK - rest)]) : data;
}

/** Owner 0:0, mtime 0: nothing of the packing machine ends up in the bytes. */
function header(h: { name: string; type: string; size: number; mode: number; link?: string }): Buffer {
  const b = Buffer.alloc(BLOCK);
  const put = (text: string, at: number, len: number) => b.write(text, at, Math.min(len, Buffer.byteLength(text)), 'utf8');
  const octal = (n: number, at: number, len: number) => put(`${n.toString(8).padStart(len - 1, '0')}\0`, at, len);
  put(h.name, 0, 100);
  octal(h.mode, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(h.size, 124, 12);
  octal(0, 136, 12);
  b.fill(0x20, 148, 156);
  put(h.type, 156, 1);
  if (h.link) put(h.link, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const byte of b) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return b;
}
