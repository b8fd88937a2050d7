import type { PipelineConfig } from '../config/types.ts';
import type { RunRecord } from '../state/types.ts';
import { readPipelineState, statePaths } from '../state/store.ts';
import { fetchMirror } from '../git/mirror.ts';
import { readCommitInfo } from '../git/commit.ts';
import type { RunContext } from './context.ts';
import { decidePoll } from './plan.ts';
import { createRun } from './run.ts';

export type PollResult = { run: RunRecord; reason?: undefined } | { run?: undefined; reason: string };

/** Fetch the branch into the mirror under STATE/git and queue a run for a new head. */
export async function pollPipeline(ctx: RunContext, pipeline: PipelineConfig): Promise<PollResult> {
  const stateDir = ctx.config.settings.stateDir;
  const remote = { url: pipeline.repo, branch: pipeline.branch, ...(pipeline.auth ? { auth: pipeline.auth } : {}) };
  const gitdir = statePaths(stateDir).git(pipeline.name);
  const { head } = await fetchMirror({ remote, gitdir });
  const decision = decidePoll(await readPipelineState(stateDir, pipeline.name), head);
  if (decision.action === 'none') return { reason: decision.reason };
  const commit = await readCommitInfo(gitdir, decision.commit);
  return { run: await createRun(ctx, pipeline, commit, 'poll') };
}
