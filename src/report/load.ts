// Reading what the report needs from the state folder: the config's view of the pipelines, run
// records with their log tails, and (for tests and small states) everything at once.

import { statSync } from 'node:fs';
import type { Config } from '../config/types.ts';
import { listHostStates, listRunNumbers, readPipelineState, readRun, readRuns, readStepLog, statePaths } from '../state/store.ts';
import { readStatusLog } from '../state/status-log.ts';
import type { StepLogText } from '../state/step-log.ts';
import { ENDED_STATUSES, type RunRecord } from '../state/types.ts';
import { statStamp } from './stamps.ts';
import { logKey, type ReportConfig, type ReportInput, type ReportPipeline, type RunDetail } from './types.ts';

/** Bytes of the end of each step log shown by default. */
export const LOG_TAIL_BYTES = 64 * 1024;

export interface LoadReportOptions {
  now?: Date;
  /** Newest runs per pipeline loaded by loadReportInput (default: all). */
  runsPerPipeline?: number;
  /** Bytes of the end of each step log shown (default 64 KiB). */
  logTailBytes?: number;
}

/** The report's view of a loaded config. */
export function reportConfigOf(config: Config): ReportConfig {
  return {
    title: config.settings.report.title,
    secrets: config.secrets,
    pipelines: config.pipelines.map((p) => ({
      name: p.name,
      repo: p.repo,
      branch: p.branch,
      environments: p.environments.map((e) => ({ name: e.name, hosts: e.hosts, approval: e.approval, path: e.deploy.path })),
    })),
  };
}

// A running run's page is made again at every update (each step's start and end), from every
// step log it has so far: a deploy to 100 hosts read ~40 logs per run per update, nearly all of
// them of steps long done (bench/fleet.ts, --cpu-prof: readRunDetail 219 ms of the report's
// ~550 ms in one once). A log whose inode, size and mtime are as when its tail was read is the
// same bytes (logs only grow): its tail is kept, within a small budget of characters (the daemon stays lean).
const HELD_LOG_BYTES = 2 * 1024 * 1024;
const heldLogs = new Map<string, { stamp: string; log: StepLogText }>();
let heldBytes = 0;

function holdLog(file: string, stamp: string, log: StepLogText): void {
  const old = heldLogs.get(file);
  if (old !== undefined) heldBytes -= old.log.text.length;
  heldLogs.delete(file);
  if (log.text.length > HELD_LOG_BYTES / 8) return;
  heldLogs.set(file, { stamp, log });
  heldBytes += log.text.length;
  // Oldest first (a Map keeps insertion order).
  for (const [f, h] of heldLogs) {
    if (heldBytes <= HELD_LOG_BYTES) break;
    heldLogs.delete(f);
    heldBytes -= h.log.text.length;
  }
}

async function readStepLogHeld(stateDir: string, run: RunRecord, stepId: string, tailBytes: number): Promise<StepLogText | undefined> {
  // Only a run that has not ended is read again and again. Holding the logs of ended runs too
  // churned the held tails through a first full rewrite's 20,000 logs: peak RSS 134-158 MB
  // against 122-130 MB without holding (3 runs each, /tmp full-hwm.mjs, 50x200 runs).
  if (ENDED_STATUSES.includes(run.status)) return readStepLog(stateDir, run.pipeline, run.number, stepId, { tailBytes });
  const file = statePaths(stateDir).stepLog(run.pipeline, run.number, stepId);
  const s = statSync(file, { throwIfNoEntry: false });
  if (s === undefined) return undefined;
  const stamp = `${statStamp(s)}:${tailBytes}`;
  const held = heldLogs.get(file);
  if (held?.stamp === stamp) return held.log;
  const log = await readStepLog(stateDir, run.pipeline, run.number, stepId, { tailBytes });
  // Held only when what was read is what was stat'ed (the log did not grow in between).
  if (log !== undefined && log.size === s.size) holdLog(file, stamp, log);
  return log;
}

/** A run's record and the tails of its step logs. */
export async function readRunDetail(stateDir: string, run: RunRecord, tailBytes = LOG_TAIL_BYTES): Promise<RunDetail> {
  const logs = new Map<string, StepLogText>();
  const steps = run.stages.flatMap((s) => s.steps);
  await Promise.all(
    steps.map(async (step) => {
      const log = await readStepLogHeld(stateDir, run, step.id, tailBytes);
      if (log !== undefined) logs.set(step.id, log);
    }),
  );
  const statuses = await readStatusLog(stateDir, run.pipeline, run.number).catch(() => undefined);
  return statuses ? { run, logs, statuses } : { run, logs };
}

/** Reads runs by number, `parallel` at a time, handing each to fn as it arrives. */
export async function forEachRun(stateDir: string, pipeline: string, numbers: readonly number[], fn: (run: RunRecord) => Promise<void>, parallel = 32): Promise<void> {
  for (let i = 0; i < numbers.length; i += parallel) {
    const chunk = numbers.slice(i, i + parallel);
    await Promise.all(chunk.map(async (n) => fn(await readRun(stateDir, pipeline, n))));
  }
}

export { listHostStates, listRunNumbers, readPipelineState };

/** Everything at once: fine for tests and small states; the update reads far less (update.ts). */
export async function loadReportInput(stateDir: string, config: ReportConfig, opts: LoadReportOptions = {}): Promise<ReportInput> {
  const generatedAt = opts.now ?? new Date();
  const tailBytes = opts.logTailBytes ?? LOG_TAIL_BYTES;
  const logs = new Map<string, StepLogText>();
  const pipelines: ReportPipeline[] = [];
  for (const p of config.pipelines) {
    const [state, runs] = await Promise.all([
      readPipelineState(stateDir, p.name),
      readRuns(stateDir, p.name, opts.runsPerPipeline === undefined ? {} : { last: opts.runsPerPipeline }),
    ]);
    pipelines.push({ ...p, state, runs });
    for (const run of runs) {
      const detail = await readRunDetail(stateDir, run, tailBytes);
      for (const [id, log] of detail.logs) logs.set(logKey(p.name, run.number, id), log);
    }
  }
  const hosts = await listHostStates(stateDir);
  return { title: config.title, generatedAt, pipelines, hosts, logs, secrets: config.secrets };
}
