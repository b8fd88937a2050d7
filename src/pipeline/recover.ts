// Crash recovery, run once when the daemon starts (holding the state lock, so no other slipway
// writes these files): a run left `running` by a crash or a kill can never finish, so it becomes
// `interrupted`, and its commit is queued again unless a newer run superseded it. Runs left
// `queued` (created, never started) are taken up; only the newest of a pipeline runs, the older
// ones are `superseded`, as if they had coalesced in the queue.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineConfig } from '../config/types.ts';
import type { RunRecord } from '../state/types.ts';
import { readRuns, setAsideUnreadableRuns, statePaths, writeRun } from '../state/store.ts';
import { maskSecrets } from '../exec/mask.ts';
import type { RunContext } from './context.ts';

import { COMMIT_TRIGGERS } from './commit-runs.ts';
import { moveRun } from './run-status.ts';
export { COMMIT_TRIGGERS };

/** Runs looked at per pipeline: a crash leaves at most a few unfinished runs, always the newest. */
const RECENT = 50;

export interface Recovery {
  pipeline: string;
  interrupted: number[];
  superseded: number[];
  /** The runs just marked interrupted (their host locks are released next). */
  interruptedRuns: RunRecord[];
  /** Run files that could not be read, renamed to *.unreadable (kept for a person to look at). */
  setAside: Array<{ file: string; problem: string }>;
  /** A `queued` run to take up. */
  queued?: RunRecord;
  /** A commit to run again (its run was interrupted). */
  rerun?: string;
  /** The branch of the rerun commit (a `branches:` run must not come back as a deploy-branch run). */
  rerunBranch?: string;
}

export async function recoverPipeline(ctx: RunContext, pipeline: PipelineConfig): Promise<Recovery> {
  const stateDir = ctx.config.settings.stateDir;
  const setAside = await setAsideUnreadableRuns(stateDir, pipeline.name);
  const runs = (await readRuns(stateDir, pipeline.name, { last: RECENT })).reverse(); // oldest first
  const out: Recovery = { pipeline: pipeline.name, interrupted: [], interruptedRuns: [], superseded: [], setAside };
  const now = ctx.now().toISOString();
  for (const run of runs) {
    if (run.status !== 'running') continue;
    markInterrupted(run, now, (t) => maskSecrets(t, ctx.config.secrets));
    await writeRun(stateDir, run);
    out.interrupted.push(run.number);
    out.interruptedRuns.push(run);
  }
  const commitRuns = runs.filter((r) => COMMIT_TRIGGERS.includes(r.trigger));
  const newest = commitRuns.at(-1);
  for (const run of commitRuns) {
    if (run === newest) continue;
    if (run.status !== 'queued') continue;
    await writeRun(stateDir, supersede(run, now, newest!));
    out.superseded.push(run.number);
  }
  if (newest?.status === 'queued') out.queued = newest;
  // Also a run interrupted at an earlier start whose re-run was never created (killed again in
  // between): each interrupted run gets its one re-run.
  else if (newest && newest.status === 'interrupted') {
    out.rerun = newest.commit.id;
    out.rerunBranch = newest.branch;
  }
  if (out.interrupted.length || out.superseded.length) await ctx.report({ pipeline: pipeline.name });
  return out;
}

/** A run that will never go on: what was running in it failed, with the reason said once. */
export function markInterrupted(run: RunRecord, now: string, mask: (t: string) => string): RunRecord {
  for (const stage of run.stages) {
    for (const step of stage.steps) {
      if (step.status === 'running' || step.status === 'pending') {
        step.status = step.status === 'running' ? 'failed' : 'skipped';
        if (step.status === 'failed') {
          step.error = 'interrupted: slipway stopped while this step ran';
          step.finishedAt = now;
        }
      }
    }
    if (stage.status === 'running' || stage.status === 'pending') {
      stage.status = 'failed';
      stage.finishedAt = now;
      stage.error = 'interrupted';
    }
  }
  moveRun(run, 'interrupted');
  run.finishedAt = now;
  run.error = mask('interrupted: slipway stopped during this run (a crash, a kill or a stop past its grace period); its commit was queued again unless a newer one superseded it');
  return run;
}

/** A queued run that a newer one replaced before it started. */
export function supersede(run: RunRecord, now: string, by: { number?: number; commit: { id: string } }): RunRecord {
  moveRun(run, 'superseded');
  run.finishedAt = now;
  run.error = `superseded by ${by.number !== undefined ? `run #${by.number}, ` : ''}commit ${by.commit.id.slice(0, 7)}`;
  return run;
}

/** Test workspaces a crash left behind (STATE/work/PIPELINE/N): nothing will ever use them. */
export async function sweepWorkspaces(stateDir: string): Promise<number> {
  const work = statePaths(stateDir).work;
  let removed = 0;
  for (const pipeline of await readdir(work).catch(() => [] as string[])) {
    for (const n of await readdir(join(work, pipeline)).catch(() => [] as string[])) {
      await rm(join(work, pipeline, n), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
