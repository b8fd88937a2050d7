import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
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

/**
 * `onText`, when given, sees the text as written to the file (masked), for live output.
 *
 * The file is opened, written and closed with synchronous calls: a log's writes are small and go
 * to the page cache, and a WriteStream (open, each write and the close through the thread pool,
 * plus the stream's own machinery) cost 0.37 ms of CPU per step log against 0.06-0.17 ms this
 * way (600 logs of three writes, 10 at a time; a deploy to 100 host entries writes 400 logs).
 * The price: a state folder on a disk that stops answering stalls the process, not only its logs.
 */
export async function openStepLog(path: string, secrets: readonly string[], onText?: (text: string) => void): Promise<StepLog> {
  let error: string | undefined;
  let fd: number | undefined;
  const fail = (e: unknown): void => {
    error ??= e instanceof Error ? e.message : String(e);
  };
  try {
    fd = openLogFile(path);
  } catch (e) {
    fail(e);
  }
  const masker = new StreamMasker(secrets, (text) => {
    if (error === undefined && fd !== undefined) {
      try {
        writeAll(fd, Buffer.from(text));
      } catch (e) {
        fail(e);
      }
    }
    onText?.(text);
  });
  return {
    write: (text) => masker.message(text),
    output: (chunk, name) => masker.write(chunk, name),
    close: async () => {
      masker.flush();
      if (fd === undefined) return;
      const open = fd;
      fd = undefined;
      try {
        closeSync(open);
      } catch (e) {
        fail(e);
      }
    },
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
function openLogFile(path: string): number {
  try {
    // Logs may hold what masking cannot catch: readable by slipway's user only.
    return openSync(path, 'a', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return openSync(path, 'a', 0o600);
}

/** write(2) may write less than asked (a nearly full disk): the rest follows, or its error. */
function writeAll(fd: number, data: Buffer): void {
  for (let done = 0; done < data.length; ) done += writeSync(fd, data, done);
}
