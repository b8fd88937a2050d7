// Reading what the report needs from the state folder, and the one call the pipeline makes after
// each change of state: updateReport = load + render + write.

import type { Config } from '../config/types.ts';
import { listHostStates, readPipelineState, readRuns, readStepLog, statePaths } from '../state/store.ts';
import type { StepLogText } from '../state/step-log.ts';
import { renderReport } from './render.ts';
import { logKey, type ReportConfig, type ReportInput, type ReportPipeline } from './types.ts';
import { writeReport } from './write.ts';

export interface LoadReportOptions {
  now?: Date;
  /** Newest runs per pipeline that get a page (default 50). */
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
      environments: p.environments.map((e) => ({ name: e.name, hosts: e.hosts, approval: e.approval })),
    })),
  };
}

export async function loadReportInput(stateDir: string, config: ReportConfig, opts: LoadReportOptions = {}): Promise<ReportInput> {
  const generatedAt = opts.now ?? new Date();
  const runsPerPipeline = opts.runsPerPipeline ?? 50;
  const tailBytes = opts.logTailBytes ?? 64 * 1024;
  const logs = new Map<string, StepLogText>();
  const pipelines: ReportPipeline[] = [];
  for (const p of config.pipelines) {
    const [state, runs] = await Promise.all([readPipelineState(stateDir, p.name), readRuns(stateDir, p.name, { last: runsPerPipeline })]);
    pipelines.push({ ...p, state, runs });
    const reads = runs.flatMap((run) =>
      run.stages.flatMap((stage) =>
        stage.steps.map(async (step) => {
          const log = await readStepLog(stateDir, p.name, run.number, step.id, { tailBytes });
          if (log !== undefined) logs.set(logKey(p.name, run.number, step.id), log);
        }),
      ),
    );
    await Promise.all(reads);
  }
  const hosts = await listHostStates(stateDir);
  return { title: config.title, generatedAt, pipelines, hosts, logs, secrets: config.secrets };
}

interface Slot {
  running?: Promise<void>;
  queued?: Promise<void>;
  next?: () => Promise<void>;
}
const slots = new Map<string, Slot>();

/**
 * Rewrites STATE/www from the state. Calls that arrive while one is rendering coalesce into a
 * single follow-up render (which reads the state after all of them), so a burst of state changes
 * costs two renders, not one per change.
 */
export function updateReport(stateDir: string, config: ReportConfig, opts: LoadReportOptions = {}): Promise<void> {
  const job = async (): Promise<void> => {
    const input = await loadReportInput(stateDir, config, opts);
    await writeReport(statePaths(stateDir).www, renderReport(input));
  };
  let slot = slots.get(stateDir);
  if (slot === undefined) {
    slot = {};
    slots.set(stateDir, slot);
  }
  const s = slot;
  s.next = job; // the newest caller's config wins (a SIGHUP reload may have changed it)
  if (s.queued !== undefined) return s.queued;
  const start = (): Promise<void> => {
    const run = s.next ?? job;
    s.next = undefined;
    const p = run().finally(() => {
      if (s.running === p) s.running = undefined;
      if (s.running === undefined && s.queued === undefined) slots.delete(stateDir);
    });
    s.running = p;
    return p;
  };
  if (s.running === undefined) return start();
  const queued = s.running
    .catch(() => undefined)
    .then(() => {
      s.queued = undefined;
      return start();
    });
  s.queued = queued;
  return queued;
}
