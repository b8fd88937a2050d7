import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MaskingLineBuffer } from './mask.ts';

/** A step's log: appended as output arrives, secrets masked, closed when the step ends. */
export interface StepLog {
  write(text: string): void;
  close(): Promise<void>;
}

/** `onText`, when given, sees the text as written to the file (masked), for live output. */
export async function openStepLog(path: string, secrets: readonly string[], onText?: (text: string) => void): Promise<StepLog> {
  await mkdir(dirname(path), { recursive: true });
  const stream: WriteStream = createWriteStream(path, { flags: 'a' });
  const buffer = new MaskingLineBuffer(secrets, (text) => {
    stream.write(text);
    onText?.(text);
  });
  return {
    write: (text) => buffer.write(text),
    close: () =>
      new Promise<void>((resolve, reject) => {
        buffer.flush();
        stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
      }),
  };
}
