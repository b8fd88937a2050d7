// From a whole run record to the summary every list page uses, and the figures over a history.

import type { RunRecord } from '../state/types.ts';
import type { DeploySummary, RunSummary } from './types.ts';
import { doraFacts } from './dora.ts';

export function firstLine(message: string): string {
  return message.split('\n', 1)[0]?.trim() ?? '';
}

export function summarizeRun(run: RunRecord): RunSummary {
  const deploys: DeploySummary[] = [];
  for (const stage of run.stages) {
    if (stage.kind !== 'deploy' || stage.environment === undefined) continue;
    for (const h of stage.hosts ?? []) {
      const d: DeploySummary = { environment: stage.environment, host: h.host, status: h.status };
      if (h.release !== undefined) d.release = h.release;
      deploys.push(d);
    }
  }
  const s: RunSummary = {
    pipeline: run.pipeline,
    number: run.number,
    status: run.status,
    commit: run.commit.id,
    branch: run.branch,
    subject: firstLine(run.commit.message),
    author: run.commit.author.name,
    createdAt: run.createdAt,
    deploys,
  };
  if (run.startedAt !== undefined) s.startedAt = run.startedAt;
  if (run.finishedAt !== undefined) s.finishedAt = run.finishedAt;
  const waiting = run.stages.find((st) => st.status === 'waiting')?.environment;
  if (waiting !== undefined) s.waitingAt = waiting;
  if (run.error !== undefined) s.error = run.error;
  const dora = doraFacts(run);
  if (dora.length > 0) s.dora = dora;
  return s;
}

export function durationMs(start: string | undefined, end: string | undefined): number | undefined {
  if (start === undefined || end === undefined) return undefined;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

export const SUCCESS: ReadonlySet<string> = new Set(['passed', 'deployed']);

export interface HistoryStats {
  /** How many ended runs (passed, deployed or failed) the figures cover. */
  counted: number;
  /** 0..1, or undefined with nothing counted. */
  successRate?: number;
  medianMs?: number;
}

const statsMemo = new WeakMap<readonly RunSummary[], HistoryStats>();

/** Success rate and median duration over the newest `last` runs that passed or failed. */
export function historyStats(runs: readonly RunSummary[], last = 50): HistoryStats {
  // Several parts of a page ask for the same pipeline's figures; runs arrays are not mutated.
  if (last === 50) {
    const known = statsMemo.get(runs);
    if (known !== undefined) return known;
    const stats = computeStats(runs, last);
    statsMemo.set(runs, stats);
    return stats;
  }
  return computeStats(runs, last);
}

function computeStats(runs: readonly RunSummary[], last: number): HistoryStats {
  const ended: RunSummary[] = [];
  for (const r of runs) {
    if (ended.length >= last) break;
    if (SUCCESS.has(r.status) || r.status === 'failed') ended.push(r);
  }
  if (ended.length === 0) return { counted: 0 };
  const ok = ended.filter((r) => SUCCESS.has(r.status)).length;
  const durations = ended.map((r) => durationMs(r.startedAt, r.finishedAt)).filter((d): d is number => d !== undefined).sort((a, b) => a - b);
  const stats: HistoryStats = { counted: ended.length, successRate: ok / ended.length };
  if (durations.length > 0) {
    const mid = Math.floor(durations.length / 2);
    stats.medianMs = durations.length % 2 === 1 ? durations[mid]! : (durations[mid - 1]! + durations[mid]!) / 2;
  }
  return stats;
}

/** The newest run that ended one way or the other (the badge's subject). */
export function lastEnded(runs: readonly RunSummary[]): RunSummary | undefined {
  return runs.find((r) => SUCCESS.has(r.status) || r.status === 'failed');
}

/** The newest deploy of `host` in `environment`, with the run it belongs to. */
export function lastDeployOf(runs: readonly RunSummary[], environment: string, host: string): { run: RunSummary; deploy: DeploySummary } | undefined {
  for (const run of runs) {
    const deploy = run.deploys.find((d) => d.environment === environment && d.host === host && d.status !== 'pending' && d.status !== 'untouched');
    if (deploy !== undefined) return { run, deploy };
  }
  return undefined;
}
