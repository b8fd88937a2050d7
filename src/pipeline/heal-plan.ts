// What a heal does to one host, decided from what the host runs (its facts, read in one exec)
// and what the environment should run (STATE/pipelines: its desired commit and release). Pure:
// pinned by table tests; the doing is in heal.ts.
import type { HostFacts } from './host-facts.ts';
import { currentComplete } from './host-facts.ts';
import type { Plan, PlanStep, Wave } from './plan-types.ts';
import { activateSteps, foldUnlock, prunedFor, refusal, scopeOf, stageSteps, switchTo, type DeployPlanInput } from './deploy-plan.ts';
import * as steps from './host-steps.ts';
import { commandEnv, healthStep, stepId, type HostScope } from './host-steps.ts';
import { userCommand } from './remote-commands.ts';

export type HealAction = { kind: 'switch'; release: string } | { kind: 'redeploy' } | { kind: 'restart' };

/** What the environment should run: its last deploy, as recorded in STATE/pipelines/NAME.json. */
export interface DesiredState {
  commit: string;
  release: string;
}

/**
 * undefined: the host runs the desired commit from a complete release and (when asked) is
 * healthy, so there is nothing to heal.
 */
export function planHeal(facts: HostFacts, desired: DesiredState): HealAction | undefined {
  const runsDesired = currentComplete(facts) && facts.revision === desired.commit;
  if (runsDesired) return facts.health && !facts.health.ok ? { kind: 'restart' } : undefined;
  // The desired release is still there, whole (a REVISION of the desired commit): switching back
  // to it is one rename, no fetch, no steps.
  if (facts.releases.includes(desired.release) && facts.commits[desired.release] === desired.commit) return { kind: 'switch', release: desired.release };
  // Gone, or half there: a fresh release of the desired commit, as a deploy makes it.
  return { kind: 'redeploy' };
}

/** The words of an action, for step names and audit lines. */
export function describeHeal(action: HealAction): string {
  if (action.kind === 'switch') return `switch back to ${action.release}`;
  if (action.kind === 'restart') return 'restart';
  return 'redeploy';
}

export interface HealPlanInput extends Omit<DeployPlanInput, 'release'> {
  desired: DesiredState;
  /** The name a redeployed release gets (chooseRelease: the deploy's naming rule). */
  release: string;
}

/**
 * Per host, the steps of its heal: a switch back (+ restart, health), a restart (+ health), or a
 * full deploy of the desired commit for that host (undone on failure, as a deploy is). Hosts do
 * not wait for each other and one host's failure never undoes another's heal.
 */
export function planHealHosts(i: HealPlanInput): { plan: Plan; actions: Record<string, HealAction | undefined> } {
  const plan: Plan = { refusals: [], batches: [], unlock: {}, finish: {}, release: {}, pruned: {} };
  const actions: Record<string, HealAction | undefined> = {};
  const wave: Wave = [];
  for (const h of i.hosts) {
    plan.unlock[h.host.name] = steps.unlockStep({ env: i.env, host: h.host, lock: h.lock });
    const why = refusal(h, i.env.deploy.path);
    if (why) {
      plan.refusals.push({ host: h.host.name, error: why });
      continue;
    }
    const action = planHeal(h.facts, i.desired);
    actions[h.host.name] = action;
    if (!action) continue;
    const s = scopeOf({ ...i, commit: i.desired.commit }, h);
    let hostSteps: PlanStep[];
    if (action.kind === 'redeploy') {
      const pruned = prunedFor(h, i.env, i.release);
      const di = { ...i, commit: i.desired.commit };
      hostSteps = [...stageSteps(di, s), ...activateSteps(di, s)];
      plan.release[h.host.name] = i.release;
      plan.pruned[h.host.name] = pruned;
      plan.finish[h.host.name] = steps.unlockStep({ env: i.env, host: h.host, lock: h.lock }, pruned);
    } else {
      const release = action.kind === 'switch' ? action.release : h.facts.current!;
      plan.release[h.host.name] = release;
      hostSteps = healInPlace(i, s, action, release);
    }
    wave.push({ host: h.host.name, steps: foldUnlock(hostSteps, s, plan.pruned[h.host.name]) });
  }
  // Refused hosts are left alone; the others still heal.
  if (wave.length) plan.batches.push([wave]);
  return { plan, actions };
}

/** A switch back to a whole release, or a restart of the one that runs: no new files. */
function healInPlace(i: HealPlanInput, s: HostScope, action: HealAction, release: string): PlanStep[] {
  const commit = i.desired.commit;
  const out: PlanStep[] = [];
  if (action.kind === 'switch') {
    out.push({ ...switchTo(i, s, 'heal-switch', release, commit, 'heal'), name: `${s.host.name}: ${describeHeal(action)}` });
    delete out[0]!.retry;
  } else if (i.env.deploy.restart) {
    const uc = userCommand(i.env.deploy.path, release, commandEnv(s, release, commit), i.env.deploy.restart);
    out.push({ id: stepId(s, 'restart'), name: `${s.host.name}: restart`, script: uc.script, stdin: { kind: 'bytes', data: uc.stdin }, error: 'restart' });
  }
  const health = healthStep(s, release, commit);
  if (health) out.push(health);
  return out;
}
