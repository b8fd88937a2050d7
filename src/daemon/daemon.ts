import cron, { type ScheduledTask } from 'node-cron';
import type { PipelineConfig } from '../config/types.ts';
import { pollPipeline } from '../pipeline/poll.ts';
import { executeRun } from '../pipeline/run.ts';
import { openRuntime } from '../commands/runtime.ts';
import type { Output } from '../commands/output.ts';

// The daemon, first version: a poll of every pipeline at start, then one per its cron; a
// pipeline never polls while its previous poll or run is still busy (node-cron drops such ticks
// rather than queueing them); at most `concurrency` pipelines work at once; SIGTERM/SIGINT stop
// the schedules, let running work finish and exit 0. Queue coalescing, inbox, webhooks, reload
// and crash recovery come with the daemon issue.

export async function runDaemon(configDir: string, output: Output, opts: { stop?: Promise<void> } = {}): Promise<number> {
  const rt = await openRuntime(configDir, 'run', output);
  const { ctx, config } = rt;
  const busy = new Map<string, Promise<void>>();
  const lastError = new Map<string, string>();
  let slots = config.settings.concurrency;
  const waiting: Array<() => void> = [];
  const acquire = async (): Promise<void> => {
    if (slots > 0) {
      slots--;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  };

  const work = async (p: PipelineConfig): Promise<void> => {
    await acquire();
    try {
      const polled = await pollPipeline(ctx, p);
      if (lastError.has(p.name)) output.out(`${p.name}: polling works again`);
      lastError.delete(p.name);
      if (polled.run) {
        output.out(`${p.name} #${polled.run.number}: new commit ${polled.run.commit.id.slice(0, 7)}`);
        const run = await executeRun(ctx, p, polled.run);
        output.out(`${p.name} #${run.number}: ${run.status}${run.error ? ` (${run.error})` : ''}`);
      }
    } catch (e) {
      // Said once per change of error, not every minute while a server is down.
      const message = e instanceof Error ? e.message : String(e);
      if (lastError.get(p.name) !== message) output.err(`${p.name}: poll failed: ${message}`);
      lastError.set(p.name, message);
    } finally {
      release();
    }
  };
  const tick = (p: PipelineConfig): void => {
    if (busy.has(p.name)) return;
    const job = work(p).finally(() => busy.delete(p.name));
    busy.set(p.name, job);
  };

  const quiet = { info() {}, warn() {}, error() {}, debug() {} };
  const tasks: ScheduledTask[] = config.pipelines.map((p) => cron.schedule(p.poll, () => tick(p), { name: p.name, logger: quiet }));
  output.out(`slipway run: ${config.pipelines.length} pipeline(s), state ${config.settings.stateDir}, pid ${process.pid}`);
  for (const p of config.pipelines) tick(p);

  await (opts.stop ??
    new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    }));
  output.out('slipway run: stopping; letting running work finish');
  for (const t of tasks) await t.destroy();
  await Promise.all(busy.values());
  await rt.close();
  output.out('slipway run: stopped');
  return 0;
}
