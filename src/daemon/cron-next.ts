// The next second a cron expression matches, read in local time with Date's own getters.
// Why not node-cron's matcher: node-cron 4.6 builds the date parts of every tick with
// Intl.DateTimeFormat.formatToParts (LocalizedTime), timezone or not, and the ICU data that pulls
// in stays resident: a bare node that formats one date so goes 39.5 → 47.7 MB RSS, against
// 0.8 MB for Date's getters (measured, docs/benchmarks.md). node-cron stays the cron language:
// its `parse` validates and expands every field; this file only walks the expanded values.
// Its string tokens (L, 5L, 2#1, 15W, L-3) are not handled here: compileCron returns undefined
// and the caller keeps node-cron's own task for that expression, so their meaning stays its own.
import { parse } from 'node-cron';

export interface CronFields {
  second: CronValues;
  minute: CronValues;
  hour: CronValues;
  dayOfMonth: CronValues;
  month: CronValues;
  dayOfWeek: CronValues;
}

/**
 * The values one field matches, as bits: every field's values lie in 0–59, two 30-bit halves.
 * Why not a Set: six Sets per pipeline held ~3.7 KB of hash tables, 0.7 MB of the 9.3 MB live
 * heap of a daemon with 200 pipelines (heap snapshot, bench/daemon-soak.ts's config); six of
 * these hold a few dozen bytes each.
 */
export class CronValues {
  private lo = 0;
  private hi = 0;

  constructor(values: Iterable<number>) {
    for (const v of values) {
      if (!Number.isInteger(v) || v < 0 || v > 59) throw new RangeError(`cron field value ${v} is outside 0-59`);
      if (v < 30) this.lo |= 1 << v;
      else this.hi |= 1 << (v - 30);
    }
  }

  has(v: number): boolean {
    if (v < 0 || v > 59) return false;
    return ((v < 30 ? this.lo >>> v : this.hi >>> (v - 30)) & 1) === 1;
  }
}

/** The expanded fields of `expression` (node-cron's parse: throws on an invalid one), or
 *  undefined when a field holds a token only node-cron's matcher understands. */
export function compileCron(expression: string): CronFields | undefined {
  const f = parse(expression);
  const numbers = (values: (number | string)[]): CronValues | undefined =>
    values.every((v) => typeof v === 'number') ? new CronValues(values as number[]) : undefined;
  const dayOfMonth = numbers(f.dayOfMonth);
  const dayOfWeek = numbers(f.dayOfWeek);
  if (!dayOfMonth || !dayOfWeek) return undefined;
  return { second: new CronValues(f.second), minute: new CronValues(f.minute), hour: new CronValues(f.hour), dayOfMonth, month: new CronValues(f.month), dayOfWeek };
}

// node-cron gives up after 100 years of days; a validated expression matches far sooner
// (the rarest, 29 February on a given weekday, within 28 years).
const HORIZON_MS = 100 * 366 * 86_400_000;

/** The first whole second strictly after `afterMs` whose local time matches every field (all
 *  fields ANDed, day of month and day of week too, as node-cron does). Walks real instants, so
 *  on a day the clocks change a skipped local time never matches and a repeated one matches at
 *  both instants. */
export function nextCronMatch(f: CronFields, afterMs: number): number {
  let t = Math.floor(afterMs / 1000) * 1000 + 1000;
  const end = t + HORIZON_MS;
  while (t < end) {
    const d = new Date(t);
    if (!f.month.has(d.getMonth() + 1)) t = localStart(t, d.getFullYear(), d.getMonth() + 1, 1);
    else if (!f.dayOfMonth.has(d.getDate()) || !f.dayOfWeek.has(d.getDay())) {
      t = localStart(t, d.getFullYear(), d.getMonth(), d.getDate() + 1);
    }
    // Hours, minutes and seconds step in real time: local time's minute and second boundaries
    // are UTC's in every zone in use, and a real hour later is the next local hour even when
    // the clock jumps.
    else if (!f.hour.has(d.getHours())) t += 3_600_000 - (d.getMinutes() * 60 + d.getSeconds()) * 1000;
    else if (!f.minute.has(d.getMinutes())) t += 60_000 - d.getSeconds() * 1000;
    else if (!f.second.has(d.getSeconds())) t += 1000;
    else return t;
  }
  throw new Error(`no time matches within 100 years`);
}

// Local midnight of a later day or month; where that local time does not exist or lands
// before `t` (a clock change at midnight), the next real hour instead, so the walk never stalls.
function localStart(t: number, year: number, month: number, day: number): number {
  const next = new Date(year, month, day).getTime();
  return next > t ? next : t + 3_600_000 - (t % 3_600_000);
}
