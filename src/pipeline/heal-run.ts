// A heal run (trigger: heal): a normal run record of the environment's desired commit with one
// deploy-like stage, in which wt12a's healHosts puts the drifted hosts back. The daemon's queue
// runs it like any job of the pipeline, so it never overlaps a deploy or rollback of it.
import type { EnvironmentConfig, PipelineConfig } from '../config/types.ts';
import type { RunRecord } from '../state/types.ts';
import { readPipelineState, readRun } from '../state/store.ts';
import { readCommitInfo } from '../git/commit.ts';
import { statePaths } from '../state/paths.ts';
import type { RunContext } from './context.ts';
import { RunRecorder } from './recorder.ts';
import { createRun } from './run.ts';
import { healHosts } from './heal.ts';
import { errorMessage } from './failure.ts';
import { observeEnvironment } from './observe-hosts.ts';

export interface HealOutcome {
  run: RunRecord;
  ok: boolean;
  /** The hosts the run healed (or tried to). */
  hosts: string[];
}

/**
 * Reads the hosts once more (the drift may be gone, or a deploy changed them while this waited
 * in the queue) and heals those still out-of-sync or degraded. undefined: nothing to heal, no run.
 */
export async function executeHealRun(ctx: RunContext, pipeline: PipelineConfig, env: EnvironmentConfig, hosts: string[]): Promise<HealOutcome | undefined> {
  const stateDir = ctx.config.settings.stateDir;
  const desired = (await readPipelineState(stateDir, pipeline.name)).environments[env.name];
  if (!desired) return undefined;
  const seen = await observeEnvironment({ config: ctx.config, pool: ctx.pool, now: ctx.now }, pipeline, { ...env, hosts }, { record: false });
  const due = seen.filter((o) => o.healFacts && !o.locked);
  if (due.length === 0) return undefined;
  const commit = await commitOf(stateDir, pipeline.name, desired);
  const run = await createRun(ctx, pipeline, commit, 'heal');
  const rec = new RunRecorder(stateDir, run, { secrets: ctx.config.secrets, now: ctx.now, onChange: ctx.report });
  run.status = 'running';
  run.startedAt = rec.now();
  const stage = rec.addStage({ name: `deploy:${env.name}`, kind: 'deploy', environment: env.name, status: 'pending', steps: [] });
  await rec.save();
  ctx.progress(`${pipeline.name} #${run.number} heal of ${env.name}: ${due.map((o) => `${o.host} (${o.classification?.reasons.join('; ')})`).join(', ')}`);
  let ok = false;
  let error: string | undefined;
  try {
    ok = await healHosts(ctx, rec, pipeline, env, stage, due.map((o) => ({ host: o.host, facts: o.healFacts! })));
    if (!ok) error = `heal of ${env.name} failed${stage.error ? `: ${stage.error}` : ''}`;
  } catch (e) {
    error = `heal of ${env.name} failed: ${errorMessage(e)}`;
  }
  run.status = ok ? 'deployed' : 'failed';
  run.finishedAt = rec.now();
  // Not the commit's fault either way, and never retried as a commit run (heal is not a commit trigger).
  if (!ok) run.cause = 'infrastructure';
  if (error) run.error = rec.mask(error);
  await rec.save();
  return { run, ok, hosts: due.map((o) => o.host) };
}

/** The desired commit's info: from the run that deployed it, else from the mirror. */
async function commitOf(stateDir: string, pipeline: string, desired: { commit: string; run: number }): Promise<RunRecord['commit']> {
  const byRun = desired.run > 0 ? await readRun(stateDir, pipeline, desired.run).catch(() => undefined) : undefined;
  if (byRun?.commit.id === desired.commit) return byRun.commit;
  return readCommitInfo(statePaths(stateDir).git(pipeline), desired.commit).catch(() => ({
    id: desired.commit,
    message: '',
    author: { name: '', email: '' },
    time: new Date(0).toISOString(),
  }));
}
