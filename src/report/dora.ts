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
  failed: boolean;
  /** When the environment was good again after a failed change. */
  restoredAt?: number;
}

/** Each deploy with its verdict: failed itself, or undone by a rollback/heal before the next good deploy. */
function judge(events: DoraEvent[]): Judged[] {
  const sorted = [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const out: Judged[] = [];
  for (const [i, e] of sorted.entries()) {
    if (e.kind !== 'deploy') continue;
    const later = sorted.slice(i + 1);
    const nextGood = later.findIndex((x) => x.kind === 'deploy' && x.ok);
    const before = nextGood < 0 ? later : later.slice(0, nextGood);
    const undo = e.ok ? before.find((x) => x.kind === 'rollback' && x.ok) : undefined;
    const failed = !e.ok || undo !== undefined;
    const j: Judged = { event: e, failed };
    if (failed) {
      // Restored by the rollback that undid it, else by the next good deploy or rollback.
      const fix = undo ?? later.find((x) => x.ok);
      if (fix) j.restoredAt = Date.parse(fix.at);
    }
    out.push(j);
  }
  return out;
}

export function computeDora(events: DoraEvent[], environments: string[], now: Date): DoraEnvironment[] {
  const end = now.getTime();
  return environments.map((environment) => {
    const mine = events.filter((e) => e.environment === environment);
    const judged = judge(mine);
    const windows = DORA_WINDOWS.map((days): DoraNumbers => {
      const from = end - days * DAY;
      const inside = judged.filter((j) => {
        const t = Date.parse(j.event.at);
        return t > from && t <= end;
      });
      const good = inside.filter((j) => j.event.ok);
      const failures = inside.filter((j) => j.failed);
      const restores = failures.filter((j) => j.restoredAt !== undefined).map((j) => j.restoredAt! - Date.parse(j.event.at));
      return {
        days,
        deploys: good.length,
        deploysPerDay: Math.round((good.length / days) * 100) / 100,
        attempts: inside.length,
        failures: failures.length,
        changeFailureRate: inside.length === 0 ? null : Math.round((failures.length / inside.length) * 1000) / 1000,
        leadTimeMs: median(good.map((j) => Date.parse(j.event.at) - Date.parse(j.event.committedAt)).filter((ms) => Number.isFinite(ms) && ms >= 0)),
        timeToRestoreMs: median(restores),
        restores: restores.length,
      };
    });
    const today = Math.floor(end / DAY);
    const perDay = Array.from({ length: 30 }, () => 0);
    for (const j of judged) {
      if (!j.event.ok) continue;
      const age = today - Math.floor(Date.parse(j.event.at) / DAY);
      if (age >= 0 && age < 30) perDay[29 - age]!++;
    }
    const leadTimes = judged
      .filter((j) => j.event.ok && Date.parse(j.event.at) > end - 90 * DAY && Date.parse(j.event.at) <= end)
      .map((j) => ({ at: j.event.at, ms: Date.parse(j.event.at) - Date.parse(j.event.committedAt) }))
      .filter((x) => Number.isFinite(x.ms) && x.ms >= 0);
    return { environment, windows, deploysPerDay: perDay, leadTimes };
  });
}
