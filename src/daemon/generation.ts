// One loaded config and what is built from it: the run context (with its SSH pool and report
// trigger). A reload makes a new generation; jobs already running keep the one they started
// with, and a retired generation's SSH connections are closed when its last job ends.
import type { Config, PipelineConfig } from '../config/types.ts';
import { createRunContext } from '../wiring/runtime.ts';
import type { Output } from '../wiring/output.ts';
import type { SshPool } from '../ssh/pool.ts';
import type { Generation } from './execute.ts';
import type { Logger } from './log.ts';
import { reportBaseUrl } from '../report/links.ts';

export class ConfigGeneration implements Generation {
  readonly ctx: Generation['ctx'];
  readonly pool: SshPool;
  readonly reportUrl?: string;
  private users = 0;
  private lastReport: Promise<void> = Promise.resolve();
  private retired = false;
  private closed?: Promise<void>;

  constructor(
    readonly config: Config,
    readonly origin: string,
    opts: { output: Output; log: Logger; signal: AbortSignal },
  ) {
    const { ctx, pool } = createRunContext(config, opts.output, { progress: (line) => opts.log.info(line), signal: opts.signal });
    // A run does not wait for the report: rendering 200 pipelines' pages took most of the
    // webhook → first test command latency (bench/daemon.ts). Renders still fold into one
    // (updateReport's queue), and flushReport() waits for the last one at shutdown.
    const render = ctx.report;
    this.ctx = {
      ...ctx,
      report: (changed) => {
        this.lastReport = render(changed);
        return Promise.resolve();
      },
    };
    this.pool = pool;
    const base = reportBaseUrl(config.settings);
    if (base !== undefined) this.reportUrl = base;
  }

  pipeline(name: string): PipelineConfig | undefined {
    return this.config.pipelines.find((p) => p.name === name);
  }

  /** Runs fn as a user of this generation (its pool stays open meanwhile). */
  async use<T>(fn: () => Promise<T>): Promise<T> {
    this.users++;
    try {
      return await fn();
    } finally {
      this.users--;
      if (this.retired && this.users === 0) void this.close();
    }
  }

  /** Render the whole report now and wait for it (and any render still running). */
  async flushReport(): Promise<void> {
    await this.lastReport;
    this.ctx.report();
    await this.lastReport;
  }

  retire(): void {
    this.retired = true;
    if (this.users === 0) void this.close();
  }

  close(): Promise<void> {
    this.closed ??= this.pool.closeAll();
    return this.closed;
  }

  /** Drop open SSH connections now (shutdown past its grace); later gets reconnect. */
  dropConnections(): Promise<void> {
    return this.pool.closeAll();
  }
}
