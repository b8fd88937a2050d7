// The daemon's own full garbage collections: every 15 s while it is idle (no run active or queued
// for 10 s), and, busy or not, whenever the heap has grown by more than 2 MB since the last one.
// Why: the daemon's young generation stays at 1 MB (lean-v8.ts), so what a poll holds across
// two scavenges is promoted, and the old generation fills with dead poll objects until V8's own
// limit before a mark-compact, and V8 keeps the pages it grew to. V8's limit is the live size
// plus at least 8 MB (its regular growing step): 20 pipelines' ~7 MB live heap grew to ~10 MB
// used (+0.3 MB per 5 s of polling) while idle; 200 pipelines (~9 MB live) grew to 20–22 MB of
// heap pages while every pipeline ran its first run (busy throughout, so the idle collection never
// came), which was most of the soak's 64–67 MB RSS (docs/benchmarks.md). Collecting every 15 s
// while idle keeps the old generation within ~1 MB of what is live (once a minute still let it
// reach 11 MB); the growth check bounds it while busy. A full GC of this heap costs a few
// milliseconds of CPU; the runs are in processes of their own, so it delays only the daemon's own
// bookkeeping. The daemon alone exposes gc: the flag is set at run time, so forks
// (run-process.ts) start with V8's defaults.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleGcOptions {
  /** True while a run is active or queued: no idle collection then, and the quiet time starts again. */
  busy: () => boolean;
  /** How long the daemon must have been idle. */
  quietMs?: number;
  /** The least time between two idle collections. */
  everyMs?: number;
  /** How far the used heap may grow past what the last collection left before the next one, busy or not. */
  growthBytes?: number;
  /** How often the heap's size is checked. */
  checkMs?: number;
}

export interface IdleGc {
  stop(): void;
}

export function startIdleGc(opts: IdleGcOptions): IdleGc {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const quietMs = opts.quietMs ?? 10_000;
  const everyMs = opts.everyMs ?? 15_000;
  const growthBytes = opts.growthBytes ?? 2 * 1024 * 1024;
  let busySince = Date.now();
  let lastGc = 0;
  let left = getHeapStatistics().used_heap_size;
  const collect = (now: number): void => {
    gc();
    lastGc = now;
    left = getHeapStatistics().used_heap_size;
  };
  const timer = setInterval(() => {
    const now = Date.now();
    if (opts.busy()) busySince = now;
    if (getHeapStatistics().used_heap_size - left > growthBytes) collect(now);
    else if (now - busySince >= quietMs && now - lastGc >= everyMs) collect(now);
  }, opts.checkMs ?? Math.min(quietMs, 2000));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
