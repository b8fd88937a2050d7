// Observation, the deciding half (docs/observe.md): what a host's facts mean against what the
// environment should run, and how one observation moves a host's sync record on. Pure: the
// reading is in observe-hosts.ts, the scheduling in daemon/observer.ts.
import type { HostSync, SyncState, SyncTransition } from '../state/types.ts';
import type { HostFacts } from './host-facts.ts';

/** What the environment should run: STATE/pipelines/P.json environments[env]. */
export interface Desired {
  commit: string;
  release: string;
}

export interface Classification {
  sync: SyncState;
  reasons: string[];
}

export interface ClassifyInput {
  /** Undefined: the environment was never deployed, nothing is desired. */
  desired: Desired | undefined;
  /** The host's facts, or why it could not be read. */
  observed: { facts: HostFacts } | { error: string };
  /** observe.files as recorded at the deploy (path -> sha256, null: missing then). */
  files?: Record<string, string | null>;
  /** observe.service, when one is watched. */
  service?: string;
}

const short = (sha: string | undefined): string => (sha ? sha.slice(0, 7) : '?');
const HISTORY = 50;

/** Undefined when nothing is desired yet: a never-deployed environment has no drift. */
export function classifyHost(input: ClassifyInput): Classification | undefined {
  if ('error' in input.observed) return { sync: 'unknown', reasons: [`cannot read the host: ${input.observed.error}`] };
  if (!input.desired) return undefined;
  const f = input.observed.facts;
  const want = input.desired.commit;
  const out: string[] = [];
  if (f.foreignCurrent) out.push(`current points outside releases/: ${f.foreignCurrent}`);
  else if (!f.current) out.push('current is missing');
  else if (f.dangling || !f.releases.includes(f.current)) out.push(`current points at releases/${f.current}, which does not exist`);
  else if (!f.revision) out.push(`current is ${f.current}, which has no REVISION (an incomplete release)`);
  else if (f.revision !== want) out.push(`current is ${f.current} (${short(f.revision)}), git says ${short(want)}`);
  for (const [path, was] of Object.entries(input.files ?? {})) {
    const now = f.files?.[path] ?? null;
    if (now === was) continue;
    if (now === null) out.push(`${path} is missing (it was there at the deploy)`);
    else if (was === null) out.push(`${path} appeared after the deploy`);
    else out.push(`${path} changed since the deploy (sha256 ${now.slice(0, 12)}, was ${was.slice(0, 12)})`);
  }
  if (out.length > 0) return { sync: 'out-of-sync', reasons: out };
  if (f.health && !f.health.ok) {
    const said = f.health.output.split('\n').filter((l) => l.trim() !== '').pop();
    out.push(`health check failed: exit ${f.health.exitCode}${said ? `: ${said.trim()}` : ''}`);
  }
  if (input.service) {
    const s = f.service ?? {};
    if (s.activeState !== 'active') out.push(`${input.service} is ${s.activeState ?? 'unknown to systemd'}${s.subState ? ` (${s.subState})` : ''}`);
  }
  return out.length > 0 ? { sync: 'degraded', reasons: out } : { sync: 'synced', reasons: [] };
}

const drifting = (s: SyncState): boolean => s === 'out-of-sync' || s === 'degraded';
const sameReasons = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((r, i) => r === b[i]);

/**
 * The host's sync record after one observation. `since` and the history move only when the sync
 * state changes; a heal record is kept only while the drift it was for stays the same.
 */
export function nextHostSync(prev: HostSync | undefined, c: Classification, at: { pipeline: string; environment: string; now: string }): HostSync {
  const changed = !prev || prev.sync !== c.sync || prev.environment !== at.environment;
  const transition: SyncTransition = { sync: c.sync, reasons: c.reasons, at: at.now };
  const history = changed ? [...(prev?.history ?? []), transition].slice(-HISTORY) : (prev?.history ?? []);
  const next: HostSync = {
    pipeline: at.pipeline,
    environment: at.environment,
    sync: c.sync,
    reasons: c.reasons,
    since: changed ? at.now : prev.since,
    observedAt: at.now,
    // unknown neither counts nor resets: a host that cannot be read says nothing of its drift.
    drifted: drifting(c.sync) ? (prev?.drifted ?? 0) + 1 : c.sync === 'unknown' ? (prev?.drifted ?? 0) : 0,
    history,
  };
  if (prev?.files) next.files = prev.files;
  if (prev?.heal && drifting(c.sync) && sameReasons(prev.heal.reasons, c.reasons)) next.heal = prev.heal;
  else if (prev?.heal && c.sync === 'unknown') next.heal = prev.heal;
  return next;
}

/** The notify event of a change: `drift` when a host leaves synced, `synced` when it is back. */
export function syncEvent(prev: HostSync | undefined, next: HostSync): 'drift' | 'synced' | undefined {
  const was = prev?.sync ?? 'synced';
  if (was === 'synced' && next.sync !== 'synced') return 'drift';
  if (prev && was !== 'synced' && next.sync === 'synced') return 'synced';
  return undefined;
}

/** Self-heal is due: on, drifted on two observations in a row, not stopped, no deploy lock on the host. */
export function healDue(sync: HostSync, opts: { selfHeal: boolean; locked: boolean }): boolean {
  return opts.selfHeal && !opts.locked && drifting(sync.sync) && sync.drifted >= 2 && !sync.heal?.stopped;
}

/** The record after a heal run: two failures for the same drift stop self-heal of this host. */
export function afterHeal(sync: HostSync, outcome: { ok: boolean; run: number; now: string }): { sync: HostSync; stopped: boolean } {
  const prior = sync.heal && sameReasons(sync.heal.reasons, sync.reasons) ? sync.heal.failures : 0;
  const failures = outcome.ok ? prior : prior + 1;
  const stopped = !outcome.ok && failures >= 2;
  const heal: NonNullable<HostSync['heal']> = { reasons: sync.reasons, failures, lastRun: outcome.run, ...(stopped ? { stopped: outcome.now } : {}) };
  // Two more observations in a row are needed before the next heal.
  return { sync: { ...sync, drifted: 0, heal }, stopped };
}

export { healStoppedLine } from '../state/host-sync.ts';
