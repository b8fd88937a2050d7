import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StreamMasker } from './mask.ts';

/** A step's log: appended as output arrives, secrets masked, closed when the step ends. */
export interface StepLog {
  /** slipway's own text (the command line, a failure's reason). */
  write(text: string): void;
  /** A command's raw output: decoded and masked per stream (see StreamMasker). */
  output(chunk: Buffer, stream: 'stdout' | 'stderr'): void;
  close(): Promise<void>;
}

/** `onText`, when given, sees the text as written to the file (masked), for live output. */
export async function openStepLog(path: string, secrets: readonly string[], onText?: (text: string) => void): Promise<StepLog> {
  // Logs may hold what masking cannot catch: readable by slipway's user only.
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const stream: WriteStream = createWriteStream(path, { flags: 'a', mode: 0o600 });
  const masker = new StreamMasker(secrets, (text) => {
    stream.write(text);
    onText?.(text);
  });
  return {
    write: (text) => masker.message(text),
    output: (chunk, name) => masker.write(chunk, name),
    close: () =>
      new Promise<void>((resolve, reject) => {
        masker.flush();
        stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
      }),
  };
}
