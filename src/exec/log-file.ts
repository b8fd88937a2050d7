import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MaskingLineBuffer } from './mask.ts';

/** A step's log: appended as output arrives, secrets masked, closed when the step ends. */
export interface StepLog {
  write(text: string): void;
  close(): Promise<void>;
  /** Set once writing failed (ENOSPC, EIO, EMFILE): later output is dropped, never thrown. */
  readonly error?: string;
}

export async function openStepLog(path: string, secrets: readonly string[]): Promise<StepLog> {
  let error: string | undefined;
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    return { write: () => undefined, close: async () => undefined, get error() { return error; } };
  }
  const stream: WriteStream = createWriteStream(path, { flags: 'a' });
  // Without a listener, a write error of the stream is an uncaught exception that ends the
  // process (the daemon died 1 s after a trigger with 16 KiB left on the state disk).
  stream.on('error', (e) => {
    error ??= e.message;
  });
  const buffer = new MaskingLineBuffer(secrets, (text) => {
    if (error === undefined && !stream.destroyed) stream.write(text);
  });
  return {
    write: (text) => buffer.write(text),
    close: () =>
      new Promise<void>((resolve) => {
        buffer.flush();
        if (stream.destroyed) return resolve();
        stream.once('error', () => resolve());
        stream.end(() => resolve());
      }),
    get error() {
      return error;
    },
  };
}
