// What the state says after a plan ran: each host's outcome on the run page, what runs at the
// host's path (STATE/hosts/HOST.json) and what the environment runs (STATE/pipelines/NAME.json).
// Pure: computed from the facts read before the plan, the plan and its results, never from a
// second read of the host (one exec fewer per host).
import type { EnvironmentState, HostOutcome, HostPipelineState, HostRelease } from '../state/types.ts';
import type { HostFacts } from './host-facts.ts';
import { previousRelease } from './host-facts.ts';
import type { HostResult, Plan } from './plan-types.ts';

/** A host as the run page shows it after a deploy, rollback or heal. */
export function hostOutcome(host: string, facts: HostFacts | undefined, plan: Plan | undefined, result: HostResult | undefined, failedBefore?: string): HostOutcome {
  const release = plan?.release[host];
  const base: HostOutcome = { host, status: 'untouched', ...(release ? { release } : {}), ...(facts?.current ? { previousRelease: facts.current } : {}) };
  const refused = plan?.refusals.find((r) => r.host === host)?.error ?? failedBefore;
  if (refused) return { ...base, status: 'failed', error: refused };
  if (!result) return base;
  const error = result.error ? { error: result.error } : {};
  if (result.undo === 'failed') return { ...base, status: 'failed', error: result.undoError ?? 'rollback failed' };
  if (result.undo === 'ok') return { ...base, status: result.switched ? 'rolled-back' : 'untouched', ...error };
  return { ...base, status: result.status, ...error };
}

/** A release named with its commit only when the host's REVISION says it (a hand-made folder is not claimed). */
function known(before: HostPipelineState, facts: HostFacts, name: string | undefined, now: string): HostRelease | undefined {
  if (!name) return undefined;
  if (before.current?.release === name) return before.current;
  if (before.previous?.release === name) return before.previous;
  const commit = facts.commits[name] ?? (name === facts.current ? facts.revision : undefined);
  return commit ? { release: name, commit, deployedAt: now, run: 0 } : undefined;
}

export interface RecordInput {
  /** What the state said of this path before. */
  before: HostPipelineState;
  /** The facts read under our lock, before the plan. */
  facts: HostFacts;
  outcome: HostOutcome;
  /** Did a switching step start (the host may serve the new release)? */
  switched: boolean;
  /** Releases the plan's prune removed (empty when it did not run). */
  pruned: readonly string[];
  /** Not rolled back: a newer deploy held the lock; what `current` named then ('' nothing). */
  kept?: string;
  commit: string;
  run: number;
  now: string;
}

/** After a deploy (or a heal's redeploy): what runs at the host's path. */
export function nextHostAfterDeploy(i: RecordInput): HostPipelineState {
  const { before, facts, outcome } = i;
  const previous = known(before, facts, facts.current, i.now);
  if (outcome.status === 'deployed' && outcome.release) {
    const releases = [...new Set([...facts.releases, outcome.release])].filter((r) => !i.pruned.includes(r)).sort();
    return { releases, current: { release: outcome.release, commit: i.commit, deployedAt: i.now, run: i.run }, ...(previous ? { previous } : {}) };
  }
  if (i.kept !== undefined) {
    // Left to the newer deploy as it was: our release (healthy when it released its lock), or
    // what that deploy switched to (named only with a commit we know).
    const releases = [...new Set([...facts.releases, ...(outcome.release ? [outcome.release] : [])])].filter((r) => !i.pruned.includes(r)).sort();
    const runs = i.kept === outcome.release ? { release: i.kept, commit: i.commit, deployedAt: i.now, run: i.run } : known(before, facts, i.kept || undefined, i.now);
    const { current: _was, previous: _prev, ...rest } = before;
    return { ...rest, releases, ...(runs ? { current: runs } : {}), ...(previous && runs?.release !== previous.release ? { previous } : {}) };
  }
  if (i.switched && outcome.status === 'failed') {
    // Switched, and the rollback failed too: what runs there is unknown until someone looks
    // (status --live asks the host), so no `current` is claimed.
    const { current: _unknown, ...rest } = before;
    return { ...rest, releases: facts.releases };
  }
  // Rolled back or untouched: the host runs what it ran before; the failed release is gone (and
  // what the prune removed, when the host was healthy before a sibling failed).
  return { ...before, releases: facts.releases.filter((r) => r !== outcome.release && !i.pruned.includes(r)), ...(previous ? { current: previous } : {}) };
}

/** After `slipway rollback` switched the host to `target`. */
export function nextHostAfterRollback(before: HostPipelineState, facts: HostFacts, target: string, fallbackCommit: string, run: number, now: string): HostPipelineState {
  const prior = previousRelease({ current: target, releases: facts.releases, commits: {} });
  const priorCommit = prior ? facts.commits[prior] : undefined;
  return {
    releases: facts.releases,
    current: { release: target, commit: facts.commits[target] ?? fallbackCommit, deployedAt: now, run },
    // Claimed only with its commit: a release without a readable REVISION is not named.
    ...(prior && priorCommit ? { previous: { release: prior, commit: priorCommit, deployedAt: before.previous?.deployedAt ?? now, run: 0 } } : {}),
  };
}

/** After a heal put `release` (of the desired commit) back in place without new files. */
export function nextHostAfterHeal(before: HostPipelineState, facts: HostFacts, release: string, commit: string, run: number, now: string): HostPipelineState {
  const current = before.current?.release === release ? before.current : { release, commit, deployedAt: now, run };
  return { ...before, releases: facts.releases, current };
}

/** What the environment runs after a deploy or rollback that passed. */
export function nextEnvironment(commit: string, release: string, run: number, now: string): EnvironmentState {
  return { commit, release, deployedAt: now, run };
}
