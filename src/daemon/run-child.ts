// The process of one daemon task (forked by src/daemon/run-process.ts): a run of the queue
// through the same executeJob as before, the record of a run whose process died, or a report
// update. It imports what the daemon never needs to keep (ssh2, execa, the test, deploy and
// report code) and exits when its task ends, so the heap a run grows goes back to the OS.
// Everything it writes goes to the state folder as before; the daemon hears of the rest (log
// lines, replies to a waiting CLI, the run it carries out, metrics, report hints) over IPC.
import type { RunContext } from '../pipeline/context.ts';
import type { Reply } from './queue.ts';
import type { Logger } from './log.ts';
import type { ChildTask, FromChild, ToChild, WireJob } from './run-protocol.ts';

// The daemon decides when a run stops: Ctrl-C and systemd's stop reach the whole process group
// or cgroup, and a run killed here by them would skip the rollback the daemon's grace allows.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => undefined);

const send = (m: FromChild, then?: () => void): void => {
  if (process.connected) process.send?.(m, undefined, {}, () => then?.());
  else then?.();
};

// No stack trace ever reaches the journal: the message goes to the daemon, which records the run
// failed with it.
const crash = (e: unknown): void => {
  send({ type: 'crash', message: e instanceof Error ? e.message : String(e) }, () => process.exit(70));
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

// The daemon died (kill -9): this run can no longer be answered for, and the next daemon start
// recovers it as interrupted. Stop at once rather than race that recovery.
process.on('disconnect', () => {
  void import('../exec/run-local.ts').then(({ killRunningCommands }) => killRunningCommands('SIGKILL')).finally(() => process.exit(1));
});

const log: Logger = {
  error: (line) => send({ type: 'log', level: 'error', line }),
  warn: (line) => send({ type: 'log', level: 'warn', line }),
  notice: (line) => send({ type: 'log', level: 'notice', line }),
  info: (line) => send({ type: 'log', level: 'info', line }),
  debug: (line) => send({ type: 'log', level: 'debug', line }),
  setSecrets: () => undefined,
};

process.once('message', (m: ToChild) => {
  if (m.type === 'load') {
    void import('./config-child.ts').then(({ loadConfigTask }) => loadConfigTask(m.request)).then(
      (answer) => send(answer, () => process.exit(0)),
      crash,
    );
    return;
  }
  if (m.type !== 'start') return;
  void runTask(m).then(
    () => send({ type: 'end' }, () => process.exit(0)),
    crash,
  );
});

async function runTask(m: Extract<ToChild, { type: 'start' }>): Promise<void> {
  const { config, task } = m;
  if (task.kind === 'report') return serveReports(config, task.changed);
  if (task.kind === 'observe') return (await import('./observe-child.ts')).observeTargets(config, task, (msg) => send(msg));
  (await import('../exec/run-local.ts')).watchGroups((pid, running) => send({ type: 'group', pid, running }));
  const { createRunContext } = await import('../wiring/runtime.ts');
  const { createOutput } = await import('../wiring/output.ts');
  const abort = new AbortController();
  const { ctx: base, pool } = createRunContext(config, createOutput(), { progress: (line) => log.info(line), signal: abort.signal });
  // Every render goes to the daemon's report process, commit statuses' too: two processes
  // rendering one www at once could record a page in the report's manifest that the other wrote.
  const report = (changed?: import('../report/update.ts').ReportChange): Promise<void> => (send({ type: 'report', ...(changed ? { changed } : {}) }), Promise.resolve());
  const { StatusPoster } = await import('../forge/commit-status.ts');
  const statuses = new StatusPoster({ stateDir: config.settings.stateDir, warn: (line) => log.warn(line), changed: (pipeline, run) => void report({ pipeline, run }) });
  const ctx: RunContext = { ...base, report, statuses };
  const active = new ActiveRuns();
  process.on('message', (msg: ToChild) => {
    if (msg.type === 'cancel') void import('../pipeline/cancel.ts').then(({ CancelRequest }) => active.get(msg.key)?.abort(new CancelRequest(msg.by)));
    if (msg.type === 'abort') {
      abort.abort();
      void import('../exec/run-local.ts').then(({ killRunningCommands }) => killRunningCommands('SIGKILL'));
      void pool.closeAll();
    }
  });
  const verdicts = new Map<string, 'good' | 'bad' | undefined>();
  if (task.kind !== 'unlock' && task.verdict !== undefined) verdicts.set(task.pipeline, task.verdict ?? undefined);
  const deps = { log, verdicts, active, metrics: { observeRun: (run: import('../state/types.ts').RunRecord) => send({ type: 'observed', run }) } };
  const gen = { ctx, pipeline: (name: string) => config.pipelines.find((p) => p.name === name), ...(m.reportUrl ? { reportUrl: m.reportUrl } : {}) };
  try {
    if (task.kind === 'job') {
      const { executeJob } = await import('./execute.ts');
      await executeJob(gen, { pipeline: task.pipeline, job: jobOf(task.job, 0), superseded: task.superseded.map((j, i) => jobOf(j, i + 1)) }, deps);
    } else if (task.kind === 'unlock') {
      const pipeline = gen.pipeline(task.pipeline);
      const { releaseLeftLocks } = await import('../pipeline/release-locks.ts');
      if (pipeline) await releaseLeftLocks(ctx, pipeline, task.runs, (line) => log.info(line));
    } else {
      await recordDeath(gen, task, deps);
    }
    if (verdicts.has(task.pipeline)) send({ type: 'verdict', pipeline: task.pipeline, verdict: verdicts.get(task.pipeline) ?? null });
  } finally {
    await ctx.statuses?.drain(8000);
    await pool.closeAll();
  }
}

/**
 * A report process: one update now, then one per `report` message, warm (the report's cache stays
 * in memory), until the daemon says `exit`. A failed update is logged; the next one tries again.
 */
async function serveReports(first: import('../config/types.ts').Config, changed: import('../report/update.ts').ReportChange[] | undefined): Promise<void> {
  const { reportConfigOf, updateReport } = await import('../report/index.ts');
  const { errorMessage } = await import('../pipeline/failure.ts');
  const update = async (config: import('../config/types.ts').Config, changes: typeof changed): Promise<void> => {
    try {
      await updateReport(config.settings.stateDir, reportConfigOf(config), changes ? { changed: changes } : {});
    } catch (e) {
      log.warn(`report not written: ${errorMessage(e)}`);
    }
    send({ type: 'reported' });
  };
  let queue = update(first, changed);
  await new Promise<void>((resolve) => {
    process.on('message', (m: ToChild) => {
      if (m.type === 'report') queue = queue.then(() => update(m.config, m.changed));
      if (m.type === 'exit') void queue.then(resolve);
    });
  });
}

/** The run's process died: failed with the reason, its deploy locks released as recovery does, notified. */
async function recordDeath(gen: { ctx: RunContext; pipeline(name: string): import('../config/types.ts').PipelineConfig | undefined; reportUrl?: string }, task: Extract<ChildTask, { kind: 'died' }>, deps: Parameters<typeof import('./execute.ts').afterRun>[3]): Promise<void> {
  const { readRun, writeRun } = await import('../state/store.ts');
  const { ENDED_STATUSES } = await import('../state/types.ts');
  const { markDied } = await import('./run-protocol.ts');
  const { maskSecrets } = await import('../exec/mask.ts');
  const stateDir = gen.ctx.config.settings.stateDir;
  const run = await readRun(stateDir, task.pipeline, task.run);
  if (ENDED_STATUSES.includes(run.status)) return;
  const pipeline = gen.pipeline(task.pipeline);
  await writeRun(stateDir, markDied(run, gen.ctx.now().toISOString(), maskSecrets(task.message, gen.ctx.config.secrets)));
  deps.log.error(`${task.pipeline} #${task.run}: failed: ${task.message}`);
  deps.metrics?.observeRun(run);
  await gen.ctx.report({ pipeline: task.pipeline, run: task.run });
  if (!pipeline) return;
  const { releaseLeftLocks } = await import('../pipeline/release-locks.ts');
  await releaseLeftLocks(gen.ctx, pipeline, [run], (line) => deps.log.info(line));
  const { afterRun } = await import('./execute.ts');
  await afterRun(gen, pipeline, run, deps);
}

/** A reply that answers through the daemon, which holds the real one. */
function jobOf(wire: WireJob, index: number): import('./queue.ts').Job {
  const { replied, ...job } = wire;
  // A heal's outcome goes back to the daemon, whose observer counts failed heals.
  if (job.kind === 'heal') return { ...job, settle: async (outcome) => send({ type: 'healed', ...(outcome ? { outcome } : {}) }) };
  if (!replied) return job as import('./queue.ts').Job;
  const reply: Reply = {
    started: async (pipeline, run) => send({ type: 'reply', index, method: 'started', pipeline, run }),
    refused: async (message, exitCode) => send({ type: 'reply', index, method: 'refused', message, ...(exitCode !== undefined ? { exitCode } : {}) }),
    done: async (result) => send({ type: 'reply', index, method: 'done', ...(result ? { result } : {}) }),
  };
  return { ...job, reply } as import('./queue.ts').Job;
}

/** executeJob's map of runs in progress: the daemon learns of each, to route `cancel` here. */
class ActiveRuns extends Map<string, AbortController> {
  override set(key: string, value: AbortController): this {
    const at = key.lastIndexOf('#');
    if (at > 0) send({ type: 'active', key, pipeline: key.slice(0, at), run: Number(key.slice(at + 1)) });
    // Fault injection for the tests of a run process that dies of an error nothing caught
    // (test/daemon/run-process.test.ts): SLIPWAY_FAULT_RUN=PIPELINE#N throws once that run started.
    if (process.env.SLIPWAY_FAULT_RUN === key) setImmediate(() => {
      throw new Error(`fault injected into ${key} by SLIPWAY_FAULT_RUN`);
    });
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    send({ type: 'inactive', key });
    return super.delete(key);
  }
}
