// What a host's outcome in a deploy says about its health, in words and a tone (colour class),
// so that colours say health: a host rolled back after a failed deploy is running its previous
// release healthy (amber, not red), and a rollback someone chose (`slipway rollback`) is not a
// failure at all. Red is kept for what needs someone now: a host that failed and was not
// restored.

import type { RunSummary } from './types.ts';

export type Tone = 'ok' | 'warn' | 'bad' | 'idle';

/** Did this run roll the environment back on purpose (a `slipway rollback` run)? */
export function isChosenRollback(run: Pick<RunSummary, 'dora'>, environment: string): boolean {
  return run.dora?.some((e) => e.kind === 'rollback' && e.environment === environment) === true;
}

export function hostOutcomeHealth(status: string, chosen: boolean): { word: string; tone: Tone } {
  if (status === 'deployed') return { word: 'healthy', tone: 'ok' };
  if (status === 'rolled-back') return chosen ? { word: 'rolled back on request', tone: 'ok' } : { word: 'rolled back, healthy on its previous release', tone: 'warn' };
  if (status === 'failed') return { word: 'failed', tone: 'bad' };
  return { word: status, tone: 'idle' };
}

/** A coloured pill like statusBadge, for a health word. */
export function toneBadge(word: string, tone: Tone, text: (s: string) => string): string {
  return `<span class="status t-${tone}">${text(word)}</span>`;
}
