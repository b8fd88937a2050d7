// What `slipway deploy` and `slipway rollback` ask, decided before anything changes, the same
// in-process and in the daemon (which carries them out when it holds the state folder).
import type { EnvironmentConfig, PipelineConfig } from '../config/types.ts';
import type { CommitInfo, RunRecord } from '../state/types.ts';
import { SlipwayError, UsageError } from '../errors.ts';
import { readPipelineState, readRuns, statePaths } from '../state/store.ts';
import { fetchMirror } from '../git/mirror.ts';
import { readCommitInfo, resolveCommit } from '../git/commit.ts';
import { previousRelease, readHostFacts } from './host-facts.ts';
import type { RunContext } from './context.ts';
import { findTestedRun, promotionRefusal } from './promotion.ts';

export { findTestedRun, tookHealthy } from './promotion.ts';

export function pickEnvironment(pipeline: PipelineConfig, name: string | undefined): number {
  if (!name) throw new UsageError('--env ENV is required');
  const i = pipeline.environments.findIndex((e) => e.name === name);
  if (i < 0) throw new UsageError(`pipeline ${pipeline.name} has no environment "${name}" (it has: ${pipeline.environments.map((e) => e.name).join(', ')})`);
  return i;
}

export interface DeployRequest {
  env: EnvironmentConfig;
  tested: RunRecord;
}

export async function prepareDeploy(ctx: RunContext, pipeline: PipelineConfig, envName: string | undefined, commitArg: string | undefined): Promise<DeployRequest> {
  const index = pickEnvironment(pipeline, envName);
  const env = pipeline.environments[index]!;
  const stateDir = ctx.config.settings.stateDir;
  const runs = await readRuns(stateDir, pipeline.name);
  let commit: string | undefined;
  if (commitArg) {
    const remote = { url: pipeline.repo, branch: pipeline.branch, ...(pipeline.auth ? { auth: pipeline.auth } : {}) };
    await fetchMirror({ remote, gitdir: statePaths(stateDir).git(pipeline.name) });
    commit = await resolveCommit(statePaths(stateDir).git(pipeline.name), commitArg);
  }
  // Without --commit, the newest tested commit of the deploy branch: never a feature branch's.
  const tested = findTestedRun(commit ? runs : runs.filter((r) => r.branch === pipeline.branch), commit);
  if (!tested) {
    throw new SlipwayError(commit ? `commit ${commit.slice(0, 7)} has not passed its tests in any run of ${pipeline.name}; only tested commits are deployed` : `no commit of ${pipeline.name} has passed its tests yet; run slipway once first`);
  }
  const refused = promotionRefusal(pipeline, index, await readPipelineState(stateDir, pipeline.name), runs, tested.commit.id);
  if (refused) throw new SlipwayError(refused);
  return { env, tested };
}

export interface RollbackRequest {
  env: EnvironmentConfig;
  commit: CommitInfo;
}

export async function prepareRollback(ctx: RunContext, pipeline: PipelineConfig, envName: string | undefined): Promise<RollbackRequest> {
  const env = pipeline.environments[pickEnvironment(pipeline, envName)]!;
  const target = await previousCommit(ctx, env);
  return { env, commit: await commitInfo(ctx, pipeline, target) };
}

/** The commit every host of the environment would go back to; they must agree. */
async function previousCommit(ctx: RunContext, env: EnvironmentConfig): Promise<string> {
  const targets = new Set<string>();
  for (const name of env.hosts) {
    const conn = await ctx.pool.get(name);
    const facts = await readHostFacts(conn, { path: env.deploy.path }, env.deploy.commandTimeoutMs);
    const prev = previousRelease(facts);
    if (!prev) throw new SlipwayError(`${name} has no release before ${facts.current ?? 'its current one'}; nothing to roll back to`);
    targets.add(facts.commits[prev] ?? prev);
  }
  if (targets.size !== 1) throw new SlipwayError(`the hosts would go back to different commits (${[...targets].map((t) => t.slice(0, 7)).join(', ')}); deploy one commit with slipway deploy --commit instead`);
  return [...targets][0]!;
}

async function commitInfo(ctx: RunContext, pipeline: PipelineConfig, id: string): Promise<CommitInfo> {
  try {
    return await readCommitInfo(statePaths(ctx.config.settings.stateDir).git(pipeline.name), id);
  } catch {
    return { id, message: '', author: { name: '', email: '' }, time: ctx.now().toISOString() };
  }
}
