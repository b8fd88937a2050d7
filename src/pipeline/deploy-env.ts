import type { EnvironmentConfig, PipelineConfig } from '../config/types.ts';
import type { HostRelease, StageRecord } from '../state/types.ts';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readHostState, writeHostState, readPipelineState, writePipelineState, statePaths } from '../state/store.ts';
import { appendAudit } from '../state/audit.ts';
import { writeTree } from '../git/tree.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import { connectHost, deployHost, pruneHost, rollbackHost, type HostDeploy, type HostDeployInput } from './deploy-host.ts';
import { keepLocksFresh, lockHost, unlockHost } from './deploy-lock.ts';
import { errorMessage } from './failure.ts';
import { releaseName } from './remote-commands.ts';
import { StateError } from '../errors.ts';
import { hostEntry, setHostEntry } from '../state/host-key.ts';
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

  const fresh = keepLocksFresh(input, deploys);
  let thrown: unknown;
  let ok = false;
  try {
    ok = await lockAndDeploy(input, deploys);
  } catch (e) {
    // Something broke outside any step (a state file, the report): the hosts still go back
    // and the locks are still released, then the run ends failed with this error.
    thrown = e;
    ok = false;
  } finally {
    fresh.stop();
    for (const d of deploys) if (d.outcome.status === 'pending') d.outcome.status = 'untouched';
    if (!ok) await Promise.all(deploys.filter((d) => d.staged || d.switched).map((d) => rollbackHost(input, d).catch(() => false)));
    await Promise.all(deploys.map((d) => unlockHost(input, d).catch(() => undefined)));
  }
  if (!ok) {
    stage.status = 'failed';
    const errors = deploys.filter((d) => d.outcome.error).map((d) => `${d.host.name}: ${d.outcome.error}`);
    if (thrown !== undefined) errors.push(errorMessage(thrown));
    stage.error = rec.mask(errors.join('; ') || 'deploy failed');
    stage.finishedAt = rec.now();
    await recordHosts(input, deploys, undefined);
    await rec.save();
    if (thrown !== undefined) throw thrown;
    return false;
  }
  await recordHosts(input, deploys, input.release);
  const state = await readPipelineState(ctx.config.settings.stateDir, pipeline.name);
  state.environments[env.name] = { commit: rec.run.commit.id, release: input.release, deployedAt: rec.now(), run: rec.run.number };
  await writePipelineState(ctx.config.settings.stateDir, state);
  stage.status = 'passed';
  stage.finishedAt = rec.now();
  await rec.save();
  return true;
}

/** Connect, lock every host, then deploy batch by batch; true when every host took the release healthy. */
async function lockAndDeploy(input: HostDeployInput, deploys: HostDeploy[]): Promise<boolean> {
  const { env, stage, rec } = input;
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
  // A state folder that cannot be written (a full disk) must not be changing hosts it cannot record.
  if (ok && rec.saveFailed) throw new StateError(`cannot record the deploy: ${rec.saveError ?? 'the run file could not be written'}; nothing was changed`);
  if (!ok) return false;
  // Waited for a lock: another deploy may have changed the hosts since they were read.
  if (stage.steps.some((s) => s.id.includes('-lock-wait'))) {
    const reread = await Promise.all(deploys.map((d) => connectHost(input, d)));
    if (!reread.every(Boolean)) return false;
    for (const d of deploys) if (d.initial?.current) d.outcome.previousRelease = d.initial.current;
  }
  // Named now, holding every lock: a name another deploy already used (the same commit in the
  // same second, by another slipway) moves on by a second.
  const taken = new Set(deploys.flatMap((d) => d.initial?.releases ?? []));
  let at = input.ctx.now().getTime();
  while (taken.has(releaseName(rec.run.commit.id, new Date(at)))) at += 1000;
  input.release = releaseName(rec.run.commit.id, new Date(at));
  for (const d of deploys) d.outcome.release = input.release;
  for (const [index, batch] of planBatches(deploys, env.batch).entries()) {
    // `{ run, once: true }` steps: the first batch is staged, they run on its first host, then it switches.
    const results = index === 0 && env.deploy.onceSteps.length > 0 ? await deployFirstBatch(input, batch) : await Promise.all(batch.map((d) => deployHost(input, d)));
    if (!results.every(Boolean)) return false;
  }
  await Promise.all(deploys.map((d) => pruneHost(input, d)));
  return true;
}

/** STATE/hosts/HOST.json: what each host runs now, as read from the host, after the deploy or the rollback. */
async function recordHosts(input: HostDeployInput, deploys: HostDeploy[], release: string | undefined): Promise<void> {
  const { ctx, rec, pipeline } = input;
  const stateDir = ctx.config.settings.stateDir;
  for (const d of deploys) {
    const initial = d.initial;
    if (!initial) continue;
    const hs = await readHostState(stateDir, d.host.name);
    const path = input.env.deploy.path;
    // `pipeline` is the key of the path entry, not part of what a pipeline entry holds.
    const { pipeline: _p, ...before } = { pipeline: '', ...(hostEntry(hs, pipeline.name, path) ?? { releases: [] }) };
    const now = rec.now();
    const known = (name: string | undefined): HostRelease | undefined => {
      if (!name) return undefined;
      if (before.current?.release === name) return before.current;
      if (before.previous?.release === name) return before.previous;
      const commit = initial.commits[name] ?? (name === initial.current ? initial.revision : undefined);
      // A release without a readable REVISION (made by hand, or half made elsewhere) is not claimed.
      return commit ? { release: name, commit, deployedAt: now, run: 0 } : undefined;
    };
    const previous = known(initial.current);
    if (release && d.outcome.status === 'deployed') {
      setHostEntry(hs, pipeline.name, path, {
        releases: (d.facts ?? initial).releases,
        current: { release, commit: rec.run.commit.id, deployedAt: now, run: rec.run.number },
        ...(previous ? { previous } : {}),
      });
    } else if (d.switched && d.outcome.status === 'failed') {
      // Switched, and the rollback failed too: what runs there is unknown until someone looks
      // (status --live asks the host), so no `current` is claimed.
      const { current: _unknown, ...rest } = before;
      setHostEntry(hs, pipeline.name, path, { ...rest, releases: initial.releases });
    } else {
      // Rolled back or untouched: the host runs what it ran before; the failed release is gone.
      setHostEntry(hs, pipeline.name, path, {
        ...before,
        releases: initial.releases.filter((r) => r !== d.outcome.release),
        ...(previous ? { current: previous } : {}),
      });
    }
    await writeHostState(stateDir, hs);
  }
}
