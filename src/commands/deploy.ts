import type { PipelineConfig } from '../config/types.ts';
import type { CommitInfo, RunRecord } from '../state/types.ts';
import { SlipwayError, UsageError } from '../errors.ts';
import { readPipelineState, readRuns, statePaths } from '../state/store.ts';
import { fetchMirror } from '../git/mirror.ts';
import { readCommitInfo, resolveCommit } from '../git/commit.ts';
import { createRun, executeRollback, executeRun } from '../pipeline/run.ts';
import { factsScript, parseFacts, previousRelease } from '../pipeline/remote-commands.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { selectPipelines } from './once.ts';
import type { Output } from './output.ts';

/** The newest run whose tests (and build, when it had one) passed, for this commit when one is given (runs newest first). */
export function findTestedRun(runs: RunRecord[], commit?: string): RunRecord | undefined {
  return runs.find((r) => (!commit || r.commit.id === commit) && r.stages.some((s) => s.kind === 'test' && s.status === 'passed') && !r.stages.some((s) => s.kind === 'build' && s.status !== 'passed'));
}

/** Whether an environment ever took this commit healthy (promotion: production only gets what staging took). */
export function tookHealthy(runs: RunRecord[], environment: string, commit: string): boolean {
  return runs.some((r) => r.commit.id === commit && r.stages.some((s) => s.name === `deploy:${environment}` && s.status === 'passed'));
}

function pickEnvironment(pipeline: PipelineConfig, name: string | undefined): number {
  if (!name) throw new UsageError('--env ENV is required');
  const i = pipeline.environments.findIndex((e) => e.name === name);
  if (i < 0) throw new UsageError(`pipeline ${pipeline.name} has no environment "${name}" (it has: ${pipeline.environments.map((e) => e.name).join(', ')})`);
  return i;
}

export async function deployCommand(configDir: string, args: { pipeline?: string; env?: string; commit?: string }, output: Output): Promise<number> {
  if (!args.pipeline) throw new UsageError('deploy takes PIPELINE');
  const rt = await openRuntime(configDir, 'deploy', output);
  try {
    const [pipeline] = selectPipelines(rt.config.pipelines, [args.pipeline]);
    const index = pickEnvironment(pipeline!, args.env);
    const env = pipeline!.environments[index]!;
    const stateDir = rt.config.settings.stateDir;
    const runs = await readRuns(stateDir, pipeline!.name);
    let commit: string | undefined;
    if (args.commit) {
      const remote = { url: pipeline!.repo, branch: pipeline!.branch, ...(pipeline!.auth ? { auth: pipeline!.auth } : {}) };
      await fetchMirror({ remote, gitdir: statePaths(stateDir).git(pipeline!.name) });
      commit = await resolveCommit(statePaths(stateDir).git(pipeline!.name), args.commit);
    }
    // Without --commit, the newest tested commit of the deploy branch: never a feature branch's.
    const tested = findTestedRun(commit ? runs : runs.filter((r) => r.branch === pipeline!.branch), commit);
    if (!tested) {
      throw new SlipwayError(commit ? `commit ${commit.slice(0, 7)} has not passed its tests in any run of ${pipeline!.name}; only tested commits are deployed` : `no commit of ${pipeline!.name} has passed its tests yet; run slipway once first`);
    }
    const prev = pipeline!.environments[index - 1];
    if (prev) {
      const state = await readPipelineState(stateDir, pipeline!.name);
      if (state.environments[prev.name]?.commit !== tested.commit.id && !tookHealthy(runs, prev.name, tested.commit.id)) {
        throw new SlipwayError(`${env.name} only gets a commit that ${prev.name} took healthy; deploy ${tested.commit.id.slice(0, 7)} to ${prev.name} first`);
      }
    }
    output.out(`${pipeline!.name}: deploying ${tested.commit.id.slice(0, 7)} (tested in run #${tested.number}) to ${env.name}`);
    const run = await createRun(rt.ctx, pipeline!, tested.commit, 'deploy');
    const done = await executeRun(rt.ctx, pipeline!, run, { environments: [env.name], testedIn: tested.number, approve: { environment: env.name, by: rt.ctx.actor } });
    output.out(`${pipeline!.name} #${done.number}: ${output.status(done.status)}${done.error ? ` (${done.error})` : ''}`);
    return done.status === 'deployed' ? 0 : 1;
  } finally {
    await rt.close();
  }
}

export async function rollbackCommand(configDir: string, args: { pipeline?: string; env?: string }, output: Output): Promise<number> {
  if (!args.pipeline) throw new UsageError('rollback takes PIPELINE');
  const rt = await openRuntime(configDir, 'rollback', output);
  try {
    const [pipeline] = selectPipelines(rt.config.pipelines, [args.pipeline]);
    const env = pipeline!.environments[pickEnvironment(pipeline!, args.env)]!;
    const target = await previousCommit(rt, env.hosts, env.deploy.path);
    const commit = await commitInfo(rt, pipeline!, target);
    output.out(`${pipeline!.name}: rolling ${env.name} back to ${target.slice(0, 7)}`);
    const run = await createRun(rt.ctx, pipeline!, commit, 'rollback');
    const done = await executeRollback(rt.ctx, pipeline!, run, env.name);
    output.out(`${pipeline!.name} #${done.number}: ${done.status === 'deployed' ? 'rolled back' : output.status(done.status)}${done.error ? ` (${done.error})` : ''}`);
    return done.status === 'deployed' ? 0 : 1;
  } finally {
    await rt.close();
  }
}

/** The commit every host of the environment would go back to; they must agree. */
async function previousCommit(rt: Runtime, hosts: string[], path: string): Promise<string> {
  const targets = new Set<string>();
  for (const name of hosts) {
    const conn = await rt.ctx.pool.get(name);
    const res = await conn.exec(factsScript(path), { timeoutMs: 30_000 });
    const facts = parseFacts(res.stdout);
    const prev = previousRelease(facts);
    if (!prev) throw new SlipwayError(`${name} has no release before ${facts.current ?? 'its current one'}; nothing to roll back to`);
    targets.add(facts.commits[prev] ?? prev);
  }
  if (targets.size !== 1) throw new SlipwayError(`the hosts would go back to different commits (${[...targets].map((t) => t.slice(0, 7)).join(', ')}); deploy one commit with slipway deploy --commit instead`);
  return [...targets][0]!;
}

async function commitInfo(rt: Runtime, pipeline: PipelineConfig, id: string): Promise<CommitInfo> {
  try {
    return await readCommitInfo(statePaths(rt.config.settings.stateDir).git(pipeline.name), id);
  } catch {
    return { id, message: '', author: { name: '', email: '' }, time: rt.ctx.now().toISOString() };
  }
}
