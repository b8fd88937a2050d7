// A full garbage collection every 15 s while the daemon is idle (no run active or queued for 10 s).
// Why: the daemon's young generation stays at 1 MB (lean-v8.ts), so what a poll holds across
// two scavenges is promoted, and the old generation fills with dead poll objects until V8's own
// limit (~10 MB used of a 7 MB live heap, measured: +0.3 MB per 5 s of polling 20 pipelines) before
// a mark-compact, and V8 keeps the pages it grew to. Collecting every 15 s keeps the old generation
// within ~1 MB of what is live (once a minute still let it reach 11 MB); a full GC of this heap
// costs a few milliseconds of CPU. The daemon alone exposes gc: the flag is set at run
// time, so forks (run-process.ts) start with V8's defaults.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleGcOptions {
  /** True while a run is active or queued: no collection then, and the quiet time starts again. */
  busy: () => boolean;
  /** How long the daemon must have been idle. */
  quietMs?: number;
  /** The least time between two collections. */
  everyMs?: number;
}

export interface IdleGc {
  stop(): void;
}

export function startIdleGc(opts: IdleGcOptions): IdleGc {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const quietMs = opts.quietMs ?? 10_000;
  const everyMs = opts.everyMs ?? 15_000;
  let busySince = Date.now();
  let lastGc = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    if (opts.busy()) busySince = now;
    else if (now - busySince >= quietMs && now - lastGc >= everyMs) {
      gc();
      lastGc = now;
    }
  }, Math.min(quietMs, 5000));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
