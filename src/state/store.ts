// Reading and writing the state folder's JSON files. Every write is atomic (atomic.ts), every read
// and every write is validated (schemas.ts). A run record is never rewritten once it has ended:
// it is the history the report and `status` show, like Laminar's run/NAME/N/.

import { readFile, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StateError } from '../errors.ts';
import { sweepTempFiles, writeJsonAtomic } from './atomic.ts';
import { displayPath, statePaths } from './paths.ts';
import { tightenStateModes } from './modes.ts';
import { checkStateValue, parseStateFile, type StateKind } from './schemas.ts';
import { ENDED_STATUSES, STATE_VERSION, type HostState, type PipelineState, type RunRecord } from './types.ts';

export { statePaths, type StatePaths } from './paths.ts';
export { readStepLog, type StepLogText } from './step-log.ts';

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateError(`${displayPath(file)}: cannot read (${(err as Error).message})`, { cause: err });
  }
}

async function readState<T>(kind: StateKind, file: string): Promise<T | undefined> {
  const text = await readText(file);
  return text === undefined ? undefined : parseStateFile<T>(kind, displayPath(file), text);
}

function checkField(file: string, field: string, actual: unknown, expected: unknown): void {
  if (actual !== expected) {
    throw new StateError(`${displayPath(file)}: /${field} is ${JSON.stringify(actual)} but the file is for ${JSON.stringify(expected)}`);
  }
}

/** Sorted names of the *.json files in a folder, without the extension; none when it is absent. */
async function listJsonNames(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export async function readPipelineState(stateDir: string, name: string): Promise<PipelineState> {
  const file = statePaths(stateDir).pipelineFile(name);
  const state = await readState<PipelineState>('pipeline', file);
  if (state === undefined) return { version: STATE_VERSION, pipeline: name, nextRunNumber: 1, environments: {} };
  checkField(file, 'pipeline', state.pipeline, name);
  return state;
}

export async function writePipelineState(stateDir: string, state: PipelineState): Promise<void> {
  const file = statePaths(stateDir).pipelineFile(state.pipeline);
  checkStateValue('pipeline', `refusing to write ${displayPath(file)}`, state);
  await writeJsonAtomic(file, state);
}

export async function readRun(stateDir: string, name: string, n: number): Promise<RunRecord> {
  const file = statePaths(stateDir).runFile(name, n);
  const run = await readState<RunRecord>('run', file);
  if (run === undefined) throw new StateError(`${displayPath(file)}: no run ${n} of pipeline ${name}`);
  checkField(file, 'pipeline', run.pipeline, name);
  checkField(file, 'number', run.number, n);
  return run;
}

/**
 * Run files this process wrote and left running, as found on disk right after the write: while
 * the file is still that one (same inode, size and mtime; a rename by anyone else makes a new
 * inode), its status is known without reading and parsing it again at every step (issue 13).
 * Only running runs are kept, so a daemon does not collect an entry per run it ever wrote.
 */
const writtenRunning = new Map<string, { ino: number; size: number; mtimeMs: number }>();

async function sameAsWritten(file: string): Promise<boolean> {
  const known = writtenRunning.get(file);
  if (!known) return false;
  const now = await stat(file).catch(() => undefined);
  return now !== undefined && now.ino === known.ino && now.size === known.size && now.mtimeMs === known.mtimeMs;
}

export async function writeRun(stateDir: string, run: RunRecord, opts: { durable?: boolean } = {}): Promise<void> {
  const file = statePaths(stateDir).runFile(run.pipeline, run.number);
  checkStateValue('run', `refusing to write ${displayPath(file)}`, run);
  const ended = ENDED_STATUSES.includes(run.status);
  await writeJsonAtomic(file, run, {
    ...(opts.durable === false ? { durable: false } : {}),
    // Checked inside the file's write queue, so two writers racing cannot both pass the check.
    before: async () => {
      if (await sameAsWritten(file)) return;
      writtenRunning.delete(file);
      const text = await readText(file);
      if (text === undefined) return;
      let status: unknown;
      try {
        status = (JSON.parse(text) as { status?: unknown }).status;
      } catch {
        return; // a torn or hand-broken file: the new record replaces it
      }
      if (ENDED_STATUSES.includes(status as RunRecord['status'])) {
        throw new StateError(`${displayPath(file)}: run ${run.pipeline} #${run.number} has ended (${String(status)}) and is never rewritten`);
      }
    },
    after: async () => {
      const now = ended ? undefined : await stat(file).catch(() => undefined);
      if (now) writtenRunning.set(file, { ino: now.ino, size: now.size, mtimeMs: now.mtimeMs });
      else writtenRunning.delete(file);
    },
  });
}

export async function listRunNumbers(stateDir: string, name: string): Promise<number[]> {
  const names = await listJsonNames(statePaths(stateDir).runsDir(name));
  return names
    .filter((n) => /^[1-9][0-9]*$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * Newest first; `last` keeps only the newest N. A run file that cannot be read or fails
 * validation is skipped here (one torn or hand-broken file must not stop the daemon or the
 * report); `setAsideUnreadableRuns` moves such files out of the way at start, and says so.
 */
export async function readRuns(stateDir: string, name: string, opts: { last?: number } = {}): Promise<RunRecord[]> {
  const numbers = (await listRunNumbers(stateDir, name)).reverse();
  const chosen = opts.last === undefined ? numbers : numbers.slice(0, Math.max(0, opts.last));
  const runs = await Promise.all(chosen.map((n) => readRun(stateDir, name, n).catch((e: unknown) => (e instanceof StateError ? undefined : Promise.reject(e)))));
  return runs.filter((r): r is RunRecord => r !== undefined);
}

/** Renames every unreadable run file of a pipeline to N.json.unreadable; returns what it set aside and why. */
export async function setAsideUnreadableRuns(stateDir: string, name: string): Promise<Array<{ file: string; problem: string }>> {
  const out: Array<{ file: string; problem: string }> = [];
  for (const n of await listRunNumbers(stateDir, name)) {
    try {
      await readRun(stateDir, name, n);
    } catch (e) {
      if (!(e instanceof StateError)) throw e;
      const file = statePaths(stateDir).runFile(name, n);
      await rename(file, `${file}.unreadable`);
      out.push({ file: `${displayPath(file)}.unreadable`, problem: e.message });
    }
  }
  return out;
}

export async function readHostState(stateDir: string, host: string): Promise<HostState> {
  const file = statePaths(stateDir).hostFile(host);
  const state = await readState<HostState>('host', file);
  if (state === undefined) return { version: STATE_VERSION, host, pipelines: {} };
  checkField(file, 'host', state.host, host);
  return state;
}

export async function writeHostState(stateDir: string, s: HostState): Promise<void> {
  const file = statePaths(stateDir).hostFile(s.host);
  checkStateValue('host', `refusing to write ${displayPath(file)}`, s);
  await writeJsonAtomic(file, s);
}

/** Every host with a state file, by name. */
export async function listHostStates(stateDir: string): Promise<HostState[]> {
  const names = await listJsonNames(statePaths(stateDir).hosts);
  return Promise.all(names.map((host) => readHostState(stateDir, host)));
}

/**
 * Removes temp files a crash left in the state folder. Call once at start, holding the lock.
 * Workspaces and git mirrors are not ours to sweep (and may hold thousands of files).
 */
export async function sweepStateFolder(stateDir: string): Promise<number> {
  const paths = statePaths(stateDir);
  await tightenStateModes(stateDir);
  return sweepTempFiles(paths.root, { skip: [paths.work, join(paths.root, 'git')] });
}
