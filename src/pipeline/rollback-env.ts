import type { EnvironmentConfig, PipelineConfig } from '../config/types.ts';
import type { StageRecord } from '../state/types.ts';
import { readHostState, writeHostState, readPipelineState, writePipelineState } from '../state/store.ts';
import { appendAudit } from '../state/audit.ts';
import { hostEntry, setHostEntry } from '../state/host-key.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import { runStep } from './step.ts';
import { planBatches } from './plan.ts';
import * as remote from './remote-commands.ts';
import { commandEnv, connectHost, remoteExec, stepId, waitHealthy, type HostDeploy, type HostDeployInput } from './deploy-host.ts';
import { keepLocksFresh, lockHost, unlockHost } from './deploy-lock.ts';

/**
 * `slipway rollback`: every host of the environment switches back to the release before its
 * current one, restarts and must pass the health check. All hosts are connected, locked and
 * checked to have such a release before any is switched; if one fails to come back healthy, the
 * hosts already switched go forward again, so the environment never ends half rolled back.
 */
export async function rollbackEnvironment(ctx: RunContext, rec: RunRecorder, pipeline: PipelineConfig, env: EnvironmentConfig, stage: StageRecord): Promise<boolean> {
  stage.status = 'running';
  stage.startedAt ??= rec.now();
  const deploys: HostDeploy[] = env.hosts.map((name) => ({ host: ctx.config.hosts[name]!, staged: false, switched: false, outcome: { host: name, status: 'pending' } }));
  stage.hosts = deploys.map((d) => d.outcome);
  await rec.save();
  const base: HostDeployInput = { ctx, rec, stage, pipeline, env, release: '' };

  let ok = (await Promise.all(deploys.map((d) => connectHost(base, d)))).every(Boolean);
  const fresh = keepLocksFresh(base, deploys);
  const targets = new Map<HostDeploy, string>();
  try {
    if (ok) ok = (await Promise.all(deploys.map((d) => lockHost(base, d)))).every(Boolean);
    for (const d of deploys) {
      const target = d.facts ? remote.previousRelease(d.facts) : undefined;
      if (target) targets.set(d, target);
      else if (d.facts) {
        ok = false;
        d.outcome.status = 'failed';
        d.outcome.error = d.facts.current ? `no release before ${d.facts.current} on this host` : 'nothing deployed on this host';
      }
    }
    const switchTo = async (d: HostDeploy, release: string, what: string): Promise<boolean> => {
      const input = { ...base, release };
      const vars = { ...commandEnv(input, d), SLIPWAY_COMMIT: d.facts?.commits[release] ?? '' };
      const r = await runStep(ctx, rec, stage, { id: stepId(env, d.host, what), name: `${d.host.name}: switch to ${release}`, host: d.host.name }, async (log) => {
        const conn = await ctx.pool.get(d.host.name);
        const spec = env.deploy;
        const audit = `${rec.now()} ${release} ${vars.SLIPWAY_COMMIT} rollback=${pipeline.name}#${rec.run.number} by=${ctx.actor}`;
        const switched = await remoteExec(conn, `${remote.switchScript(spec.path, release)}; ${remote.revisionLogScript(spec.path, audit)}`, log, { timeoutMs: spec.commandTimeoutMs });
        if (!switched.ok) return { ...switched, error: `switch: ${switched.error}` };
        if (!spec.restart) {
          const healthy = await waitHealthy(conn, env, release, vars, log);
          return healthy.ok ? healthy : { ...healthy, error: `health check: ${healthy.error}` };
        }
        const restart = remote.userCommand(spec.path, release, vars, spec.restart);
        const restarted = await remoteExec(conn, restart.script, log, { timeoutMs: spec.commandTimeoutMs, stdin: restart.stdin });
        if (!restarted.ok) return { ...restarted, error: `restart: ${restarted.error}` };
        const healthy = await waitHealthy(conn, env, release, vars, log);
        return healthy.ok ? healthy : { ...healthy, error: `health check: ${healthy.error}` };
      });
      if (!r.ok) d.outcome.error = r.error ?? 'failed';
      return r.ok;
    };

    const done: HostDeploy[] = [];
    if (ok) {
      for (const batch of planBatches(deploys, env.batch)) {
        // A host counts as switched from the moment its switch starts: if its restart or health
        // check fails, it goes forward again with the others.
        const results = await Promise.all(batch.map((d) => (done.push(d), switchTo(d, targets.get(d)!, 'rollback'))));
        if (!results.every(Boolean)) {
          ok = false;
          break;
        }
      }
      if (!ok) {
        // Forward again to what each of these hosts ran before this command.
        await Promise.all(done.map((d) => switchTo(d, d.facts!.current!, 'roll-forward')));
      }
    }
  } finally {
    fresh.stop();
    // In a finally: whatever went wrong above, this state folder's locks do not outlive the command.
    await Promise.all(deploys.map((d) => unlockHost(base, d)));
  }
  for (const d of deploys) {
    if (d.outcome.status === 'pending') d.outcome.status = ok ? 'rolled-back' : d.outcome.error ? 'failed' : 'untouched';
  }
  if (ok) await recordRollback(ctx, rec, pipeline, env, deploys, targets);
  stage.status = ok ? 'passed' : 'failed';
  if (!ok) stage.error = rec.mask(deploys.filter((d) => d.outcome.error).map((d) => `${d.host.name}: ${d.outcome.error}`).join('; ') || 'rollback failed');
  stage.finishedAt = rec.now();
  await rec.save();
  await appendAudit(ctx.config.settings.stateDir, {
    version: 1, time: rec.now(), action: 'rollback', pipeline: pipeline.name, environment: env.name, run: rec.run.number,
    commit: rec.run.commit.id, hosts: env.hosts, by: ctx.actor, result: ok ? 'ok' : 'failed', ...(stage.error ? { error: stage.error } : {}),
  });
  return ok;
}

async function recordRollback(ctx: RunContext, rec: RunRecorder, pipeline: PipelineConfig, env: EnvironmentConfig, deploys: HostDeploy[], targets: Map<HostDeploy, string>): Promise<void> {
  const stateDir = ctx.config.settings.stateDir;
  const now = rec.now();
  for (const d of deploys) {
    const target = targets.get(d)!;
    d.outcome.release = target;
    const hs = await readHostState(stateDir, d.host.name);
    const entry = hostEntry(hs, pipeline.name, env.deploy.path) ?? { releases: [] };
    const before = remote.previousRelease({ current: target, releases: d.facts!.releases, commits: {} });
    const beforeCommit = before ? d.facts!.commits[before] : undefined;
    setHostEntry(hs, pipeline.name, env.deploy.path, {
      releases: d.facts!.releases,
      current: { release: target, commit: d.facts!.commits[target] ?? rec.run.commit.id, deployedAt: now, run: rec.run.number },
      // Claimed only with its commit: a release without a readable REVISION is not named.
      ...(before && beforeCommit ? { previous: { release: before, commit: beforeCommit, deployedAt: entry.previous?.deployedAt ?? now, run: 0 } } : {}),
    });
    await writeHostState(stateDir, hs);
  }
  const first = deploys[0] ? targets.get(deploys[0]) : undefined;
  const state = await readPipelineState(stateDir, pipeline.name);
  if (first) state.environments[env.name] = { commit: rec.run.commit.id, release: first, deployedAt: now, run: rec.run.number };
  await writePipelineState(stateDir, state);
}
