import { hostname, userInfo } from 'node:os';
import type { Config } from '../config/types.ts';
import { loadConfig } from '../config/load.ts';
import { acquireStateLock } from '../state/lock.ts';
import { sweepStateFolder } from '../state/store.ts';
import { setStateSecrets } from '../state/secret-mask.ts';
import { terminalText } from '../terminal-text.ts';
import { SshPool } from '../ssh/pool.ts';
import type { RunContext, StepWatch } from '../pipeline/context.ts';
import { createReportTrigger } from '../pipeline/report-trigger.ts';
import type { Output } from './output.ts';
import { watchInterrupts } from './interrupt.ts';
import { readStateId } from '../state/state-id.ts';
import { recoverPipeline, type Recovery } from '../pipeline/recover.ts';
import { releaseLeftLocks } from '../pipeline/release-locks.ts';
import { StatusPoster } from '../forge/commit-status.ts';

/** How long a command about to exit waits for commit statuses still being posted. */
const STATUS_DRAIN_MS = 8000;

export interface Runtime {
  config: Config;
  ctx: RunContext;
  /** Runs a dead slipway process left `running`, now `interrupted`, per pipeline. */
  recovered: Recovery[];
  /** 130/143 after Ctrl-C or SIGTERM: the command's exit code, whatever its run did. */
  readonly interrupted: number | undefined;
  close(): Promise<void>;
}

/**
 * Everything a command that changes state needs: the validated config, the state lock (two
 * slipway processes never write one state folder), swept temp files, an SSH pool and the report.
 */
export async function openRuntime(configDir: string, command: string, output: Output, opts: { progress?: (line: string) => void; watch?: StepWatch } = {}): Promise<Runtime> {
  const config = await loadConfig(configDir);
  const lock = await acquireStateLock(config.settings.stateDir, { command });
  const stop = watchInterrupts({ onAbort: () => pool.closeAll(), say: (line) => output.err(line) });
  const { ctx, pool } = createRunContext(config, output, { ...opts, signal: stop.signal });
  try {
    await sweepStateFolder(config.settings.stateDir);
    await readStateId(config.settings.stateDir); // written once, before any host lock names it
    // Holding the state lock, a run still `running` belongs to a process that died (kill -9,
    // a lost terminal): it can never finish, so it is interrupted before anything else runs.
    const recovered: Recovery[] = [];
    for (const p of config.pipelines) {
      const r = await recoverPipeline(ctx, p);
      if (r.interruptedRuns.length) await releaseLeftLocks(ctx, p, r.interruptedRuns, (line) => output.err(`slipway: ${line}`));
      for (const bad of r.setAside) output.err(`slipway: ${p.name}: unreadable run file set aside as ${bad.file}: ${bad.problem}`);
      if (r.interrupted.length) output.err(`slipway: ${p.name}: run${r.interrupted.length > 1 ? 's' : ''} #${r.interrupted.join(', #')} left running by a process that died: interrupted`);
      recovered.push(r);
    }
    return {
      config,
      ctx,
      recovered,
      get interrupted() {
        return stop.exitCode;
      },
      close: async () => {
        // Statuses still under way get a short while before the process exits; never more.
        await ctx.statuses?.drain(STATUS_DRAIN_MS);
        await pool.closeAll();
        await ctx.report();
        stop.dispose();
        await lock.release();
      },
    };
  } catch (e) {
    stop.dispose();
    await pool.closeAll();
    await lock.release();
    throw e;
  }
}

/** A run context for a config: its own SSH pool and report trigger (the daemon makes one per config it loads). */
export function createRunContext(config: Config, output: Output, opts: { progress?: (line: string) => void; signal?: AbortSignal; watch?: StepWatch } = {}): { ctx: RunContext; pool: SshPool } {
  const pool = createPool(config);
  setStateSecrets(config.settings.stateDir, config.secrets);
  const report = createReportTrigger(config, { onError: (e) => output.err(`slipway: report not written: ${e instanceof Error ? e.message : String(e)}`) });
  const ctx: RunContext = {
    config,
    pool,
    now: () => new Date(),
    progress: opts.progress ?? ((line) => output.out(terminalText(line))),
    report,
    actor: `${safeUser()}@${hostname()}`,
    statuses: new StatusPoster({
      stateDir: config.settings.stateDir,
      warn: (line) => output.err(`slipway: ${terminalText(line)}`),
      changed: (pipeline, run) => void report({ pipeline, run }).catch(() => undefined),
    }),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.watch ? { watch: opts.watch } : {}),
  };
  return { ctx, pool };
}

/** One reused SSH connection per host of this config, with its keys and timeouts. */
export function createPool(config: Config): SshPool {
  return new SshPool({
    hosts: config.hosts,
    connect: {
      ...(config.settings.ssh.identity ? { identity: config.settings.ssh.identity } : {}),
      ...(config.settings.ssh.knownHosts ? { knownHosts: config.settings.ssh.knownHosts } : {}),
      connectTimeoutMs: config.settings.ssh.connectTimeoutMs,
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
