// Putting a rendered report in place. All files go to a fresh folder beside www, then two renames
// swap it in, so a reader (the HTTP server, a browser on file://) never sees half a report.

import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StateError } from '../errors.ts';
import { fsyncDir, withFileQueue } from '../state/atomic.ts';

function checkKey(key: string): void {
  const segments = key.split('/');
  if (key.startsWith('/') || key.includes('\\') || key.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new StateError(`report file name ${JSON.stringify(key)} is not a plain relative path`);
  }
}

function isCode(err: unknown, ...codes: string[]): boolean {
  return codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

export async function writeReport(wwwDir: string, files: Map<string, string>): Promise<void> {
  for (const key of files.keys()) checkKey(key);
  // One swap at a time per folder in this process; the state lock keeps other processes out.
  return withFileQueue(wwwDir, () => swapIn(wwwDir, files));
}

async function swapIn(wwwDir: string, files: Map<string, string>): Promise<void> {
  const parent = dirname(wwwDir);
  // Names end in -<uuid>.tmp so a crash's leftovers are removed by sweepTempFiles at start.
  const fresh = `${wwwDir}.new-${randomUUID()}.tmp`;
  await mkdir(parent, { recursive: true });
  await mkdir(fresh);
  const olds: string[] = [];
  try {
    // Pages are not fsynced one by one: the report is rebuilt from the state after any crash.
    for (const [key, content] of files) {
      const file = join(fresh, key);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content, { flag: 'wx' });
    }
    for (let attempt = 0; ; attempt++) {
      const old = `${wwwDir}.old-${randomUUID()}.tmp`;
      try {
        await rename(wwwDir, old);
        olds.push(old);
      } catch (err) {
        if (!isCode(err, 'ENOENT')) throw err;
      }
      try {
        await rename(fresh, wwwDir);
        break;
      } catch (err) {
        // Another writer put a www back between our two renames: move it aside too.
        if (!isCode(err, 'ENOTEMPTY', 'EEXIST') || attempt >= 4) throw err;
      }
    }
    await fsyncDir(parent);
  } catch (err) {
    await rm(fresh, { recursive: true, force: true });
    // Better the previous report than none.
    const last = olds.pop();
    if (last !== undefined) await rename(last, wwwDir).catch(() => olds.push(last));
    throw new StateError(`cannot write the report to ${wwwDir}: ${(err as Error).message}`, { cause: err });
  } finally {
    for (const old of olds) await rm(old, { recursive: true, force: true });
  }
}
