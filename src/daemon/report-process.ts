// The daemon's report updates, in a process of their own (the report renderers cost the daemon
// ~18 MB of RSS to import and more to run). That process stays while updates keep coming (a run
// asks for one at every step), warm, with the report cache in memory, and exits once none came
// for IDLE_MS, so an idle daemon holds none of it. Updates never overlap: what is asked while one
// runs folds into one follow-up that merges the changes (any ask without a change means every
// pipeline), as updateReport does in-process.
import { fork, type ChildProcess } from 'node:child_process';
import type { ReportChange } from '../report/update.ts';
import type { Logger } from './log.ts';
import type { FromChild, ToChild } from './run-protocol.ts';
import { deathOf } from './run-protocol.ts';
import { childEntry, type TaskGeneration } from './run-process.ts';

const IDLE_MS = 5000;

export interface ReportProcess {
  /** Asks for an update; resolves when one that includes it has ended. */
  update(changed?: ReportChange): Promise<void>;
  /** Ends the report process (daemon shutdown, after the last update). */
  close(): Promise<void>;
}

interface Worker {
  child: ChildProcess;
  started: boolean;
  pending?: () => void;
  idle?: NodeJS.Timeout;
  exited: Promise<void>;
}

export function createReportProcess(gen: () => TaskGeneration, deps: { log: Logger }): ReportProcess {
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let next: { changed: ReportChange[] | undefined; done: Promise<void> } | undefined;

  const spawnWorker = (): Worker => {
    const child = fork(childEntry, ['report'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    let crash: string | undefined;
    const w: Worker = { child, started: false, exited: new Promise((resolve) => child.once('exit', () => resolve())) };
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      for (const line of text.split('\n')) if (line.trim()) deps.log.debug(`report process ${child.pid}: ${line}`);
    });
    child.on('message', (m: FromChild) => {
      if (m.type === 'log') deps.log[m.level](m.line);
      else if (m.type === 'crash') crash = m.message;
      else if (m.type === 'reported') {
        const done = w.pending;
        w.pending = undefined;
        done?.();
        clearTimeout(w.idle);
        w.idle = setTimeout(() => {
          if (worker === w && w.pending === undefined) retire(w);
        }, IDLE_MS).unref();
      }
    });
    child.on('error', (e) => deps.log.warn(`report process ${child.pid ?? '?'}: ${e.message}`));
    child.once('exit', (code, signal) => {
      if (worker === w) worker = undefined;
      clearTimeout(w.idle);
      if (w.pending) {
        deps.log.warn(`report not written: ${deathOf({ code, signal, ...(crash !== undefined ? { crash } : {}) }).replace("the run's process", 'its process')}`);
        w.pending();
      }
    });
    return w;
  };

  const retire = (w: Worker): Promise<void> => {
    if (worker === w) worker = undefined;
    clearTimeout(w.idle);
    send(w.child, { type: 'exit' });
    return w.exited;
  };

  const execute = (changed: ReportChange[] | undefined): Promise<void> =>
    new Promise<void>((resolve) => {
      const w = (worker ??= spawnWorker());
      clearTimeout(w.idle);
      w.pending = resolve;
      const { config } = gen();
      send(w.child, w.started ? { type: 'report', config, ...(changed ? { changed } : {}) } : { type: 'start', config, task: { kind: 'report', ...(changed ? { changed } : {}) } });
      w.started = true;
    });

  const start = (changed: ReportChange[] | undefined): Promise<void> => {
    const p = execute(changed);
    const tracked: Promise<void> = p.finally(() => {
      if (running === tracked) running = undefined;
    });
    running = tracked;
    return p;
  };

  return {
    update(changed) {
      if (!running) return start(changed ? [changed] : undefined);
      if (next) {
        next.changed = next.changed === undefined || changed === undefined ? undefined : [...next.changed, changed];
        return next.done;
      }
      const pending: { changed: ReportChange[] | undefined; done: Promise<void> } = { changed: changed ? [changed] : undefined, done: Promise.resolve() };
      pending.done = running.then(() => {
        next = undefined;
        return start(pending.changed);
      });
      next = pending;
      return pending.done;
    },
    async close() {
      for (let r = next?.done ?? running; r !== undefined; r = next?.done ?? running) await r;
      if (worker) await retire(worker);
    },
  };
}

function send(child: ChildProcess, m: ToChild): void {
  if (child.connected) child.send(m, (e) => void e);
}
