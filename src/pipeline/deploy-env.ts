import type { EnvironmentConfig, PipelineConfig } from '../config/types.ts';
import type { HostOutcome, StageRecord } from '../state/types.ts';
import { rm } from 'node:fs/promises';
import { readHostState, writeHostState, readPipelineState, writePipelineState, statePaths } from '../state/store.ts';
import { appendAudit } from '../state/audit.ts';
import { hostEntry, setHostEntry } from '../state/host-key.ts';
import { writeTree } from '../git/tree.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import { errorMessage } from './failure.ts';
import { chooseRelease, planDeploy } from './deploy-plan.ts';
import { connectPlanApply, type Applied } from './env-apply.ts';
import { hostOutcome, nextEnvironment, nextHostAfterDeploy } from './host-record.ts';
import { releaseName } from './remote-commands.ts';

/**
 * Deploys the run's commit to one environment: every host is connected, locked and read first
 * (an unreachable host fails the environment before anything changes), the plan is decided from
 * what they run, then applied batch by batch; any failure rolls back every host this deploy
 * touched, and the environment keeps the commit it had.
 */
export async function deployEnvironment(ctx: RunContext, rec: RunRecorder, pipeline: PipelineConfig, env: EnvironmentConfig, stage: StageRecord): Promise<boolean> {
  const stateDir = ctx.config.settings.stateDir;
  const uploadDir = env.deploy.source === 'upload' ? statePaths(stateDir).uploadTree(pipeline.name, rec.run.number, env.name) : undefined;
  try {
    if (uploadDir) {
      // The exact tested tree, written once from the mirror and streamed to every host.
      await rm(uploadDir, { recursive: true, force: true });
      await writeTree({ gitdir: statePaths(stateDir).git(pipeline.name), sha: rec.run.commit.id, dir: uploadDir });
    }
    const ok = await deployHosts(ctx, rec, pipeline, env, stage, uploadDir);
    const hosts = stage.hosts ?? [];
    await appendAudit(stateDir, {
      version: 1,
      time: rec.now(),
      action: 'deploy',
      pipeline: pipeline.name,
      environment: env.name,
      run: rec.run.number,
      commit: rec.run.commit.id,
      ...(hosts[0]?.release ? { release: hosts[0].release } : {}),
      hosts: env.hosts,
      by: ctx.actor,
      result: ok ? 'ok' : hosts.some((h) => h.status === 'rolled-back') ? 'rolled-back' : 'failed',
      ...(stage.error ? { error: stage.error } : {}),
    });
    return ok;
  } finally {
    if (uploadDir) await rm(uploadDir, { recursive: true, force: true });
  }
}

async function deployHosts(ctx: RunContext, rec: RunRecorder, pipeline: PipelineConfig, env: EnvironmentConfig, stage: StageRecord, uploadDir: string | undefined): Promise<boolean> {
  stage.status = 'running';
  stage.startedAt ??= rec.now();
  const planned = releaseName(rec.run.commit.id, ctx.now());
  stage.hosts = env.hosts.map((host) => ({ host, status: 'pending', release: planned }));
  await rec.save();
  const artifact = rec.run.artifact;
  let applied: Applied | undefined;
  let thrown: unknown;
  try {
    applied = await connectPlanApply(ctx, rec, stage, env, {
      undo: 'environment',
      decide: (hosts) =>
        planDeploy({
          pipeline,
          env,
          hosts,
          commit: rec.run.commit.id,
          // Named now, holding every lock: a name another deploy already used moves on by a second.
          release: chooseRelease(rec.run.commit.id, ctx.now(), hosts.flatMap((h) => h.facts.releases)),
          run: { number: rec.run.number, ...(artifact ? { artifact } : {}) },
          at: rec.now(),
          actor: ctx.actor,
          ...(uploadDir ? { uploadDir } : {}),
          ...(artifact ? { artifactFile: statePaths(rec.stateDir).artifact(rec.run.pipeline, artifact.run) } : {}),
        }),
    });
  } catch (e) {
    // Something broke outside any step (a state file, the report): the run ends failed with it.
    thrown = e;
  }
  const outcomes = env.hosts.map((host) => {
    const hold = applied?.holds.find((h) => h.host === host);
    return hostOutcome(host, hold?.facts, applied?.plan, applied?.results[host], hold?.error);
  });
  stage.hosts = outcomes;
  const ok = thrown === undefined && applied?.plan !== undefined && outcomes.every((o) => o.status === 'deployed');
  if (applied) await recordHosts(ctx, rec, pipeline, env, applied, outcomes, ok);
  if (!ok) {
    stage.status = 'failed';
    const errors = outcomes.filter((o) => o.error).map((o) => `${o.host}: ${o.error}`);
    if (thrown !== undefined) errors.push(errorMessage(thrown));
    stage.error = rec.mask(errors.join('; ') || 'deploy failed');
    stage.finishedAt = rec.now();
    await rec.save();
    if (thrown !== undefined) throw thrown;
    return false;
  }
  const state = await readPipelineState(ctx.config.settings.stateDir, pipeline.name);
  state.environments[env.name] = nextEnvironment(rec.run.commit.id, outcomes[0]?.release ?? planned, rec.run.number, rec.now());
  await writePipelineState(ctx.config.settings.stateDir, state);
  stage.status = 'passed';
  stage.finishedAt = rec.now();
  await rec.save();
  return true;
}

/** STATE/hosts/HOST.json: what each host runs now, computed from what it ran and what the plan did. */
async function recordHosts(ctx: RunContext, rec: RunRecorder, pipeline: PipelineConfig, env: EnvironmentConfig, applied: Applied, outcomes: HostOutcome[], ok: boolean): Promise<void> {
  const stateDir = ctx.config.settings.stateDir;
  const now = rec.now();
  for (const outcome of outcomes) {
    const hold = applied.holds.find((h) => h.host === outcome.host);
    if (!hold?.facts) continue;
    const hs = await readHostState(stateDir, outcome.host);
    // `pipeline` is the key of the path entry, not part of what a pipeline entry holds.
    const { pipeline: _p, ...before } = { pipeline: '', ...(hostEntry(hs, pipeline.name, env.deploy.path) ?? { releases: [] }) };
    const result = applied.results[outcome.host];
    setHostEntry(
      hs,
      pipeline.name,
      env.deploy.path,
      nextHostAfterDeploy({
        before,
        facts: hold.facts,
        outcome: ok ? outcome : { ...outcome, status: outcome.status === 'deployed' ? 'untouched' : outcome.status },
        switched: result?.switched ?? false,
        pruned: ok || result?.pruned ? (applied.plan?.pruned[outcome.host] ?? []) : [],
        ...(result?.kept !== undefined ? { kept: result.kept } : {}),
        commit: rec.run.commit.id,
        run: rec.run.number,
        now,
      }),
    );
    await writeHostState(stateDir, hs);
  }
}
