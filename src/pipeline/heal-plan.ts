// What a heal does to one host, decided from what the host runs (its facts, read in one exec)
// and what the environment should run (STATE/pipelines: its desired commit and release). Pure:
// pinned by table tests; the doing is in heal.ts.
import type { HostFacts } from './host-facts.ts';
import { currentComplete } from './host-facts.ts';

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
