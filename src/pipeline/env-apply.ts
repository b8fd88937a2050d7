// The frame deploy, rollback and heal share: connect, lock and read every host of the set (one
// exec each), decide the plan from those facts, apply it, and always release the locks. A host
// that cannot be connected or locked fails the whole set before anything changes.
import type { EnvironmentConfig } from '../config/types.ts';
import type { StageRecord } from '../state/types.ts';
import { StateError } from '../errors.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import type { HostResult, Plan } from './plan-types.ts';
import type { PlanHost } from './deploy-plan.ts';
import { connectHosts, type ExtraFacts, type HostHold } from './host-connect.ts';
import { keepLocksFresh } from './deploy-lock.ts';
import { applyPlan } from './apply-plan.ts';
import { unlockStep } from './host-steps.ts';

export interface Applied {
  holds: HostHold[];
  /** Undefined when a host could not be connected or locked (nothing was planned). */
  plan?: Plan;
  results: Record<string, HostResult>;
}

export async function connectPlanApply(
  ctx: RunContext,
  rec: RunRecorder,
  stage: StageRecord,
  env: EnvironmentConfig,
  opts: { hosts?: string[]; undo: 'environment' | 'host'; decide: (hosts: PlanHost[]) => Plan | Promise<Plan>; extra?: ExtraFacts },
): Promise<Applied> {
  const target = opts.hosts ? { ...env, hosts: opts.hosts } : env;
  const holds = await connectHosts(ctx, rec, stage, target, opts.extra);
  const fresh = keepLocksFresh(ctx, env, holds);
  const locksOnly = (): Plan => ({
    refusals: [],
    batches: [],
    release: {},
    pruned: {},
    finish: {},
    unlock: Object.fromEntries(holds.filter((h) => h.lock).map((h) => [h.host, unlockStep({ env, host: ctx.config.hosts[h.host]!, lock: h.lock! })])),
  });
  const apply = (plan: Plan) => applyPlan({ ctx, rec, stage, plan, timeoutMs: env.deploy.commandTimeoutMs, lockTimeoutMs: env.deploy.lockTimeoutMs, undo: opts.undo });
  try {
    if (holds.some((h) => h.error || !h.facts)) return { holds, results: await apply(locksOnly()) };
    // A state folder that cannot be written (a full disk) must not be changing hosts it cannot record.
    if (rec.saveFailed) throw new StateError(`cannot record the ${stage.kind === 'deploy' ? 'deploy' : 'change'}: ${rec.saveError ?? 'the run file could not be written'}; nothing was changed`);
    const plan = await opts.decide(holds.map((h) => ({ host: ctx.config.hosts[h.host]!, facts: h.facts!, lock: h.lock! })));
    return { holds, plan, results: await apply(plan) };
  } catch (e) {
    // Something broke outside any step (a state file): the locks still go.
    await apply(locksOnly()).catch(() => undefined);
    throw e;
  } finally {
    fresh.stop();
  }
}
