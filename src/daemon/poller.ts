// Polls of the pipelines: never two of one pipeline at once, at most a few at once overall (200
// pipelines on one cron minute must not open 200 fetches together). A failing poll (server down,
// 401, DNS) is logged when its error changes, not every minute; the pipeline then backs off
// (15 s, 30 s, … up to 15 min) and cron ticks in between are skipped. A webhook polls at once.
import type { PipelineConfig } from '../config/types.ts';
import type { Detection } from '../pipeline/poll.ts';
import type { Logger } from './log.ts';

const BACKOFF_START_MS = 15_000;
const BACKOFF_MAX_MS = 15 * 60_000;
const POLLS_AT_ONCE = 8;

export type PollReason = 'start' | 'cron' | 'webhook' | 'trigger' | 'reload';

interface PollState {
  busy: boolean;
  /** Poll again as soon as the running one ends (a webhook arrived meanwhile). */
  again: boolean;
  failures: number;
  retryAt: number;
  lastError?: string;
}

export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** Math.max(0, failures - 1));
}

export class Poller {
  private readonly states = new Map<string, PollState>();
  private slots = POLLS_AT_ONCE;
  private readonly waiting: Array<() => void> = [];
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly opts: {
      detect: (p: PipelineConfig) => Promise<Detection>;
      onCommit: (p: PipelineConfig, commit: string, reason: PollReason) => void;
      log: Logger;
      now?: () => number;
    },
  ) {}

  /** Start a poll unless one runs or the pipeline is backing off (webhooks and triggers ignore the backoff). */
  poll(p: PipelineConfig, reason: PollReason): void {
    const s = this.state(p.name);
    const forced = reason === 'webhook' || reason === 'trigger';
    if (s.busy) {
      if (forced) s.again = true;
      return;
    }
    if (!forced && this.now() < s.retryAt) return;
    s.busy = true;
    const job = this.run(p, reason, s).finally(() => {
      s.busy = false;
      this.running.delete(job);
      if (s.again) {
        s.again = false;
        this.poll(p, 'webhook');
      }
    });
    this.running.add(job);
  }

  /** What /healthz tells: pipelines whose polls fail now. */
  failing(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, s] of this.states) if (s.lastError) out[name] = s.lastError;
    return out;
  }

  forget(name: string): void {
    this.states.delete(name);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private async run(p: PipelineConfig, reason: PollReason, s: PollState): Promise<void> {
    await this.acquire();
    try {
      const found = await this.opts.detect(p);
      if (s.lastError !== undefined) this.opts.log.notice(`${p.name}: polling works again (after ${s.failures} failed poll${s.failures === 1 ? '' : 's'})`);
      s.failures = 0;
      s.retryAt = 0;
      delete s.lastError;
      if (found.commit !== undefined) {
        this.opts.log.info(`${p.name}: new commit ${found.commit.slice(0, 7)} (${reason})`);
        this.opts.onCommit(p, found.commit, reason);
      } else {
        this.opts.log.debug(`${p.name}: ${found.reason}`);
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      s.failures++;
      const wait = backoffMs(s.failures);
      s.retryAt = this.now() + wait;
      if (s.lastError !== message) this.opts.log.error(`${p.name}: poll failed: ${message} (retrying with backoff, first in ${Math.round(wait / 1000)} s; said again only when the error changes)`);
      s.lastError = message;
    } finally {
      this.release();
    }
  }

  private state(name: string): PollState {
    let s = this.states.get(name);
    if (!s) {
      s = { busy: false, again: false, failures: 0, retryAt: 0 };
      this.states.set(name, s);
    }
    return s;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private async acquire(): Promise<void> {
    if (this.slots > 0) {
      this.slots--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.slots++;
  }
}
