// One loaded config and what is built from it: the run context (with its SSH pool and report
// trigger). A reload makes a new generation; jobs already running keep the one they started
// with, and a retired generation's SSH connections are closed when its last job ends.
import { hostname, userInfo } from 'node:os';
import type { Config, PipelineConfig } from '../config/types.ts';
import type { Output } from '../wiring/output.ts';
import { SshPool } from '../ssh/pool.ts';
import { setStateSecrets } from '../state/secret-mask.ts';
import type { Generation } from './execute.ts';
import type { Logger } from './log.ts';
import { reportBaseUrl } from '../report/links.ts';
import type { ReportProcess } from './report-process.ts';

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
    opts: { output: Output; log: Logger; signal: AbortSignal; report: ReportProcess },
  ) {
    // The daemon's own context: polls, recovery, inbox requests. Runs build theirs in their own
    // process (run-child.ts), so this one never imports the run or report code.
    setStateSecrets(config.settings.stateDir, config.secrets);
    this.pool = createDaemonPool(config);
    // A run does not wait for the report: rendering 200 pipelines' pages took most of the
    // webhook → first test command latency (bench/daemon.ts). Renders still fold into one
    // (the report process's queue), and flushReport() waits for the last one at shutdown.
    this.ctx = {
      config,
      pool: this.pool,
      now: () => new Date(),
      progress: (line) => opts.log.info(line),
      report: (changed) => {
        this.lastReport = opts.report.update(changed);
        return Promise.resolve();
      },
      actor: `${safeUser()}@${hostname()}`,
      signal: opts.signal,
    };
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

/** The SSH pool of the daemon's context, and of an observe process (observe-child.ts). */
export function createDaemonPool(config: Config): SshPool {
  const ssh = config.settings.ssh;
  return new SshPool({
    hosts: config.hosts,
    connect: {
      ...(ssh.identity ? { identity: ssh.identity } : {}),
      ...(ssh.knownHosts ? { knownHosts: ssh.knownHosts } : {}),
      connectTimeoutMs: ssh.connectTimeoutMs,
    },
  });
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
