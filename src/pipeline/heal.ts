// A heal run's deploy stage (trigger: heal): hosts that drifted from what the environment
// should run are put back — switched to the desired release when it is still whole on the host,
// redeployed (a fresh release of the desired commit) when it is gone, restarted when only the
// health check fails. Locks are taken as a deploy takes them, so a heal never races a deploy.
// The run's commit is the environment's desired commit (the caller makes the run so).
import type { EnvironmentConfig, PipelineConfig } from '../config/types.ts';
import type { StageRecord } from '../state/types.ts';
import { readHostState, writeHostState, readPipelineState } from '../state/store.ts';
import { appendAudit } from '../state/audit.ts';
import { hostEntry, setHostEntry } from '../state/host-key.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import type { HostFacts } from './host-facts.ts';
import { runStep } from './step.ts';
import * as remote from './remote-commands.ts';
import { commandEnv, deployHost, pruneHost, remoteExec, rollbackHost, stepId, waitHealthy, type HostDeploy, type HostDeployInput } from './deploy-host.ts';
import { keepLocksFresh, lockHost, unlockHost } from './deploy-lock.ts';
import { describeHeal, planHeal, type DesiredState, type HealAction } from './heal-plan.ts';
import { errorMessage } from './failure.ts';
import { SlipwayError } from '../errors.ts';

export { planHeal, describeHeal, type HealAction, type DesiredState } from './heal-plan.ts';

/** True when every given host runs the desired commit healthy at the end. */
export async function healHosts(
  ctx: RunContext,
  rec: RunRecorder,
  pipeline: PipelineConfig,
  env: EnvironmentConfig,
  stage: StageRecord,
  hosts: Array<{ host: string; facts: HostFacts }>,
): Promise<boolean> {
  const stateDir = ctx.config.settings.stateDir;
  stage.status = 'running';
  stage.startedAt ??= rec.now();
  const recorded = (await readPipelineState(stateDir, pipeline.name)).environments[env.name];
  const desired: DesiredState | undefined = recorded ? { commit: recorded.commit, release: recorded.release } : undefined;
  const release = remote.releaseName(rec.run.commit.id, ctx.now());
  const deploys: Array<HostDeploy & { action?: HealAction }> = hosts.map(({ host, facts }) => ({
    host: ctx.config.hosts[host]!,
    facts,
    initial: facts,
    staged: false,
    switched: false,
    outcome: { host, status: 'pending' },
  }));
  stage.hosts = deploys.map((d) => d.outcome);
  await rec.save();
  const input: HostDeployInput = { ctx, rec, stage, pipeline, env, release };
  let thrown: unknown;
  const fresh = keepLocksFresh(input, deploys);
  try {
    if (!desired) throw new SlipwayError(`${env.name} has no recorded deploy to heal back to`);
    for (const d of deploys) d.conn = await ctx.pool.get(d.host.name);
    const locked = (await Promise.all(deploys.map((d) => lockHost(input, d)))).every(Boolean);
    if (!locked) {
      for (const d of deploys) if (d.lockRefused) Object.assign(d.outcome, { status: 'failed', error: 'deploy lock held; not healed' });
    } else {
      // A name no release of these hosts has: the same rule as a deploy's.
      const taken = new Set(deploys.flatMap((d) => d.facts?.releases ?? []));
      let at = ctx.now().getTime();
      while (taken.has(remote.releaseName(rec.run.commit.id, new Date(at)))) at += 1000;
      input.release = remote.releaseName(rec.run.commit.id, new Date(at));
      await Promise.all(deploys.map((d) => healHost(input, d, desired)));
    }
  } catch (e) {
    thrown = e;
  } finally {
    fresh.stop();
    await Promise.all(deploys.map((d) => unlockHost(input, d).catch(() => undefined)));
  }
  for (const d of deploys) if (d.outcome.status === 'pending') d.outcome.status = 'untouched';
  const ok = thrown === undefined && deploys.every((d) => d.outcome.status === 'deployed' || (d.outcome.status === 'untouched' && !d.action));
  if (desired) await recordHealed(input, deploys, desired);
  stage.status = ok ? 'passed' : 'failed';
  if (!ok) {
    const errors = deploys.filter((d) => d.outcome.error).map((d) => `${d.host.name}: ${d.outcome.error}`);
    if (thrown !== undefined) errors.push(errorMessage(thrown));
    stage.error = rec.mask(errors.join('; ') || 'heal failed');
  }
  stage.finishedAt = rec.now();
  await rec.save();
  await appendAudit(stateDir, {
    version: 1,
    time: rec.now(),
    action: 'heal',
    pipeline: pipeline.name,
    environment: env.name,
    run: rec.run.number,
    commit: rec.run.commit.id,
    hosts: hosts.map((h) => h.host),
    by: ctx.actor,
    result: ok ? 'ok' : 'failed',
    ...(stage.error ? { error: stage.error } : {}),
  });
  return ok;
}

async function healHost(input: HostDeployInput, d: HostDeploy & { action?: HealAction }, desired: DesiredState): Promise<void> {
  const action = planHeal(d.facts!, desired);
  d.action = action;
  if (!action) return;
  if (action.kind === 'redeploy') {
    d.outcome.release = input.release;
    if (d.initial?.current) d.outcome.previousRelease = d.initial.current;
    if (await deployHost(input, d)) {
      await pruneHost(input, d);
      return;
    }
    const error = d.outcome.error;
    if (d.staged || d.switched) await rollbackHost(input, d).catch(() => false);
    d.outcome.status = 'failed';
    d.outcome.error = error ?? d.outcome.error ?? 'redeploy failed';
    return;
  }
  const target = action.kind === 'switch' ? action.release : d.facts!.current!;
  d.outcome.release = target;
  const { ctx, rec, env, pipeline } = input;
  const spec = env.deploy;
  const vars = { ...commandEnv({ ...input, release: target }, d), SLIPWAY_COMMIT: desired.commit };
  const r = await runStep(ctx, rec, input.stage, { id: stepId(env, d.host, `heal-${action.kind}`), name: `${d.host.name}: ${describeHeal(action)}`, host: d.host.name }, async (log) => {
    const conn = d.conn!;
    if (ctx.signal?.aborted) return { ok: false, error: 'not started: the run was stopped', cause: 'infrastructure' as const };
    if (action.kind === 'switch') {
      const audit = `${rec.now()} ${target} ${desired.commit} heal=${pipeline.name}#${rec.run.number} by=${ctx.actor}`;
      const switched = await remoteExec(conn, `${remote.switchScript(spec.path, target)}; ${remote.revisionLogScript(spec.path, audit)}`, log, { timeoutMs: spec.commandTimeoutMs });
      if (!switched.ok) return { ...switched, error: `switch: ${switched.error}` };
    }
    if (spec.restart) {
      const restart = remote.userCommand(spec.path, target, vars, spec.restart);
      const restarted = await remoteExec(conn, restart.script, log, { timeoutMs: spec.commandTimeoutMs, stdin: restart.stdin });
      if (!restarted.ok) return { ...restarted, error: `restart: ${restarted.error}` };
    }
    const healthy = await waitHealthy(conn, env, target, vars, log);
    return healthy.ok ? healthy : { ...healthy, error: `health check: ${healthy.error}` };
  });
  d.outcome.status = r.ok ? 'deployed' : 'failed';
  if (!r.ok) d.outcome.error = r.error ?? 'heal failed';
}

/** STATE/hosts: a healed host runs the desired commit; a failed one is left as it was recorded. */
async function recordHealed(input: HostDeployInput, deploys: Array<HostDeploy & { action?: HealAction }>, desired: DesiredState): Promise<void> {
  const { ctx, rec, pipeline, env } = input;
  const stateDir = ctx.config.settings.stateDir;
  for (const d of deploys) {
    if (!d.action || d.outcome.status !== 'deployed' || !d.outcome.release) continue;
    const hs = await readHostState(stateDir, d.host.name);
    const before = hostEntry(hs, pipeline.name, env.deploy.path);
    const { pipeline: _p, ...entry } = { pipeline: '', releases: [] as string[], ...before };
    const release = d.outcome.release;
    const current = before?.current?.release === release ? before.current : { release, commit: desired.commit, deployedAt: rec.now(), run: rec.run.number };
    setHostEntry(hs, pipeline.name, env.deploy.path, { ...entry, releases: d.facts?.releases ?? entry.releases, current });
    await writeHostState(stateDir, hs);
  }
}
