import type { EnvironmentConfig, PipelineConfig } from '../config/types.ts';
import type { HostRelease, StageRecord } from '../state/types.ts';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readHostState, writeHostState, readPipelineState, writePipelineState, statePaths } from '../state/store.ts';
import { appendAudit } from '../state/audit.ts';
import { writeTree } from '../git/tree.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import { connectHost, deployHost, lockHost, pruneHost, rollbackHost, unlockHost, type HostDeploy, type HostDeployInput } from './deploy-host.ts';
import { releaseName } from './remote-commands.ts';
import { planBatches } from './plan.ts';
import { deployFirstBatch } from './once-steps.ts';

/**
 * Deploys the run's commit to one environment: every host is connected and its facts read
 * first (an unreachable host fails the environment before anything changes), then hosts go in
 * batches; any failure rolls back every host this deploy touched, and the environment keeps
 * the commit it had.
 */
export async function deployEnvironment(ctx: RunContext, rec: RunRecorder, pipeline: PipelineConfig, env: EnvironmentConfig, stage: StageRecord): Promise<boolean> {
  const uploadDir = env.deploy.source === 'upload' ? join(statePaths(ctx.config.settings.stateDir).work, pipeline.name, `upload-${rec.run.number}-${env.name}`) : undefined;
  try {
    if (uploadDir) {
      // The exact tested tree, written once from the mirror and streamed to every host.
      await rm(uploadDir, { recursive: true, force: true });
      await writeTree({ gitdir: statePaths(ctx.config.settings.stateDir).git(pipeline.name), sha: rec.run.commit.id, dir: uploadDir });
    }
    const ok = await deployHosts(ctx, rec, pipeline, env, stage, uploadDir);
    const hosts = stage.hosts ?? [];
    await appendAudit(ctx.config.settings.stateDir, {
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
  const release = releaseName(rec.run.commit.id, ctx.now());
  const deploys: HostDeploy[] = env.hosts.map((name) => {
    const host = ctx.config.hosts[name]!;
    return { host, staged: false, switched: false, outcome: { host: name, status: 'pending', release } };
  });
  stage.hosts = deploys.map((d) => d.outcome);
  await rec.save();
  const input: HostDeployInput = { ctx, rec, stage, pipeline, env, release, ...(uploadDir ? { uploadDir } : {}) };

  const connected = await Promise.all(deploys.map((d) => connectHost(input, d)));
  let ok = connected.every(Boolean);
  // Every host locked before any is changed: a deploy that cannot have them all changes none.
  if (ok) ok = (await Promise.all(deploys.map((d) => lockHost(input, d)))).every(Boolean);
  for (const d of deploys) {
    const failed = stage.steps.find((s) => s.host === d.host.name && s.status === 'failed');
    if (failed) {
      d.outcome.status = 'failed';
      d.outcome.error = failed.error ?? 'cannot connect';
    } else if (d.initial?.current) {
      d.outcome.previousRelease = d.initial.current;
    }
  }
  if (ok) {
    for (const [index, batch] of planBatches(deploys, env.batch).entries()) {
      const results = index === 0 && env.deploy.onceSteps.length > 0 ? await deployFirstBatch(input, batch) : await Promise.all(batch.map((d) => deployHost(input, d)));
      if (!results.every(Boolean)) {
        ok = false;
        break;
      }
    }
  }
  for (const d of deploys) if (d.outcome.status === 'pending') d.outcome.status = 'untouched';

  if (!ok) {
    await Promise.all(deploys.filter((d) => d.staged || d.switched).map((d) => rollbackHost(input, d)));
    await Promise.all(deploys.map((d) => unlockHost(input, d)));
    stage.status = 'failed';
    stage.error = rec.mask(deploys.filter((d) => d.outcome.error).map((d) => `${d.host.name}: ${d.outcome.error}`).join('; ') || 'deploy failed');
    stage.finishedAt = rec.now();
    await recordHosts(ctx, rec, pipeline, deploys, undefined);
    await rec.save();
    return false;
  }
  await Promise.all(deploys.map((d) => pruneHost(input, d)));
  await Promise.all(deploys.map((d) => unlockHost(input, d)));
  await recordHosts(ctx, rec, pipeline, deploys, release);
  const state = await readPipelineState(ctx.config.settings.stateDir, pipeline.name);
  state.environments[env.name] = { commit: rec.run.commit.id, release, deployedAt: rec.now(), run: rec.run.number };
  await writePipelineState(ctx.config.settings.stateDir, state);
  stage.status = 'passed';
  stage.finishedAt = rec.now();
  await rec.save();
  return true;
}

/** STATE/hosts/HOST.json: what each host runs now, as read from the host, after the deploy or the rollback. */
async function recordHosts(ctx: RunContext, rec: RunRecorder, pipeline: PipelineConfig, deploys: HostDeploy[], release: string | undefined): Promise<void> {
  const stateDir = ctx.config.settings.stateDir;
  for (const d of deploys) {
    const initial = d.initial;
    if (!initial) continue;
    const hs = await readHostState(stateDir, d.host.name);
    const before = hs.pipelines[pipeline.name] ?? { releases: [] };
    const now = rec.now();
    const known = (name: string | undefined): HostRelease | undefined => {
      if (!name) return undefined;
      if (before.current?.release === name) return before.current;
      if (before.previous?.release === name) return before.previous;
      return { release: name, commit: initial.commits[name] ?? '', deployedAt: now, run: 0 };
    };
    const previous = known(initial.current);
    if (release && d.outcome.status === 'deployed') {
      hs.pipelines[pipeline.name] = {
        releases: (d.facts ?? initial).releases,
        current: { release, commit: rec.run.commit.id, deployedAt: now, run: rec.run.number },
        ...(previous ? { previous } : {}),
      };
    } else if (d.switched && d.outcome.status === 'failed') {
      // Switched, and the rollback failed too: what runs there is unknown until someone looks
      // (status --live asks the host), so no `current` is claimed.
      const { current: _unknown, ...rest } = before;
      hs.pipelines[pipeline.name] = { ...rest, releases: initial.releases };
    } else {
      // Rolled back or untouched: the host runs what it ran before; the failed release is gone.
      hs.pipelines[pipeline.name] = {
        ...before,
        releases: initial.releases.filter((r) => r !== d.outcome.release),
        ...(previous ? { current: previous } : {}),
      };
    }
    await writeHostState(stateDir, hs);
  }
}
