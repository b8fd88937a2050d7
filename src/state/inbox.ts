// STATE/inbox/: how `slipway trigger` and `slipway approve` reach a running daemon, which holds the
// state lock. One small JSON file per request, written atomically under a name that sorts by time;
// the daemon takes each file (reads, validates, deletes) and acts on it. A file that fails
// validation is moved aside as NAME.rejected so it is neither lost nor retried forever.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from './atomic.ts';
import { statePaths } from './paths.ts';
import { parseStateFile } from './schemas.ts';
import { STATE_VERSION } from './types.ts';

export interface InboxRequest {
  version: number;
  kind: 'trigger' | 'approve';
  pipeline: string;
  /** trigger: the commit (full or abbreviated); default the branch head. */
  commit?: string;
  /** approve: the run waiting at a gate. */
  run?: number;
  by: string;
  createdAt: string;
}

export async function writeInboxRequest(stateDir: string, request: Omit<InboxRequest, 'version' | 'createdAt'>, now = new Date()): Promise<string> {
  const dir = statePaths(stateDir).inbox;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const value: InboxRequest = { version: STATE_VERSION, ...request, createdAt: now.toISOString() };
  const file = join(dir, `${now.getTime()}-${randomUUID()}.json`);
  await writeJsonAtomic(file, value);
  return file;
}

export type InboxEntry = { file: string; request: InboxRequest; problem?: undefined } | { file: string; request?: undefined; problem: string };

/** Takes every request now in the inbox, oldest first; each file is gone (or set aside) once returned. */
export async function takeInboxRequests(stateDir: string): Promise<InboxEntry[]> {
  const dir = statePaths(stateDir).inbox;
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^[0-9]+-[0-9a-f-]{36}\.json$/.test(n)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: InboxEntry[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    try {
      out.push({ file, request: parseStateFile<InboxRequest>('inbox', `inbox/${name}`, text) });
      await unlink(file).catch(() => undefined);
    } catch (e) {
      out.push({ file, problem: e instanceof Error ? e.message : String(e) });
      await rename(file, `${file}.rejected`).catch(() => undefined);
    }
  }
  return out;
}
