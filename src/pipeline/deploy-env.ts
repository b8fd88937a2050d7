import type { EnvironmentConfig, PipelineConfig } from '../config/types.ts';
import type { HostRelease, StageRecord } from '../state/types.ts';
import { readHostState, writeHostState, readPipelineState, writePipelineState } from '../state/store.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import { connectHost, deployHost, pruneHost, rollbackHost, type HostDeploy, type HostDeployInput } from './deploy-host.ts';
import { releaseName } from './remote-commands.ts';
import { planBatches } from './plan.ts';

/**
 * Deploys the run's commit to one environment: every host is connected and its facts read
 * first (an unreachable host fails the environment before anything changes), then hosts go in
 * batches; any failure rolls back every host this deploy touched, and the environment keeps
 * the commit it had.
 */
export async function deployEnvironment(ctx: RunContext, rec: RunRecorder, pipeline: PipelineConfig, env: EnvironmentConfig, stage: StageRecord): Promise<boolean> {
  stage.status = 'running';
  stage.startedAt ??= rec.now();
  const release = releaseName(rec.run.commit.id, ctx.now());
  const deploys: HostDeploy[] = env.hosts.map((name) => {
    const host = ctx.config.hosts[name]!;
    return { host, staged: false, switched: false, outcome: { host: name, status: 'pending', release } };
  });
  stage.hosts = deploys.map((d) => d.outcome);
  await rec.save();
  const input: HostDeployInput = { ctx, rec, stage, pipeline, env, release };

  const connected = await Promise.all(deploys.map((d) => connectHost(input, d)));
  let ok = connected.every(Boolean);
  for (const [i, d] of deploys.entries()) {
    if (!connected[i]) {
      d.outcome.status = 'failed';
      d.outcome.error = stage.steps.find((s) => s.host === d.host.name && s.status === 'failed')?.error ?? 'cannot connect';
    } else if (d.facts?.current) {
      d.outcome.previousRelease = d.facts.current;
    }
  }
  if (ok) {
    for (const batch of planBatches(deploys, env.batch)) {
      const results = await Promise.all(batch.map((d) => deployHost(input, d)));
      if (!results.every(Boolean)) {
        ok = false;
        break;
      }
    }
  }
  for (const d of deploys) if (d.outcome.status === 'pending') d.outcome.status = 'untouched';

  if (!ok) {
    await Promise.all(deploys.filter((d) => d.staged || d.switched).map((d) => rollbackHost(input, d)));
    stage.status = 'failed';
    stage.error = rec.mask(deploys.filter((d) => d.outcome.error).map((d) => `${d.host.name}: ${d.outcome.error}`).join('; ') || 'deploy failed');
    stage.finishedAt = rec.now();
    await recordHosts(ctx, rec, pipeline, deploys, undefined);
    await rec.save();
    return false;
  }
  await Promise.all(deploys.map((d) => pruneHost(input, d)));
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
    if (!d.facts) continue;
    const hs = await readHostState(stateDir, d.host.name);
    const before = hs.pipelines[pipeline.name] ?? { releases: [] };
    const now = rec.now();
    const known = (name: string | undefined): HostRelease | undefined => {
      if (!name) return undefined;
      if (before.current?.release === name) return before.current;
      if (before.previous?.release === name) return before.previous;
      return { release: name, commit: name === d.facts?.current ? (d.facts.revision ?? '') : '', deployedAt: now, run: 0 };
    };
    const entry = { ...before, releases: d.facts.releases.filter((r) => r !== release || d.outcome.status === 'deployed') };
    if (release && d.outcome.status === 'deployed') {
      entry.current = { release, commit: rec.run.commit.id, deployedAt: now, run: rec.run.number };
      const prev = known(d.facts.current);
      if (prev) entry.previous = prev;
      else delete entry.previous;
      if (!entry.releases.includes(release)) entry.releases = [...entry.releases, release].sort();
    } else {
      const cur = known(d.facts.current);
      if (cur) entry.current = cur;
      entry.releases = entry.releases.filter((r) => r !== d.outcome.release);
    }
    hs.pipelines[pipeline.name] = entry;
    await writeHostState(stateDir, hs);
  }
}
