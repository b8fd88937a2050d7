// Reading a step's log for display. Logs can be large (a chatty npm install), so callers ask for
// the tail: the end of a log is where a failure explains itself.

import { open } from 'node:fs/promises';
import { statePaths } from './paths.ts';

export interface StepLogText {
  text: string;
  truncated: boolean;
  /** The whole log's size in bytes. */
  size: number;
}

export async function readStepLog(
  stateDir: string,
  name: string,
  n: number,
  stepId: string,
  opts: { tailBytes?: number } = {},
): Promise<StepLogText | undefined> {
  const file = statePaths(stateDir).stepLog(name, n, stepId);
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const limit = opts.tailBytes;
    const truncated = limit !== undefined && size > limit;
    const length = truncated ? limit : size;
    const buffer = Buffer.alloc(length);
    let read = 0;
    // The log may still be growing while we read (a running step): read what was there at stat.
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, size - length + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    let start = 0;
    // Cutting at a byte offset can split a UTF-8 character: skip its continuation bytes.
    if (truncated) while (start < read && start < 4 && ((buffer[start] ?? 0) & 0xc0) === 0x80) start++;
    return { text: buffer.subarray(start, read).toString('utf8'), truncated, size };
  } finally {
    await handle.close();
  }
}
