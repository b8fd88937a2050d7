// STATE/statuses/NAME/N.json: the commit statuses posted for run N (or why not). Beside the run,
// not in it: a status posted after the run ended must not rewrite its record.
import { readFile } from 'node:fs/promises';
import { statePaths } from './paths.ts';
import { StateError } from '../errors.ts';

export interface StatusPost {
  context: string;
  state: 'pending' | 'success' | 'failure';
  at: string;
  attempts: number;
  /** Why it was not posted; absent when the forge took it. */
  error?: string;
}

export interface StatusLog {
  version: number;
  pipeline: string;
  run: number;
  posts: StatusPost[];
}

export async function readStatusLog(stateDir: string, pipeline: string, run: number): Promise<StatusLog | undefined> {
  const file = statePaths(stateDir).statusLog(pipeline, run);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const value = JSON.parse(text) as StatusLog;
  if (value?.version !== 1 || !Array.isArray(value.posts)) throw new StateError(`${file} is not a status log of version 1`);
  return value;
}
