// Reading a step log from a byte offset onwards: what `slipway logs -f` and the daemon's live log
// route need. The log may be growing while it is read (a running step); a read returns what was
// there when it looked, and the caller asks again from the new offset.

import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

/** At most this much per read: a follower catching up on a huge log does so in steps. */
export const MAX_CHUNK_BYTES = 1024 * 1024;

/** Bytes of `file` from `offset` (up to `max`), and the file's size then; an absent file is empty. */
export async function readLogFrom(file: string, offset: number, max = MAX_CHUNK_BYTES): Promise<{ bytes: Buffer; size: number }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { bytes: Buffer.alloc(0), size: 0 };
    throw e;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.max(0, Math.min(size - offset, max));
    const bytes = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(bytes, read, length - read, offset + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return { bytes: bytes.subarray(0, read), size };
  } finally {
    await handle.close();
  }
}

/** Follows one log: each call returns the text added since the last one (UTF-8 kept whole across reads). */
export class LogFollower {
  private offset = 0;
  private readonly decoder = new StringDecoder('utf8');
  constructor(readonly file: string) {}

  async next(): Promise<string> {
    let text = '';
    for (;;) {
      const { bytes, size } = await readLogFrom(this.file, this.offset);
      this.offset += bytes.length;
      text += this.decoder.write(bytes);
      if (bytes.length === 0 || this.offset >= size) return text;
    }
  }

  /** The bytes read so far. */
  get position(): number {
    return this.offset;
  }
}
