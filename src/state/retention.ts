// Retention: old run files and their logs are removed so a daemon that runs for months does not
// fill its disk. Decided first (pure), then applied. Never removed: runs that have not ended,
// the newest run, and any run that a pipeline environment or a host still names (what runs where
// must stay explained in the report).
import { rm } from 'node:fs/promises';
import type { Retention } from '../config/types.ts';
import { ENDED_STATUSES, type RunRecord } from './types.ts';
import { listHostStates, readPipelineState, readRuns, statePaths } from './store.ts';
import { removeRunExtras } from './artifact-retention.ts';

const DAY_MS = 86_400_000;

export function planRetention(
  runs: ReadonlyArray<Pick<RunRecord, 'number' | 'status' | 'createdAt' | 'finishedAt'>>,
  keep: Retention,
  opts: { now: Date; protect: ReadonlySet<number> },
): number[] {
  const newestFirst = [...runs].sort((a, b) => b.number - a.number);
  const cutoff = keep.days !== undefined ? opts.now.getTime() - keep.days * DAY_MS : undefined;
  const out: number[] = [];
  newestFirst.forEach((run, index) => {
    if (index === 0 || opts.protect.has(run.number) || !ENDED_STATUSES.includes(run.status)) return;
    const tooMany = keep.runs !== undefined && index >= keep.runs;
    const ended = Date.parse(run.finishedAt ?? run.createdAt);
    const tooOld = cutoff !== undefined && Number.isFinite(ended) && ended < cutoff;
    if (tooMany || tooOld) out.push(run.number);
  });
  return out.sort((a, b) => a - b);
}

/** Removes what planRetention chose for one pipeline; returns the run numbers removed. */
export async function applyRetention(stateDir: string, pipeline: string, keep: Retention, now: Date): Promise<number[]> {
  const runs = await readRuns(stateDir, pipeline);
  if (runs.length <= 1) return [];
  const protect = new Set<number>();
  for (const env of Object.values((await readPipelineState(stateDir, pipeline)).environments)) protect.add(env.run);
  for (const host of await listHostStates(stateDir)) {
    const entries = [host.pipelines[pipeline], ...Object.values(host.paths ?? {}).filter((e) => e.pipeline === pipeline)];
    for (const p of entries) {
      if (p?.current) protect.add(p.current.run);
      if (p?.previous) protect.add(p.previous.run);
    }
  }
  const doomed = planRetention(runs, keep, { now, protect });
  const paths = statePaths(stateDir);
  for (const n of doomed) {
    // Logs first: a crash in between leaves a run without logs (shown as such), never logs without a run.
    await rm(paths.logsDir(pipeline, n), { recursive: true, force: true });
    await rm(paths.runFile(pipeline, n), { force: true });
  }
  await removeRunExtras(stateDir, pipeline, runs, doomed);
  return doomed;
}
