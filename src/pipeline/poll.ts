import type { PipelineConfig } from '../config/types.ts';
import type { RunRecord } from '../state/types.ts';
import { readPipelineState, readRuns, statePaths } from '../state/store.ts';
import { decideCommitRun, type CommitRunRequest } from './commit-runs.ts';
import { fetchMirror } from '../git/mirror.ts';
import { readCommitInfo } from '../git/commit.ts';
import type { RunContext } from './context.ts';
import { decidePoll } from './plan.ts';

export type PollResult = { run: RunRecord; reason?: undefined } | { run?: undefined; reason: string };
export type Detection = { commit: string; reason?: undefined } | { commit?: undefined; reason: string };

/**
 * Fetch the branch into the mirror under STATE/git and say whether its head is new. Writes no
 * state: the daemon records runs only when a pipeline's queue takes one, so that all of one
 * pipeline's state writes happen in one place, one after another.
 */
export async function detectNewCommit(ctx: RunContext, pipeline: PipelineConfig): Promise<Detection> {
  const stateDir = ctx.config.settings.stateDir;
  const remote = { url: pipeline.repo, branch: pipeline.branch, ...(pipeline.auth ? { auth: pipeline.auth } : {}) };
  const { head } = await fetchMirror({ remote, gitdir: statePaths(stateDir).git(pipeline.name) });
  const decision = decidePoll(await readPipelineState(stateDir, pipeline.name), head);
  if (decision.action === 'run') return { commit: decision.commit };
  // A head already seen runs again only when its last run failed for the infrastructure's sake
  // (a host down, a lock held too long, a full disk), after a backoff.
  const runs = await readRuns(stateDir, pipeline.name, { last: 20 });
  const again = decideCommitRun(runs, { commit: head, branch: pipeline.branch, trigger: 'poll', now: ctx.now() });
  const last = runs.find((r) => r.commit.id === head);
  if (again.action === 'run' && last?.status === 'failed' && last.cause === 'infrastructure') return { commit: head };
  return { reason: again.action === 'skip' && last?.cause === 'infrastructure' ? again.reason : decision.reason };
}

/** The one-run-per-commit rule, read from the state: undefined when the commit may run now. */
export async function commitRunRefusal(ctx: RunContext, pipeline: PipelineConfig, req: Omit<CommitRunRequest, 'now' | 'branch'>): Promise<string | undefined> {
  const runs = await readRuns(ctx.config.settings.stateDir, pipeline.name, { last: 100 });
  const d = decideCommitRun(runs, { ...req, branch: pipeline.branch, now: ctx.now() });
  return d.action === 'skip' ? d.reason : undefined;
}

/** Fetch the branch and queue a run for a new head. */
export async function pollPipeline(ctx: RunContext, pipeline: PipelineConfig): Promise<PollResult> {
  const found = await detectNewCommit(ctx, pipeline);
  if (found.commit === undefined) return { reason: found.reason };
  const refused = await commitRunRefusal(ctx, pipeline, { commit: found.commit, trigger: 'poll' });
  if (refused) return { reason: refused };
  const commit = await readCommitInfo(statePaths(ctx.config.settings.stateDir).git(pipeline.name), found.commit);
  // Loaded here, not at the top: the daemon polls through this file and must not load the run
  // code (execa, the test and deploy stages) into its own long-lived process (run-process.ts).
  const { createRun } = await import('./run.ts');
  return { run: await createRun(ctx, pipeline, commit, 'poll') };
}
