import type { PipelineState } from '../state/types.ts';

// Pure decisions, made before anything is touched.

export type PollDecision = { action: 'none'; reason: string } | { action: 'run'; commit: string };

/** A new branch head runs; the first poll of a new pipeline runs the head it finds. */
export function decidePoll(state: PipelineState, head: string): PollDecision {
  if (state.lastSeenCommit === head) return { action: 'none', reason: `no new commit (${head.slice(0, 7)} already seen)` };
  return { action: 'run', commit: head };
}

/** Hosts in batches of `size` (all at once when undefined), keeping their configured order. */
export function planBatches<T>(hosts: readonly T[], size: number | undefined): T[][] {
  const n = size && size > 0 ? size : hosts.length;
  const out: T[][] = [];
  for (let i = 0; i < hosts.length; i += n) out.push(hosts.slice(i, i + n));
  return out;
}
