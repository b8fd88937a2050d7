// The daemon's side of observation in a process of its own (observe-child.ts). Measured: the
// observer reading hosts in the daemon loaded ssh2 and kept its connections and buffers there
// (docs/benchmarks.md). Environments that come due together (every observation of the same
// interval lines up after the first) share one short-lived process, so a minute of observing 20
// environments costs one process start, not 20.
import { fork, type ChildProcess } from 'node:child_process';
import type { HostObservation } from '../pipeline/observe-hosts.ts';
import type { Logger } from './log.ts';
import { deathOf, type FromChild, type ObserveTarget, type ToChild } from './run-protocol.ts';
import { childEntry, type TaskGeneration } from './run-process.ts';

/** How long a due environment waits for others to join its process. */
const GATHER_MS = 100;
/** How often a running observe process hears which of its pipelines got a run meanwhile. */
const BUSY_CHECK_MS = 50;

export interface ObserveReader {
  /** Reads and records one environment's hosts in an observe process; rejects with why it could not. */
  read(target: ObserveTarget): Promise<HostObservation[]>;
}

interface Waiting {
  target: ObserveTarget;
  resolve: (found: HostObservation[]) => void;
  reject: (e: Error) => void;
}

export interface ObserveProcessDeps {
  log: Logger;
  /** A run of the pipeline is going or waiting: an observation not yet written is dropped. */
  busy: (pipeline: string) => boolean;
  /** Every task process alive now (the daemon's grace period ends them). */
  children: Set<ChildProcess>;
}

export function createObserveReader(gen: () => TaskGeneration, deps: ObserveProcessDeps): ObserveReader {
  let pending: Waiting[] = [];
  let running = false;
  let gathering: NodeJS.Timeout | undefined;

  const start = (): void => {
    gathering = undefined;
    if (running || pending.length === 0) return;
    const batch = pending;
    pending = [];
    running = true;
    void runBatch(gen(), batch, deps).finally(() => {
      running = false;
      if (pending.length && !gathering) gathering = setTimeout(start, GATHER_MS);
    });
  };

  return {
    read(target) {
      return new Promise((resolve, reject) => {
        pending.push({ target, resolve, reject });
        if (!running && !gathering) gathering = setTimeout(start, GATHER_MS);
      });
    },
  };
}

/** One observe process for the batch; every target is answered, whatever becomes of it. */
function runBatch(gen: TaskGeneration, batch: Waiting[], deps: ObserveProcessDeps): Promise<void> {
  return new Promise((resolve) => {
    const open = new Map(batch.map((w) => [keyOf(w.target), w]));
    let child: ChildProcess;
    try {
      child = fork(childEntry, ['observe'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    } catch (e) {
      for (const w of batch) w.reject(new Error(`the observe process did not start: ${e instanceof Error ? e.message : String(e)}`));
      resolve();
      return;
    }
    deps.children.add(child);
    const pipelines = [...new Set(batch.map((w) => w.target.pipeline))];
    const told = new Set(pipelines.filter(deps.busy));
    const send = (m: ToChild): void => {
      if (child.connected) child.send(m, (e) => void e);
    };
    const watch = setInterval(() => {
      for (const p of pipelines) {
        if (told.has(p) || !deps.busy(p)) continue;
        told.add(p);
        send({ type: 'busy', pipeline: p });
      }
    }, BUSY_CHECK_MS);
    let crash: string | undefined;
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      for (const line of text.split('\n')) if (line.trim()) deps.log.debug(`observe process ${child.pid}: ${line}`);
    });
    child.on('message', (m: FromChild) => {
      if (m.type === 'log') return deps.log[m.level](m.line);
      if (m.type === 'crash') return void (crash = m.message);
      if (m.type !== 'observed-env') return;
      const key = keyOf(m);
      const w = open.get(key);
      open.delete(key);
      if (m.error !== undefined) w?.reject(new Error(m.error));
      else w?.resolve(m.found ?? []);
    });
    child.on('error', (e) => deps.log.warn(`observe process ${child.pid ?? '?'}: ${e.message}`));
    child.once('exit', (code, signal) => {
      clearInterval(watch);
      deps.children.delete(child);
      const died = deathOf({ code, signal, ...(crash !== undefined ? { crash } : {}) }).replace("the run's process", 'the observe process');
      for (const w of open.values()) w.reject(new Error(died));
      resolve();
    });
    send({ type: 'start', config: gen.config, ...(gen.reportUrl ? { reportUrl: gen.reportUrl } : {}), task: { kind: 'observe', targets: batch.map((w) => w.target), busy: [...told] } });
  });
}

function keyOf(t: ObserveTarget): string {
  return `${t.pipeline}\0${t.environment}`;
}
