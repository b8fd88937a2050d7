// The daemon's side of a task in its own process (src/daemon/run-child.ts). Measured: the daemon
// that ran its runs in-process idled at ~104 MB after its first deploy (ssh2, execa, the report
// renderers and the heap V8 grew for them stay for good); a run's process takes all of that with
// it when it exits. A process that dies (kill -9, an uncaught error, the OOM killer) leaves the
// daemon running: its run is recorded `failed` with how it died, and its deploy locks are released
// by a second task as recovery does.
import { fork, type ChildProcess } from 'node:child_process';
import type { Config } from '../config/types.ts';
import type { ReportChange } from '../report/update.ts';
import type { RunRecord } from '../state/types.ts';
import type { HealOutcome } from '../pipeline/heal-run.ts';
import type { Dispatch, Job, Reply } from './queue.ts';
import type { Logger } from './log.ts';
import { deathOf, taskOfDispatch, type ChildTask, type FromChild, type ToChild } from './run-protocol.ts';

/** The task processes' entry (the .ts one when the daemon itself runs from source under tsx). */
export const childEntry = new URL(`./run-child${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export interface TaskGeneration {
  config: Config;
  reportUrl?: string;
}

export interface ProcessDeps {
  log: Logger;
  verdicts: Map<string, 'good' | 'bad' | undefined>;
  metrics?: { observeRun(run: RunRecord): void };
  /** Runs in progress by "PIPELINE#N": aborting one sends `cancel` to its process. */
  active: Map<string, AbortController>;
  /** Every task process alive now, for the end of the daemon's grace period. */
  children: Set<ChildProcess>;
  /** A run asked for a report update (the daemon renders in a report task of its own). */
  report: (changed?: ReportChange) => void;
}

export interface TaskOutcome {
  /** How the process died, when it did not end its task. */
  died?: string;
  /** The run it was carrying out when it died. */
  run?: { pipeline: string; run: number };
}

/** Forks the task's process and follows it to its exit; never rejects. */
export function runTask(gen: TaskGeneration, task: ChildTask, deps: ProcessDeps, replies: Array<Reply | undefined> = [], settle?: (m: Extract<FromChild, { type: 'healed' }>) => void): Promise<TaskOutcome> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      // The task's kind in argv names the process in `ps`. stdout is never written; stderr
      // carries only what Node itself prints (a warning).
      child = fork(childEntry, [task.kind], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    } catch (e) {
      resolve({ died: `the run's process did not start: ${e instanceof Error ? e.message : String(e)}` });
      return;
    }
    deps.children.add(child);
    const answered = new Set<number>();
    const started = new Map<number, { pipeline: string; run: number }>();
    const mine = new Set<string>();
    const groups = new Set<number>();
    let current: { pipeline: string; run: number } | undefined;
    let ended = false;
    let crash: string | undefined;
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      for (const line of text.split('\n')) if (line.trim()) deps.log.debug(`task ${child.pid}: ${line}`);
    });
    child.on('message', (m: FromChild) => {
      switch (m.type) {
        case 'log':
          return deps.log[m.level](m.line);
        case 'reply': {
          const reply = replies[m.index];
          if (m.method === 'started') {
            started.set(m.index, { pipeline: m.pipeline, run: m.run });
            return void reply?.started(m.pipeline, m.run).catch(() => undefined);
          }
          answered.add(m.index);
          if (m.method === 'refused') return void reply?.refused(m.message, m.exitCode).catch(() => undefined);
          return void reply?.done(m.result).catch(() => undefined);
        }
        case 'active': {
          current = { pipeline: m.pipeline, run: m.run };
          mine.add(m.key);
          const controller = new AbortController();
          controller.signal.addEventListener('abort', () => {
            const reason = controller.signal.reason as { by?: unknown } | undefined;
            send(child, { type: 'cancel', key: m.key, by: typeof reason?.by === 'string' ? reason.by : 'unknown' });
          });
          deps.active.set(m.key, controller);
          return;
        }
        case 'inactive':
          mine.delete(m.key);
          return void deps.active.delete(m.key);
        case 'observed':
          return deps.metrics?.observeRun(m.run);
        case 'verdict':
          return void deps.verdicts.set(m.pipeline, m.verdict ?? undefined);
        case 'report':
          return deps.report(m.changed);
        case 'crash':
          crash = m.message;
          return;
        case 'healed':
          return settle?.(m);
        case 'group':
          return void (m.running ? groups.add(m.pid) : groups.delete(m.pid));
        case 'end':
          ended = true;
          return;
      }
    });
    child.on('error', (e) => deps.log.warn(`task ${child.pid ?? '?'}: ${e.message}`));
    child.once('exit', (code, signal) => {
      deps.children.delete(child);
      for (const key of mine) deps.active.delete(key);
      const died = ended ? undefined : deathOf({ code, signal, ...(crash !== undefined ? { crash } : {}) });
      // Its local commands (a test step in its own process group) would run on, orphaned.
      for (const pid of groups) killGroup(pid);
      if (died) {
        // A waiting CLI gets its answer whatever became of the process.
        replies.forEach((reply, i) => {
          if (!reply || answered.has(i)) return;
          const run = started.get(i);
          void (run ? reply.done({ ...run, exitCode: 1, message: died }) : reply.refused(died, 1)).catch(() => undefined);
        });
      }
      resolve({ ...(died ? { died } : {}), ...(current ? { run: current } : {}) });
    });
    send(child, { type: 'start', config: gen.config, ...(gen.reportUrl ? { reportUrl: gen.reportUrl } : {}), task });
  });
}

/** One dispatch of the queue in its own process; a death of that process is recorded in its run. */
export async function executeInProcess(gen: TaskGeneration, d: Dispatch, deps: ProcessDeps): Promise<void> {
  const verdict = deps.verdicts.has(d.pipeline) ? (deps.verdicts.get(d.pipeline) ?? null) : undefined;
  const replies = [d.job, ...d.superseded].map(replyOf);
  const job = d.job;
  let settled: Promise<void> | undefined;
  const settle = job.kind === 'heal' ? (m: { outcome?: HealOutcome }) => void (settled ??= job.settle(m.outcome).catch((e: unknown) => deps.log.error(`${d.pipeline}: recording the heal failed: ${e instanceof Error ? e.message : String(e)}`))) : undefined;
  const outcome = await runTask(gen, taskOfDispatch(d, verdict), deps, replies, settle);
  // A heal whose process died before it said how it went: the observer still hears of it.
  if (job.kind === 'heal') {
    settle?.({});
    await settled;
  }
  if (!outcome.died) return;
  if (!outcome.run) {
    deps.log.error(`${d.pipeline}: ${d.job.kind} failed: ${outcome.died}`);
    return;
  }
  deps.log.error(`${outcome.run.pipeline} #${outcome.run.run}: ${outcome.died}`);
  const again = deps.verdicts.has(d.pipeline) ? (deps.verdicts.get(d.pipeline) ?? null) : undefined;
  const record = await runTask(gen, { kind: 'died', ...outcome.run, message: outcome.died, ...(again !== undefined ? { verdict: again } : {}) }, deps);
  if (record.died) deps.log.error(`${outcome.run.pipeline} #${outcome.run.run}: could not record the death of its process (${record.died}); the next start marks it interrupted`);
}

/** The end of the grace period: every task process stops what it runs and records it interrupted. */
export function abortTasks(children: Set<ChildProcess>): number {
  for (const child of children) send(child, { type: 'abort' });
  return children.size;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group ended with its process.
  }
}

function send(child: ChildProcess, m: ToChild): void {
  if (child.connected) child.send(m, (e) => void e);
}

function replyOf(job: Job): Reply | undefined {
  return 'reply' in job ? job.reply : undefined;
}
