// The last observation of a host as `status` shows it: `sync`, `reasons`, `since`, `observedAt`
// in --json (the contract's names), one or two short lines in plain text.
import type { HostSync } from '../state/types.ts';
import { healStoppedLine } from '../state/host-sync.ts';
import { humanTime } from './human-time.ts';

export interface SyncFields {
  sync?: HostSync['sync'];
  reasons?: string[];
  since?: string;
  observedAt?: string;
  /** "self-heal stopped after 2 failed heals: ..." while it is. */
  selfHeal?: string;
}

/** Only a record of this pipeline's environment counts (a path may have served another before). */
export function syncFieldsOf(s: HostSync | undefined, pipeline: string, environment: string): SyncFields {
  if (!s || s.pipeline !== pipeline || s.environment !== environment) return {};
  const stopped = healStoppedLine(s);
  return { sync: s.sync, reasons: s.reasons, since: s.since, observedAt: s.observedAt, ...(stopped ? { selfHeal: stopped } : {}) };
}

export function syncLine(f: SyncFields, now: Date): string[] {
  if (!f.sync || !f.since) return [];
  const why = f.reasons && f.reasons.length > 0 ? `: ${f.reasons.join('; ')}` : '';
  return [`${f.sync} since ${humanTime(f.since, now)}${why}`, ...(f.selfHeal ? [f.selfHeal] : [])];
}
