// Deploy and rollback decided as values: from each host's facts (read under our lock), the
// environment's config and the run, the ordered steps per host in batches. Pure — no clock, no
// disk, no socket — so table tests pin every situation (test/pipeline/deploy-plan.test.ts); the
// one applier (apply-plan.ts) carries a plan out. planHeal is beside it, in heal-plan.ts.
import type { EnvironmentConfig, HostConfig, PipelineConfig } from '../config/types.ts';
import type { RunRecord } from '../state/types.ts';
import type { Plan, PlanStep, Wave } from './plan-types.ts';
import { previousRelease, type HostFacts } from './host-facts.ts';
import { planBatches } from './plan.ts';
import { releaseName } from './remote-commands.ts';
import * as steps from './host-steps.ts';


/** A host as the plan sees it: its config, what it runs, and our lock on it. */
export interface PlanHost {
  host: HostConfig;
  facts: HostFacts;
  lock: string;
}

export interface DeployPlanInput {
  pipeline: PipelineConfig;
  env: EnvironmentConfig;
  hosts: PlanHost[];
  commit: string;
  release: string;
  run: { number: number; artifact?: RunRecord['artifact'] };
  /** Time and actor of the revisions.log line. */
  at: string;
  actor: string;
  /** source: upload: the tested tree, written locally once per environment. */
  uploadDir?: string;
  /** source: artifact: STATE/artifacts/NAME/N.tar.gz of the run that built it. */
  artifactFile?: string;
}

/**
 * <yyyymmddHHMMSS>-<sha7>, moved on by a second while a host already has that name (the same
 * commit deployed in the same second by another slipway).
 */
export function chooseRelease(commit: string, now: Date, taken: Iterable<string>): string {
  const used = new Set(taken);
  let at = now.getTime();
  while (used.has(releaseName(commit, new Date(at)))) at += 1000;
  return releaseName(commit, new Date(at));
}

/** What makes a host unfit for any plan: a `current` we do not understand, a lock that is not ours. */
export function refusal(h: PlanHost, path: string): string | undefined {
  if (h.facts.foreignCurrent !== undefined) {
    return `current points to ${JSON.stringify(h.facts.foreignCurrent)}, not a release folder of ${path}; move it aside or link it into releases/ before deploying`;
  }
  if (h.facts.lock && h.facts.lock.holder !== h.lock) return `refused: deploy lock held by ${h.facts.lock.holder}; nothing changed`;
  return undefined;
}

export function scopeOf(i: Pick<DeployPlanInput, 'pipeline' | 'env' | 'commit' | 'release'>, h: PlanHost): steps.HostScope {
  const previous = h.facts.current;
  const previousCommit = previous ? (h.facts.commits[previous] ?? h.facts.revision) : undefined;
  return { pipeline: i.pipeline, env: i.env, host: h.host, commit: i.commit, release: i.release, lock: h.lock, ...(previous ? { previous } : {}), ...(previousCommit ? { previousCommit } : {}) };
}

/** The new release made ready on one host: fetched/uploaded, shared links, user steps. Nothing switched. */
export function stageSteps(i: DeployPlanInput, s: steps.HostScope): PlanStep[] {
  const source = { ...(i.uploadDir ? { tree: i.uploadDir } : {}), ...(i.run.artifact ? { artifact: i.run.artifact } : {}), ...(i.artifactFile ? { artifactFile: i.artifactFile } : {}) };
  return [steps.releaseStep(s, source), ...i.env.deploy.steps.map((command, n) => steps.userStep(s, `step-${n + 1}`, command, command, `step "${command}"`))];
}

/** Switch (+ revisions.log, restart) and the health gate; both undone by a rollback. */
export function activateSteps(i: DeployPlanInput, s: steps.HostScope): PlanStep[] {
  const audit = `${i.at} ${s.release} ${s.commit} run=${i.pipeline.name}#${i.run.number} by=${i.actor}`;
  const sw = steps.switchScript(s, s.release, s.commit, audit, { restart: true });
  const undo = [steps.rollbackStep(s)];
  const restart = i.env.deploy.restart !== undefined;
  const out: PlanStep[] = [
    {
      id: steps.stepId(s, 'switch'),
      name: `${s.host.name}: switch current${restart ? ' and restart' : ''}`,
      script: sw.script,
      ...(sw.stdin ? { stdin: { kind: 'bytes' as const, data: sw.stdin } } : {}),
      error: 'switch',
      ...(restart ? { then: { marker: sw.marker, error: 'restart' } } : {}),
      switches: true,
      undo,
    },
  ];
  const health = steps.healthStep(s, s.release, s.commit);
  if (health) out.push({ ...health, undo });
  return out;
}

/**
 * Every host prunes and releases its lock with its last step, once it is healthy: no exec of
 * its own (issue 13: 4 per host, with 10 hosts as with one). A sibling failing later still rolls
 * the host back: that undo takes the lock again first, and leaves the host to a newer deploy
 * that took the lock in between (host-steps.ts withRelock, relock.ts).
 */
export function foldUnlock(hostSteps: PlanStep[], s: Pick<steps.HostScope, 'env' | 'lock'>, pruned: readonly string[] = []): PlanStep[] {
  if (hostSteps.length === 0) return hostSteps;
  return [...hostSteps.slice(0, -1), steps.withUnlock(hostSteps.at(-1)!, s, pruned)];
}

/**
 * Releases beyond keepReleases once `release` is in, never it nor what runs now: that is the
 * rollback target, and the prune runs when the host is healthy, before a sibling may fail.
 */
export function prunedFor(h: PlanHost, env: EnvironmentConfig, release: string): string[] {
  return steps.prunedReleases([...h.facts.releases, release], env.deploy.keepReleases, [release, ...(h.facts.current ? [h.facts.current] : [])]);
}

export function planDeploy(i: DeployPlanInput): Plan {
  const plan: Plan = { refusals: [], batches: [], unlock: {}, finish: {}, release: {}, pruned: {} };
  for (const h of i.hosts) {
    plan.unlock[h.host.name] = steps.unlockStep({ env: i.env, host: h.host, lock: h.lock });
    plan.finish[h.host.name] = steps.unlockStep({ env: i.env, host: h.host, lock: h.lock }, prunedFor(h, i.env, i.release));
    const why = refusal(h, i.env.deploy.path);
    if (why) plan.refusals.push({ host: h.host.name, error: why });
  }
  if (plan.refusals.length) return plan;
  const once = i.env.deploy.onceSteps;
  for (const [n, batch] of planBatches(i.hosts, i.env.batch).entries()) {
    const hosts = batch.map((h) => {
      const s = scopeOf(i, h);
      const pruned = prunedFor(h, i.env, i.release);
      plan.release[h.host.name] = i.release;
      plan.pruned[h.host.name] = pruned;
      return { h, s, pruned, stage: stageSteps(i, s), activate: activateSteps(i, s) };
    });
    if (n === 0 && once.length > 0) {
      // `{ run, once: true }` steps: the first batch is staged, they run on the environment's
      // first host, then it switches. So a migration runs once, and before new code serves.
      const first = hosts[0]!;
      const onceSteps = once.map((command, k) => steps.userStep(first.s, `once-${k + 1}`, `${command} (once for ${i.env.name})`, command, `once step "${command}"`));
      const waves: Wave[] = [
        hosts.map((x) => ({ host: x.h.host.name, steps: x.stage })),
        [{ host: first.h.host.name, steps: onceSteps }],
        hosts.map((x) => ({ host: x.h.host.name, steps: foldUnlock(x.activate, x.s, x.pruned) })),
      ];
      plan.batches.push(waves);
    } else {
      plan.batches.push([hosts.map((x) => ({ host: x.h.host.name, steps: foldUnlock([...x.stage, ...x.activate], x.s, x.pruned) }))]);
    }
  }
  return plan;
}

export interface RollbackPlanInput {
  pipeline: PipelineConfig;
  env: EnvironmentConfig;
  hosts: PlanHost[];
  run: { number: number };
  at: string;
  actor: string;
}

/**
 * `slipway rollback`: every host back to the release before its current one, restarted and
 * healthy; if one fails, those already switched go forward again (the undo), so the environment
 * never ends half rolled back.
 */
export function planRollback(i: RollbackPlanInput): Plan {
  const plan: Plan = { refusals: [], batches: [], unlock: {}, finish: {}, release: {}, pruned: {} };
  const byHost = new Map<string, PlanStep[]>();
  for (const h of i.hosts) {
    plan.unlock[h.host.name] = steps.unlockStep({ env: i.env, host: h.host, lock: h.lock });
    const target = previousRelease(h.facts);
    const why = refusal(h, i.env.deploy.path) ?? (target ? undefined : h.facts.current ? `no release before ${h.facts.current} on this host` : 'nothing deployed on this host');
    if (why || !target || !h.facts.current) {
      plan.refusals.push({ host: h.host.name, error: why ?? 'nothing deployed on this host' });
      continue;
    }
    plan.release[h.host.name] = target;
    const current = h.facts.current;
    const s = scopeOf({ pipeline: i.pipeline, env: i.env, commit: h.facts.commits[target] ?? '', release: target }, h);
    const forward = switchTo(i, s, 'roll-forward', current, h.facts.commits[current] ?? h.facts.revision ?? '', 'rollback');
    const back = { ...switchTo(i, s, 'rollback', target, h.facts.commits[target] ?? '', 'rollback'), undo: [forward] };
    byHost.set(h.host.name, foldUnlock([back], s));
  }
  if (plan.refusals.length) return plan;
  for (const batch of planBatches(i.hosts, i.env.batch)) plan.batches.push([batch.map((h) => ({ host: h.host.name, steps: byHost.get(h.host.name)! }))]);
  return plan;
}

/** One step: `current` to `release`, revisions.log, restart, health — rollback and roll-forward alike. */
export function switchTo(i: { pipeline: PipelineConfig; run: { number: number }; at: string; actor: string }, s: steps.HostScope, what: string, release: string, commit: string, verb: string): PlanStep {
  const audit = `${i.at} ${release} ${commit} ${verb}=${i.pipeline.name}#${i.run.number} by=${i.actor}`;
  const sw = steps.switchScript(s, release, commit, audit, { restart: true });
  const retry = steps.healthRetry(s, release, commit);
  return {
    id: steps.stepId(s, what),
    name: `${s.host.name}: switch to ${release}`,
    script: sw.script,
    ...(sw.stdin ? { stdin: { kind: 'bytes' as const, data: sw.stdin } } : {}),
    ...(retry ? { retry: { ...retry, error: 'health check' } } : {}),
    error: 'switch',
    ...(s.env.deploy.restart ? { then: { marker: sw.marker, error: 'restart' } } : {}),
    switches: true,
  };
}
