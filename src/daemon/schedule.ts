// The poll schedules, one per pipeline (and one for the config repo), kept in step with the
// config on reload: a schedule whose expression changed is replaced, one whose pipeline is gone
// dropped. ONE timer serves them all: it wakes at the next second any of them matches
// (cron-next.ts, Date's local getters) and ticks each one due. node-cron's own tasks matched every
// tick through Intl, whose ICU data then stays resident (8 MB of the idle daemon's RSS, measured
// in docs/benchmarks.md); node-cron still parses and validates every expression, and an
// expression with its string tokens (L, 5L, 2#1, 15W, L-3) keeps a node-cron task, so their
// meaning stays node-cron's.
// node-cron prints a coloured warning on every overlapping tick unless given a logger; overlap is
// the poller's business (it skips a busy pipeline), so node-cron's is silenced.
import cron, { type ScheduledTask } from 'node-cron';
import { compileCron, nextCronMatch, type CronFields } from './cron-next.ts';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

// As node-cron's Runner: a tick found up to 1 s late (a busy event loop) still runs; a later one
// is dropped, not queued.
const LATE_MS = 1000;
// setTimeout holds at most 2^31-1 ms; node-cron re-arms at least daily, and so does this.
const MAX_DELAY_MS = 86_400_000;

type Entry = { expression: string; fields: CronFields; next: number } | { expression: string; task: ScheduledTask };

export class Schedules {
  private readonly tasks = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private onTick: (name: string) => void = () => {};

  /** Make the set of schedules exactly `wanted` (name → cron expression). */
  async sync(wanted: Map<string, string>, onTick: (name: string) => void): Promise<void> {
    this.onTick = onTick;
    for (const [name, entry] of this.tasks) {
      if (wanted.get(name) !== entry.expression) {
        if ('task' in entry) await entry.task.destroy();
        this.tasks.delete(name);
      }
    }
    for (const [name, expression] of wanted) {
      if (this.tasks.has(name)) continue;
      const fields = compileCron(expression);
      if (fields) this.tasks.set(name, { expression, fields, next: nextCronMatch(fields, Date.now()) });
      else {
        const task = cron.schedule(expression, () => this.onTick(name), { name: `slipway:${name}`, logger: quiet });
        this.tasks.set(name, { expression, task });
      }
    }
    this.arm();
  }

  async stopAll(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const entry of this.tasks.values()) if ('task' in entry) await entry.task.destroy();
    this.tasks.clear();
  }

  private arm(): void {
    clearTimeout(this.timer);
    let soonest = Infinity;
    for (const entry of this.tasks.values()) if ('next' in entry) soonest = Math.min(soonest, entry.next);
    this.timer = soonest === Infinity ? undefined : setTimeout(() => this.beat(), Math.min(Math.max(0, soonest - Date.now()), MAX_DELAY_MS));
  }

  private beat(): void {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const due: string[] = [];
    for (const [name, entry] of this.tasks) {
      if (!('next' in entry) || entry.next > now) continue;
      // node-cron's planBeat: walk the slots that have passed; the first one not too late runs,
      // the others are missed.
      let slot = entry.next;
      let run = false;
      while (slot <= now && !run) {
        const next = nextCronMatch(entry.fields, slot);
        run = now - slot <= LATE_MS && now - slot < next - slot;
        slot = next;
      }
      entry.next = slot;
      if (run) due.push(name);
    }
    this.arm();
    for (const name of due) this.onTick(name);
  }
}
