// V8 settings for the daemon process alone, set at run time (setFlagsFromString), so that the
// processes it forks (runs, reports, observations, config loads: run-process.ts and its
// siblings) start with V8's defaults, WebAssembly included (ssh2 needs it).
// The daemon's work is small and spread out (a poll per pipeline every few seconds, a queue, an
// IPC message per run event): memory counts, top speed does not. Measured with bench/daemon-rss.ts
// (docs/benchmarks.md, "Idle daemon under 60 MB"):
// - no optimizing compiler (--no-opt, --no-maglev): TurboFan's own code in the node binary is
//   never paged in and no optimized code or compile zones are kept;
// - garbage collection without background threads where that can change at run time
//   (concurrent marking and sweeping, parallel scavenge and compaction): V8's helper threads
//   then rarely run GC work and their malloc arenas stay small. --single-threaded-gc and
//   --no-parallel-marking cannot be set after start: V8 aborts at its next full collection
//   ("Check failed: concurrent_marking_handle_", cppgc), tried on Node 20.20;
// - a young generation that stays at its first size (1 MB semi-spaces instead of growing to
//   16 MB): polls allocate steadily, and V8 never gives a grown young generation back;
// - no baseline compiler (Sparkplug) and bytecode dropped after two full collections unused
//   (--bytecode-old-age=2, V8's default 5; --flush-baseline-code for what Sparkplug compiled
//   before the flags were set): start-up, recovery and config code runs once, and the daemon
//   collects every 15 s idle (idle-gc.ts), so it goes within a minute and is recompiled from
//   its source if it runs again. 200 pipelines (bench/daemon-soak.ts's config, an in-process
//   sampler, the same time on the same box, load 45-60): 12.2 MB of heap pages and 56.7 MB RSS,
//   against 13.7 MB and 57.9 MB without these three.
import { setFlagsFromString } from 'node:v8';

const FLAGS = [
  '--semi-space-growth-factor=1',
  '--no-opt',
  '--no-maglev',
  '--no-concurrent-recompilation',
  '--no-concurrent-marking',
  '--no-parallel-scavenge',
  '--no-parallel-compaction',
  '--no-parallel-pointer-update',
  '--no-concurrent-sweeping',
  '--no-concurrent-array-buffer-sweeping',
  '--no-sparkplug',
  '--bytecode-old-age=2',
  '--flush-baseline-code',
];

export function useLeanV8(): void {
  for (const flag of FLAGS) setFlagsFromString(flag);
}
