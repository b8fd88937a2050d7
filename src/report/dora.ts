// DORA's four keys per pipeline and environment, from the run records alone (no forge, no
// incident tool), over the last 7, 30 and 90 days:
// - deployment frequency: deploys that passed, per day;
// - lead time for changes: commit time → the deploy stage finished healthy (median);
// - change failure rate: deploys that failed (rolled back on the spot) or were followed, before
//   the next good deploy, by a `slipway rollback` or a heal of that environment, over all deploys;
// - time to restore: from such a failure to the next good deploy or rollback of the environment
//   (median).
// Pure: `doraFacts` keeps the few fields needed (so 10,000 summaries stay small), `computeDora`
// counts. docs/report.md says the same in words.

import type { RunRecord } from '../state/types.ts';

/** One deploy or rollback stage of a run: the facts DORA needs. */
export interface DoraEvent {
  environment: string;
  kind: 'deploy' | 'rollback';
  /** passed, or failed/rolled-back. */
  ok: boolean;
  /** When the stage ended (ISO). */
  at: string;
  run: number;
  /** The commit's author time (ISO): start of the lead time. */
  committedAt: string;
  trigger: string;
}

export const DORA_WINDOWS = [7, 30, 90] as const;
const DAY = 86_400_000;

export function doraFacts(run: RunRecord): DoraEvent[] {
  const out: DoraEvent[] = [];
  for (const stage of run.stages) {
    if (stage.kind !== 'deploy' || stage.environment === undefined || stage.finishedAt === undefined) continue;
    if (stage.status !== 'passed' && stage.status !== 'failed' && stage.status !== 'rolled-back') continue;
    const rollback = stage.name.startsWith('rollback:') || run.trigger === 'rollback' || run.trigger === 'heal';
    out.push({
      environment: stage.environment,
      kind: rollback ? 'rollback' : 'deploy',
      ok: stage.status === 'passed',
      at: stage.finishedAt,
      run: run.number,
      committedAt: run.commit.time,
      trigger: run.trigger,
    });
  }
  return out;
}

export interface DoraNumbers {
  days: number;
  /** Deploys that passed. */
  deploys: number;
  /** deploys / days. */
  deploysPerDay: number;
  /** Deploys tried (passed or failed). */
  attempts: number;
  failures: number;
  /** failures / attempts; null without attempts. */
  changeFailureRate: number | null;
  leadTimeMs: number | null;
  timeToRestoreMs: number | null;
  restores: number;
}

export interface DoraEnvironment {
  environment: string;
  windows: DoraNumbers[];
  /** Passed deploys per UTC day, oldest first, the last 30 days (today last). */
  deploysPerDay: number[];
  /** Lead time of each passed deploy in the last 90 days, oldest first. */
  leadTimes: Array<{ at: string; ms: number }>;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

interface Judged {
  event: DoraEvent;
  /** event.at as a number. */
  at: number;
  /** Lead time, when the commit time is usable. */
  leadMs?: number;
  failed: boolean;
  /** When the environment was good again after a failed change. */
  restoredAt?: number;
}

/**
 * Each deploy with its verdict: failed itself, or undone by a rollback/heal before the next good
 * deploy. One pass from the newest event back, carrying what comes after: the dashboard, the
 * pipeline page and status.json judge every pipeline's history on every report update.
 */
function judge(events: DoraEvent[]): Judged[] {
  const timed = events.map((e) => ({ e, at: Date.parse(e.at) })).sort((a, b) => a.at - b.at);
  const out: Judged[] = [];
  let nextOk: number | undefined;
  // The earliest good rollback after this event and before the next good deploy.
  let undoAt: number | undefined;
  for (let i = timed.length - 1; i >= 0; i--) {
    const { e, at } = timed[i]!;
    if (e.kind === 'deploy') {
      const undo = e.ok ? undoAt : undefined;
      const failed = !e.ok || undo !== undefined;
      const j: Judged = { event: e, at, failed };
      const lead = at - Date.parse(e.committedAt);
      if (Number.isFinite(lead) && lead >= 0) j.leadMs = lead;
      // Restored by the rollback that undid it, else by the next good deploy or rollback.
      const fix = undo ?? nextOk;
      if (failed && fix !== undefined) j.restoredAt = fix;
      out.push(j);
    }
    if (e.ok) nextOk = at;
    if (e.ok && e.kind === 'deploy') undoAt = undefined;
    else if (e.ok && e.kind === 'rollback') undoAt = at;
  }
  return out.reverse();
}

export function computeDora(events: DoraEvent[], environments: string[], now: Date): DoraEnvironment[] {
  const end = now.getTime();
  return environments.map((environment) => {
    const mine = events.filter((e) => e.environment === environment);
    const judged = judge(mine);
    const windows = DORA_WINDOWS.map((days): DoraNumbers => {
      const from = end - days * DAY;
      const inside = judged.filter((j) => j.at > from && j.at <= end);
      const good = inside.filter((j) => j.event.ok);
      const failures = inside.filter((j) => j.failed);
      const restores = failures.filter((j) => j.restoredAt !== undefined).map((j) => j.restoredAt! - j.at);
      return {
        days,
        deploys: good.length,
        deploysPerDay: Math.round((good.length / days) * 100) / 100,
        attempts: inside.length,
        failures: failures.length,
        changeFailureRate: inside.length === 0 ? null : Math.round((failures.length / inside.length) * 1000) / 1000,
        leadTimeMs: median(good.flatMap((j) => (j.leadMs === undefined ? [] : [j.leadMs]))),
        timeToRestoreMs: median(restores),
        restores: restores.length,
      };
    });
    const today = Math.floor(end / DAY);
    const perDay = Array.from({ length: 30 }, () => 0);
    for (const j of judged) {
      if (!j.event.ok) continue;
      const age = today - Math.floor(j.at / DAY);
      if (age >= 0 && age < 30) perDay[29 - age]!++;
    }
    const leadTimes = judged
      .filter((j) => j.event.ok && j.leadMs !== undefined && j.at > end - 90 * DAY && j.at <= end)
      .map((j) => ({ at: j.event.at, ms: j.leadMs! }));
    return { environment, windows, deploysPerDay: perDay, leadTimes };
  });
}
