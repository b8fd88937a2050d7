import type { PipelineConfig } from '../config/types.ts';
import type { RunRecord } from '../state/types.ts';
import { readPipelineState, statePaths } from '../state/store.ts';
import { fetchMirror } from '../git/mirror.ts';
import { readCommitInfo } from '../git/commit.ts';
import type { RunContext } from './context.ts';
import { decidePoll } from './plan.ts';
import { createRun } from './run.ts';

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
  return decision.action === 'none' ? { reason: decision.reason } : { commit: decision.commit };
}

/** Fetch the branch and queue a run for a new head. */
export async function pollPipeline(ctx: RunContext, pipeline: PipelineConfig): Promise<PollResult> {
  const found = await detectNewCommit(ctx, pipeline);
  if (found.commit === undefined) return { reason: found.reason };
  const commit = await readCommitInfo(statePaths(ctx.config.settings.stateDir).git(pipeline.name), found.commit);
  return { run: await createRun(ctx, pipeline, commit, 'poll') };
}
