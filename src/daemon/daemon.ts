import type { Config, PipelineConfig } from '../config/types.ts';
import { ConfigError } from '../errors.ts';
import { acquireStateLock } from '../state/lock.ts';
import { readStateId } from '../state/state-id.ts';
import { statePaths, sweepStateFolder } from '../state/store.ts';
import { recoverPipeline, sweepWorkspaces } from '../pipeline/recover.ts';
import { locksMaybeLeftBy } from '../pipeline/release-locks.ts';
import { detectNewCommit } from '../pipeline/poll.ts';
import { detectBranchCommits } from '../pipeline/branch-poll.ts';
import { killRunningCommands } from '../exec/run-local.ts';
import type { Output } from '../wiring/output.ts';
import { createLogger, type LogLevel, type Logger } from './log.ts';
import { detectSandbox } from '../exec/sandbox-runner.ts';
import { RunQueue } from './queue.ts';
import { Poller } from './poller.ts';
import { Schedules } from './schedule.ts';
import { ConfigGeneration } from './generation.ts';
import { abortTasks, executeInProcess, runTask } from './run-process.ts';
import { createReportProcess } from './report-process.ts';
import { fetchConfigRepo, type LoadedConfig } from './config-repo.ts';
import { applyConfigCommit, loadLastConfigRepo, loadLocalConfig } from './config-process.ts';
import { startInboxWatch } from './inbox-watch.ts';
import { startServer, type RunningServer } from './server.ts';
import { onSignals } from './signals.ts';
import { DaemonMetrics } from './metrics.ts';
import type { ChildProcess } from 'node:child_process';
import { Observer } from './observer.ts';
import { createObserveReader } from './observe-process.ts';
import { startIdleGc } from './idle-gc.ts';

// `slipway run`: polls every pipeline at start and on its cron, runs new commits through a queue
// (per-pipeline serial, global concurrency, coalescing to the newest commit), takes requests from
// STATE/inbox, serves the report and webhooks, notifies, prunes. SIGTERM: stop taking work, let
// runs finish within the grace period, then kill what remains (`interrupted`) and exit 0.
// SIGHUP: reload the config; a config that fails validation is logged and the old one stays.

export interface DaemonOptions {
  logLevel?: LogLevel;
  /** How long running steps get to finish after SIGTERM before they are killed. */
  graceMs?: number;
  /** Tests stop the daemon with this instead of a signal. */
  stop?: Promise<void>;
}

const CONFIG_REPO = '.config-repo';
/** After the grace period: how long killed runs get to record themselves and release host locks. */
const CLEANUP_MS = 15_000;

export async function runDaemon(configDir: string, output: Output, opts: DaemonOptions = {}): Promise<number> {
  const log = createLogger({ level: opts.logLevel ?? 'info', journald: process.stdout.isTTY !== true, write: (t) => process.stdout.write(t) });
  const local = await loadLocalConfig(configDir);
  log.setSecrets(local.secrets);
  const stateDir = local.settings.stateDir;
  const lock = await acquireStateLock(stateDir, { command: 'run' });
  const abort = new AbortController();
  const generations: ConfigGeneration[] = [];
  let server: RunningServer | undefined;
  try {
    await readStateId(stateDir); // written once, before any host lock names it
    const swept = (await sweepStateFolder(stateDir)) + (await sweepWorkspaces(stateDir));
    if (swept > 0) log.info(`swept ${swept} temp file(s) and workspace(s) left by an earlier crash`);

    let localConfig = local;
    let configCommit: string | undefined;
    let rejectedCommit: string | undefined;
    const verdicts = new Map<string, 'good' | 'bad' | undefined>();
    const metrics = new DaemonMetrics();
    const active = new Map<string, AbortController>();
    // Each run and each report update in a process of its own (run-process.ts).
    const children = new Set<ChildProcess>();
    const report = createReportProcess(() => gen, { log });
    const makeGeneration = (loaded: LoadedConfig): ConfigGeneration => {
      const gen = new ConfigGeneration(loaded.config, loaded.origin, { output, log, signal: abort.signal, report });
      log.setSecrets(loaded.config.secrets);
      generations.push(gen);
      return gen;
    };
    let gen = makeGeneration(await firstConfig(local, log, (c) => (configCommit = c)));

    // What every task process reports back through (run-process.ts), for the generation it serves.
    const taskDeps = (g: ConfigGeneration) => ({ log, verdicts, active, metrics, children, report: (c?: Parameters<ConfigGeneration['ctx']['report']>[0]) => void g.ctx.report(c) });
    const queue = new RunQueue({
      concurrency: gen.config.settings.concurrency,
      execute: (d) => {
        const g = gen;
        return g.use(() => executeInProcess(g, d, taskDeps(g)));
      },
    });
    const poller = new Poller({
      detect: async (p) => {
        let found: Awaited<ReturnType<typeof detectNewCommit>>;
        try {
          found = await detectNewCommit(gen.ctx, p);
          metrics.polled(p.name, true);
        } catch (e) {
          metrics.polled(p.name, false);
          throw e;
        }
        try {
          for (const b of await detectBranchCommits(gen.ctx, p)) queue.add(p.name, { kind: 'commit', commit: b.commit, trigger: 'poll', branch: b.branch });
        } catch (e) {
          log.warn(`${p.name}: poll of branches failed: ${e instanceof Error ? e.message : String(e)}`);
        }
        // Nothing new: the idle moment to join the packs that polls pile up (a no-op below 16).
        // Inside the poll, so never beside a fetch of the same mirror; checkouts are waited for.
        if (found.commit === undefined) {
          const { compactMirror } = await import('../git/pack-compact.ts');
          await compactMirror({ gitdir: statePaths(gen.config.settings.stateDir).git(p.name) }).catch((e: unknown) =>
            log.warn(`${p.name}: mirror compaction failed, the mirror stays as it was: ${e instanceof Error ? e.message : String(e)}`),
          );
        }
        return found;
      },
      onCommit: (p, commit, reason) => queue.add(p.name, { kind: 'commit', commit, trigger: reason === 'webhook' ? 'webhook' : 'poll' }),
      log,
    });
    const schedules = new Schedules();
    // observe: each environment's hosts read on its interval, drift recorded, self-heal queued.
    const reader = createObserveReader(() => gen, { log, busy: (p) => queue.busy(p), children });
    const observer = new Observer({ generation: () => gen, queue, log, reader });
    const tick = (name: string): void => {
      if (name === CONFIG_REPO) return void pollConfigRepo();
      const p = gen.pipeline(name);
      if (p) poller.poll(p, 'cron');
    };
    const syncSchedules = (config: Config): Promise<void> => {
      const wanted = new Map(config.pipelines.map((p) => [p.name, p.poll] as const));
      if (config.settings.configRepo) wanted.set(CONFIG_REPO, config.settings.configRepo.poll);
      return schedules.sync(wanted, tick);
    };

    const swap = async (loaded: LoadedConfig, why: string): Promise<void> => {
      if (loaded.config.settings.stateDir !== stateDir) {
        log.error(`config not reloaded (${why}): stateDir changed to ${loaded.config.settings.stateDir}; a running daemon keeps ${stateDir} (restart to move it)`);
        return;
      }
      const old = gen;
      gen = makeGeneration(loaded);
      old.retire();
      queue.setConcurrency(gen.config.settings.concurrency);
      for (const p of old.config.pipelines) if (!gen.pipeline(p.name)) poller.forget(p.name);
      await syncSchedules(gen.config);
      observer.sync(gen.config);
      server = await startServer(server, gen.config, serverHooks(), log);
      log.notice(`config reloaded (${why}) from ${loaded.origin}: ${describe(gen.config)}`);
      // New pipelines poll at once, as at start.
      for (const p of gen.config.pipelines) if (!old.pipeline(p.name)) poller.poll(p, 'reload');
    };

    const reload = async (): Promise<void> => {
      try {
        const fresh = await loadLocalConfig(configDir);
        localConfig = fresh;
        let loaded: LoadedConfig = { config: fresh, origin: 'local' };
        if (fresh.settings.configRepo) {
          const head = await fetchConfigRepo(fresh.settings.configRepo, stateDir, undefined);
          loaded = head ? await applyConfigCommit(fresh, head) : loaded;
          configCommit = loaded.commit;
        }
        await swap(loaded, 'SIGHUP');
      } catch (e) {
        logRejected(log, 'SIGHUP', e);
      }
    };

    let configPolling = false;
    const pollConfigRepo = async (): Promise<void> => {
      const repo = localConfig.settings.configRepo;
      if (!repo || configPolling) return;
      configPolling = true;
      try {
        const head = await fetchConfigRepo(repo, stateDir, configCommit);
        if (!head || head === rejectedCommit) return;
        try {
          const loaded = await applyConfigCommit(localConfig, head);
          configCommit = head;
          await swap(loaded, `config repo commit ${head.slice(0, 7)}`);
        } catch (e) {
          rejectedCommit = head;
          logRejected(log, `config repo commit ${head.slice(0, 7)}`, e);
        }
      } catch (e) {
        log.warn(`config repo: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        configPolling = false;
      }
    };

    const serverHooks = () => ({
      www: () => statePaths(stateDir).www,
      pipeline: (name: string) => gen.pipeline(name),
      poll: (p: PipelineConfig) => poller.poll(p, 'webhook'),
      metrics: () => metrics.render({ queued: queue.pendingCount, active: queue.activeCount, pipelines: gen.config.pipelines.map((p) => p.name) }),
      webhookAnswered: (status: number) => metrics.webhookAnswered(status),
      health: () => ({ pid: process.pid, pipelines: gen.config.pipelines.length, running: queue.activeCount, config: gen.origin, failingPolls: poller.failing() }),
    });

    // Crash recovery before the first poll, so a recovered commit is not also found new.
    for (const p of gen.config.pipelines) {
      const r = await recoverPipeline(gen.ctx, p);
      // In a task process of its own: releasing takes SSH, which the daemon never loads.
      const locked = r.interruptedRuns.filter((run) => locksMaybeLeftBy(run, (name) => p.environments.find((e) => e.name === name)?.hosts).length > 0);
      if (locked.length) void runTask(gen, { kind: 'unlock', pipeline: p.name, runs: locked }, taskDeps(gen));
      for (const bad of r.setAside) log.error(`${p.name}: unreadable run file set aside as ${bad.file}: ${bad.problem}`);
      if (r.interrupted.length) log.warn(`${p.name}: run${r.interrupted.length > 1 ? 's' : ''} #${r.interrupted.join(', #')} left running by an earlier stop or crash: interrupted`);
      if (r.superseded.length) log.info(`${p.name}: queued run(s) #${r.superseded.join(', #')} superseded`);
      if (r.queued) queue.add(p.name, { kind: 'queued', run: r.queued });
      else if (r.rerun) queue.add(p.name, { kind: 'commit', commit: r.rerun, trigger: 'recovery', ...(r.rerunBranch && r.rerunBranch !== p.branch ? { branch: r.rerunBranch } : {}) });
    }

    await syncSchedules(gen.config);
    server = await startServer(undefined, gen.config, serverHooks(), log);
    const inbox = startInboxWatch({ stateDir, log, generation: () => gen, queue, poller, active });
    // Before the first line that says the daemon is up: a SIGTERM sent on reading it must stop
    // it gracefully, not kill it.
    const signals = onSignals({ reload: () => void reload() });
    log.notice(`slipway run: ${describe(gen.config)} from ${gen.origin}, state ${stateDir}, pid ${process.pid}${server ? `, http://${server.address}` : ''}`);
    logSandbox(log, gen.config.settings.sandbox);
    for (const p of gen.config.pipelines) poller.poll(p, 'start');
    observer.sync(gen.config);
    const idleGc = startIdleGc({ busy: () => queue.activeCount + queue.pendingCount > 0 });

    await Promise.race([signals.stopped, ...(opts.stop ? [opts.stop] : [])]);
    signals.dispose();
    idleGc.stop();

    const graceMs = opts.graceMs ?? 30_000;
    const { pending } = queue.stop();
    log.notice(`slipway run: stopping (${signals.which ?? 'stop'}); ${queue.activeCount} run(s) get ${Math.round(graceMs / 1000)} s to finish${pending ? `, ${pending} queued one(s) stay queued for the next start` : ''}`);
    await schedules.stopAll();
    await observer.stop();
    await inbox.stop();
    await server?.close();
    server = undefined;
    const finished = await Promise.race([queue.drain().then(() => true), delay(graceMs).then(() => false)]);
    if (!finished) {
      abort.abort();
      const killed = killRunningCommands('SIGKILL') + abortTasks(children);
      log.warn(`slipway run: grace period over; killed ${killed} local command(s) and run process(es), dropping SSH connections; unfinished runs become interrupted`);
      await Promise.all(generations.map((g) => g.dropConnections()));
      const recorded = await Promise.race([queue.drain().then(() => true), delay(CLEANUP_MS).then(() => false)]);
      if (!recorded) log.error('slipway run: runs did not record their end in time; the next start marks them interrupted');
    }
    await Promise.race([poller.drain(), delay(5000)]);
    await gen.flushReport();
    await report.close();
    log.notice('slipway run: stopped');
    return 0;
  } finally {
    await server?.close();
    await Promise.all(generations.map((g) => g.close()));
    await lock.release();
  }
}

/** The config to start with: the config repo's newest commit when there is one, else its last good copy, else the local folder. */
async function firstConfig(local: Config, log: Logger, setCommit: (c: string) => void): Promise<LoadedConfig> {
  const repo = local.settings.configRepo;
  if (!repo) return { config: local, origin: 'local' };
  try {
    const head = await fetchConfigRepo(repo, local.settings.stateDir, undefined);
    if (head) {
      const loaded = await applyConfigCommit(local, head);
      setCommit(head);
      return loaded;
    }
  } catch (e) {
    logRejected(log, 'config repo at start', e);
  }
  const last = await loadLastConfigRepo(local).catch(() => undefined);
  if (last) return last;
  log.warn('config repo: no usable copy yet; running the local config folder');
  return { config: local, origin: 'local' };
}

function logRejected(log: Logger, why: string, e: unknown): void {
  if (e instanceof ConfigError) {
    log.error(`config rejected (${why}); the running config stays:`);
    for (const line of e.message.split('\n')) log.error(`  ${line}`);
  } else {
    log.error(`config not reloaded (${why}): ${e instanceof Error ? e.message : String(e)}; the running config stays`);
  }
}

/** Resolves after ms without keeping the process alive: a bound raced against work, not a wait. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function describe(config: Config): string {
  const n = config.pipelines.length;
  return `${n} pipeline${n === 1 ? '' : 's'}, concurrency ${config.settings.concurrency}`;
}

/** The sandbox test commands get: unisolated is a warning in the journal, never silent. */
function logSandbox(log: Logger, setting: Config['settings']['sandbox']): void {
  const sandbox = detectSandbox(setting);
  if (sandbox.problem) log.error(`slipway run: ${sandbox.problem}`);
  else if (sandbox.warning) log.warn(`slipway run: ${sandbox.warning}`);
  else log.notice(`slipway run: ${sandbox.describe}`);
}
