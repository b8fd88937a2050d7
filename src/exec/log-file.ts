import type { WriteStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StreamMasker } from './mask.ts';

/** A step's log: appended as output arrives, secrets masked, closed when the step ends. */
export interface StepLog {
  /** slipway's own text (the command line, a failure's reason). */
  write(text: string): void;
  /** A command's raw output: decoded and masked per stream (see StreamMasker). */
  output(chunk: Buffer, stream: 'stdout' | 'stderr'): void;
  close(): Promise<void>;
  /** Set once writing failed (ENOSPC, EIO, EMFILE): later output is dropped, never thrown. */
  readonly error?: string;
}

/** `onText`, when given, sees the text as written to the file (masked), for live output. */
export async function openStepLog(path: string, secrets: readonly string[], onText?: (text: string) => void): Promise<StepLog> {
  let error: string | undefined;
  let handle: FileHandle;
  try {
    handle = await openLogFile(path);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    return { write: () => undefined, output: () => undefined, close: async () => undefined, get error() { return error; } };
  }
  const stream: WriteStream = handle.createWriteStream();
  // Without a listener, a write error of the stream is an uncaught exception that ends the
  // process (the daemon died 1 s after a trigger with 16 KiB left on the state disk).
  stream.on('error', (e) => {
    error ??= e.message;
  });
  const masker = new StreamMasker(secrets, (text) => {
    if (error === undefined && !stream.destroyed) stream.write(text);
    onText?.(text);
  });
  return {
    write: (text) => masker.message(text),
    output: (chunk, name) => masker.write(chunk, name),
    close: () =>
      new Promise<void>((resolve) => {
        masker.flush();
        if (stream.destroyed) return resolve();
        stream.once('error', () => resolve());
        stream.end(() => resolve());
      }),
    get error() {
      return error;
    },
  };
}

/**
 * Opens a log for appending; its folder is made only when the open finds it missing. A run's
 * steps share one folder: a mkdir before every open (a mkdir and a stat once the folder exists)
 * was 2 of the ~8 file system calls of each of a 100-host deploy's 400 steps.
 */
async function openLogFile(path: string): Promise<FileHandle> {
  try {
    // Logs may hold what masking cannot catch: readable by slipway's user only.
    return await open(path, 'a', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  return open(path, 'a', 0o600);
}
