// The messages between the daemon and the process that carries out one of its tasks
// (src/daemon/run-child.ts). The daemon keeps the cron, the queue, the inbox and the HTTP server;
// a run (with ssh2, execa, the test and deploy code and the heap they grow) lives and dies in its
// own process, as Laminar runs each job in its own process. Messages are plain data over the IPC
// channel: the Reply callbacks of a job stay in the daemon and are called by index.
import type { Config } from '../config/types.ts';
import type { ConfigIssue } from '../errors.ts';
import type { RunRecord } from '../state/types.ts';
import type { HealOutcome } from '../pipeline/heal-run.ts';
import type { HostObservation } from '../pipeline/observe-hosts.ts';
import type { ReportChange } from '../report/update.ts';
import type { Dispatch, Job } from './queue.ts';
import type { LogLevel } from './log.ts';

/** A job without its callbacks: `replied` says whether the daemon holds a reply to answer; a heal's `settle` stays in the daemon too. */
export type WireJob = DistributiveOmit<Job, 'reply' | 'settle'> & { replied: boolean };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type ChildTask =
  /** Run one dispatch of the queue, as executeJob does in-process. */
  | { kind: 'job'; pipeline: string; job: WireJob; superseded: WireJob[]; verdict?: 'good' | 'bad' | null }
  /** The process of run N died: record it failed, release its deploy locks, notify. */
  | { kind: 'died'; pipeline: string; run: number; message: string; verdict?: 'good' | 'bad' | null }
  /** Runs that start-up recovery found interrupted left deploy locks: release them (the daemon loads no ssh2). */
  | { kind: 'unlock'; pipeline: string; runs: RunRecord[] }
  /** Bring the report up to date (undefined: every pipeline). */
  | { kind: 'report'; changed?: ReportChange[] }
  /** Read and record the hosts of these environments (observe-child.ts); `busy`: pipelines whose observation is dropped, not written. */
  | { kind: 'observe'; targets: ObserveTarget[]; busy: string[] };

/** What a config process does: config-source.ts's functions, by name. */
export type ConfigRequest = { op: 'local'; dir: string } | { op: 'apply'; local: Config; commit: string } | { op: 'last'; local: Config };

export interface ObserveTarget {
  pipeline: string;
  environment: string;
}

export type ToChild =
  | { type: 'start'; config: Config; reportUrl?: string; task: ChildTask }
  /** `slipway cancel` of a run this process carries out. */
  | { type: 'cancel'; key: string; by: string }
  /** The daemon's grace period is over: stop what runs (the run ends `interrupted`). */
  | { type: 'abort' }
  /** A report process's next update (it stays while updates keep coming). */
  | { type: 'report'; config: Config; changed?: ReportChange[] }
  /** A report process is no longer needed: end now. */
  | { type: 'exit' }
  /** A config process: load and validate (config-process.ts); answered with `config`. */
  | { type: 'load'; request: ConfigRequest }
  /** An observe process: a run of this pipeline is going or waiting now; its observation is no longer written. */
  | { type: 'busy'; pipeline: string };

export type FromChild =
  | { type: 'log'; level: LogLevel; line: string }
  /** Reply `index` of the task (0: the job, 1…: its superseded jobs in order). */
  | { type: 'reply'; index: number; method: 'started'; pipeline: string; run: number }
  | { type: 'reply'; index: number; method: 'refused'; message: string; exitCode?: number }
  | { type: 'reply'; index: number; method: 'done'; result?: { pipeline?: string; run?: number; exitCode?: number; message?: string } }
  | { type: 'active'; key: string; pipeline: string; run: number }
  | { type: 'inactive'; key: string }
  | { type: 'observed'; run: RunRecord }
  | { type: 'verdict'; pipeline: string; verdict: 'good' | 'bad' | null }
  | { type: 'report'; changed?: ReportChange }
  /** An error nothing caught: sent just before the process exits with it. */
  | { type: 'crash'; message: string }
  /** A report process finished an update and waits for the next (or `exit`). */
  | { type: 'reported' }
  /** A heal job's outcome, for its `settle` in the daemon (the observer's bookkeeping). */
  | { type: 'healed'; outcome?: HealOutcome }
  /** One environment's observation (what observeEnvironment returned, already recorded), or why it failed. */
  | { type: 'observed-env'; pipeline: string; environment: string; found?: HostObservation[]; error?: string }
  /** A config process's answer: the result, or the error as plain data (a ConfigError's issues). */
  | { type: 'config'; result?: unknown; error?: { message: string; issues?: ConfigIssue[]; ours: boolean } }
  /** A local command's process group started (`running`) or was reaped: the daemon kills the running ones if this process dies. */
  | { type: 'group'; pid: number; running: boolean }
  /** The task ended normally; the process exits next. */
  | { type: 'end' };

/** Pure: a dispatch as it crosses to the child (replies stay behind). */
export function taskOfDispatch(d: Dispatch, verdict: 'good' | 'bad' | null | undefined): ChildTask {
  return { kind: 'job', pipeline: d.pipeline, job: wireJob(d.job), superseded: d.superseded.map(wireJob), ...(verdict !== undefined ? { verdict } : {}) };
}

function wireJob(job: Job): WireJob {
  const { reply, settle: _settle, ...rest } = job as Job & { reply?: unknown; settle?: unknown };
  return { ...rest, replied: reply !== undefined } as WireJob;
}

/** Pure: how a run's process ended, in the words the run record gets. */
export function deathOf(exit: { code: number | null; signal: NodeJS.Signals | null; crash?: string }): string {
  if (exit.crash !== undefined) return `the run's process died: uncaught error: ${exit.crash}`;
  if (exit.signal) return `the run's process died: killed by ${exit.signal}`;
  return `the run's process died: exit code ${exit.code ?? '?'}`;
}

/** Pure: a run that will never go on because its process died: failed, with the reason said once. */
export function markDied(run: RunRecord, now: string, message: string): RunRecord {
  for (const stage of run.stages) {
    for (const step of stage.steps) {
      if (step.status === 'running') {
        step.status = 'failed';
        step.error = message;
        step.finishedAt = now;
      } else if (step.status === 'pending') step.status = 'skipped';
    }
    if (stage.status === 'running' || stage.status === 'pending') {
      stage.status = 'failed';
      stage.finishedAt = now;
      stage.error = message;
    }
  }
  run.status = 'failed';
  run.finishedAt = now;
  run.error = message;
  return run;
}
