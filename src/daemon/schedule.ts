// node-cron tasks, one per pipeline (and one for the config repo). Kept in step with the config
// on reload: a task whose expression changed is replaced, one whose pipeline is gone destroyed.
// node-cron prints a coloured warning on every overlapping tick unless given a logger; overlap is
// the poller's business (it skips a busy pipeline), so node-cron's is silenced.
import cron, { type ScheduledTask } from 'node-cron';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

interface Entry {
  expression: string;
  task: ScheduledTask;
}

export class Schedules {
  private readonly tasks = new Map<string, Entry>();

  /** Make the set of tasks exactly `wanted` (name → cron expression). */
  async sync(wanted: Map<string, string>, onTick: (name: string) => void): Promise<void> {
    for (const [name, entry] of this.tasks) {
      if (wanted.get(name) !== entry.expression) {
        await entry.task.destroy();
        this.tasks.delete(name);
      }
    }
    for (const [name, expression] of wanted) {
      if (this.tasks.has(name)) continue;
      const task = cron.schedule(expression, () => onTick(name), { name: `slipway:${name}`, logger: quiet });
      this.tasks.set(name, { expression, task });
    }
  }

  async stopAll(): Promise<void> {
    for (const entry of this.tasks.values()) await entry.task.destroy();
    this.tasks.clear();
  }
}
