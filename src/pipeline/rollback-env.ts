import type { EnvironmentConfig, PipelineConfig } from '../config/types.ts';
import type { StageRecord } from '../state/types.ts';
import { readHostState, writeHostState, readPipelineState, writePipelineState } from '../state/store.ts';
import { appendAudit } from '../state/audit.ts';
import { hostEntry, setHostEntry } from '../state/host-key.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import { planRollback } from './deploy-plan.ts';
import { connectPlanApply, type Applied } from './env-apply.ts';
import { hostOutcome, nextEnvironment, nextHostAfterRollback } from './host-record.ts';
import { errorMessage } from './failure.ts';

/**
 * `slipway rollback`: every host of the environment switches back to the release before its
 * current one, restarts and must pass the health check. All hosts are connected, locked and
 * checked to have such a release before any is switched (planRollback); if one fails to come
 * back healthy, the hosts already switched go forward again (the plan's undo), so the
 * environment never ends half rolled back.
 */
export async function rollbackEnvironment(ctx: RunContext, rec: RunRecorder, pipeline: PipelineConfig, env: EnvironmentConfig, stage: StageRecord): Promise<boolean> {
  stage.status = 'running';
  stage.startedAt ??= rec.now();
  stage.hosts = env.hosts.map((host) => ({ host, status: 'pending' }));
  await rec.save();
  let applied: Applied | undefined;
  let thrown: unknown;
  try {
    applied = await connectPlanApply(ctx, rec, stage, env, {
      undo: 'environment',
      decide: (hosts) => planRollback({ pipeline, env, hosts, run: { number: rec.run.number }, at: rec.now(), actor: ctx.actor }),
    });
  } catch (e) {
    thrown = e;
  }
  const outcomes = env.hosts.map((host) => {
    const hold = applied?.holds.find((h) => h.host === host);
    const o = hostOutcome(host, hold?.facts, applied?.plan, applied?.results[host], hold?.error);
    // A rollback's hosts that went back are `rolled-back`; those the undo took forward again ran
    // what they ran: `untouched`, as the run page has always said.
    if (o.status === 'deployed') return { ...o, status: 'rolled-back' as const };
    if (o.status === 'rolled-back') return { ...o, status: o.error ? ('failed' as const) : ('untouched' as const) };
    return o;
  });
  stage.hosts = outcomes;
  const ok = thrown === undefined && applied?.plan !== undefined && outcomes.every((o) => o.status === 'rolled-back');
  if (ok && applied) await recordRollback(ctx, rec, pipeline, env, applied);
  stage.status = ok ? 'passed' : 'failed';
  if (!ok) {
    const errors = outcomes.filter((o) => o.error).map((o) => `${o.host}: ${o.error}`);
    if (thrown !== undefined) errors.push(errorMessage(thrown));
    stage.error = rec.mask(errors.join('; ') || 'rollback failed');
  }
  stage.finishedAt = rec.now();
  await rec.save();
  await appendAudit(ctx.config.settings.stateDir, {
    version: 1, time: rec.now(), action: 'rollback', pipeline: pipeline.name, environment: env.name, run: rec.run.number,
    commit: rec.run.commit.id, hosts: env.hosts, by: ctx.actor, result: ok ? 'ok' : 'failed', ...(stage.error ? { error: stage.error } : {}),
  });
  if (thrown !== undefined) throw thrown;
  return ok;
}

async function recordRollback(ctx: RunContext, rec: RunRecorder, pipeline: PipelineConfig, env: EnvironmentConfig, applied: Applied): Promise<void> {
  const stateDir = ctx.config.settings.stateDir;
  const now = rec.now();
  for (const hold of applied.holds) {
    const target = applied.plan?.release[hold.host];
    if (!target || !hold.facts) continue;
    const hs = await readHostState(stateDir, hold.host);
    const entry = hostEntry(hs, pipeline.name, env.deploy.path) ?? { releases: [] };
    setHostEntry(hs, pipeline.name, env.deploy.path, nextHostAfterRollback(entry, hold.facts, target, rec.run.commit.id, rec.run.number, now));
    await writeHostState(stateDir, hs);
  }
  const first = applied.plan?.release[env.hosts[0] ?? ''];
  const state = await readPipelineState(stateDir, pipeline.name);
  if (first) state.environments[env.name] = nextEnvironment(rec.run.commit.id, first, rec.run.number, now);
  await writePipelineState(stateDir, state);
}
