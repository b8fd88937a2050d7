// STATE/inbox/: how `trigger`, `approve`, `deploy`, `rollback`, `cancel` and `report` reach a
// running daemon, which holds the state lock. One small JSON file per request, written atomically
// under a name that sorts by time. The daemon reads and validates each one and acts on it; the
// file stays until the request has been carried out (or has expired: `inboxTtl`), so a request
// survives a stop or a crash of the daemon. A file that fails validation is moved aside as
// NAME.rejected so it is neither lost nor retried forever. The daemon answers each request in
// STATE/inbox/answers/ID.json (queued, started run N, refused, done), which the command follows.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from './atomic.ts';
import { statePaths } from './paths.ts';
import { parseStateFile } from './schemas.ts';
import { STATE_VERSION } from './types.ts';

export type InboxKind = 'trigger' | 'approve' | 'deploy' | 'rollback' | 'cancel' | 'report';

export interface InboxRequest {
  version: number;
  /** The answer's file name: STATE/inbox/answers/ID.json. */
  id?: string;
  kind: InboxKind;
  pipeline: string;
  /** deploy, rollback: the environment. */
  environment?: string;
  /** trigger: the commit (full or abbreviated); default the branch head. */
  commit?: string;
  /** approve: the run waiting at a gate. */
  run?: number;
  by: string;
  createdAt: string;
}

export async function writeInboxRequest(stateDir: string, request: Omit<InboxRequest, 'version' | 'createdAt' | 'id'>, now = new Date()): Promise<{ file: string; id: string }> {
  const dir = statePaths(stateDir).inbox;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const id = randomUUID();
  const value: InboxRequest = { version: STATE_VERSION, id, ...request, createdAt: now.toISOString() };
  const file = join(dir, `${now.getTime()}-${id}.json`);
  await writeJsonAtomic(file, value);
  return { file, id };
}

export type InboxEntry = { file: string; request: InboxRequest; problem?: undefined } | { file: string; request?: undefined; problem: string };

/** Every request now in the inbox, oldest first; files stay until removeInboxRequest (bad ones are set aside). */
export async function listInboxRequests(stateDir: string): Promise<InboxEntry[]> {
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
    } catch (e) {
      out.push({ file, problem: e instanceof Error ? e.message : String(e) });
      await rename(file, `${file}.rejected`).catch(() => undefined);
    }
  }
  return out;
}

export async function removeInboxRequest(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}

export interface InboxAnswer {
  version: number;
  id: string;
  /** queued: taken, waiting its turn; started: run N carries it out; refused: not done (message); done: finished. */
  state: 'queued' | 'started' | 'refused' | 'done';
  message?: string;
  pipeline?: string;
  run?: number;
  /** done/refused: the exit code the command ends with. */
  exitCode?: number;
  time: string;
}

const answerFile = (stateDir: string, id: string): string => join(statePaths(stateDir).inbox, 'answers', `${id.replace(/[^0-9a-f-]/g, '')}.json`);

export async function writeInboxAnswer(stateDir: string, answer: Omit<InboxAnswer, 'version' | 'time'>, now = new Date()): Promise<void> {
  await writeJsonAtomic(answerFile(stateDir, answer.id), { version: STATE_VERSION, ...answer, time: now.toISOString() });
}

export async function readInboxAnswer(stateDir: string, id: string): Promise<InboxAnswer | undefined> {
  const text = await readFile(answerFile(stateDir, id), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return parseStateFile<InboxAnswer>('answer', `inbox/answers/${id}.json`, text);
  } catch {
    return undefined; // being replaced: read again
  }
}

export async function removeInboxAnswer(stateDir: string, id: string): Promise<void> {
  await unlink(answerFile(stateDir, id)).catch(() => undefined);
}

/** Answers nobody came back for (a command killed while it waited), older than `maxAgeMs`. */
export async function sweepInboxAnswers(stateDir: string, maxAgeMs: number, now = Date.now()): Promise<number> {
  const dir = join(statePaths(stateDir).inbox, 'answers');
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info && now - info.mtimeMs > maxAgeMs) {
      await unlink(join(dir, name)).catch(() => undefined);
      removed++;
    }
  }
  return removed;
}
