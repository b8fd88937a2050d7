// Child process of bench/report.ts: one report update on a state folder, timed, then its own peak
// RSS (VmHWM). Modes: full; incremental N (a new run N, then one update, as `slipway once` does);
// warm N (a full update first, as a running daemon has, then run N and the timed update);
// baseline (loads the modules only).
import { existsSync, readFileSync } from 'node:fs';
import { benchConfig, syntheticRun } from './report.ts';

// The CLI runs the compiled dist/ (no TypeScript loader at run time): measure that when it is built.
const dist = new URL('../dist/report/update-queue.js', import.meta.url);
const mod = (existsSync(dist) ? await import(dist.href) : await import('../src/report/update-queue.ts')) as typeof import('../src/report/update-queue.ts');
const { updateReport } = mod;
const { writeRun } = (await import(existsSync(dist) ? new URL('../dist/state/store.js', import.meta.url).href : '../src/state/store.ts')) as typeof import('../src/state/store.ts');

const [mode, stateDir, n] = process.argv.slice(2);
if (stateDir === undefined) throw new Error('usage: report-child.ts MODE STATE [RUN]');
const config = benchConfig();
let ms = 0;
let cpuMs: number | undefined;
let result = { written: 0, mode: 'none' };
if (mode === 'full') {
  const start = performance.now();
  const cpu = process.cpuUsage();
  result = await updateReport(stateDir, config, { full: true });
  ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  cpuMs = (used.user + used.system) / 1000;
} else if (mode === 'incremental' || mode === 'warm') {
  if (mode === 'warm') await updateReport(stateDir, config);
  await writeRun(stateDir, syntheticRun('app-7', Number(n)));
  const start = performance.now();
  result = await updateReport(stateDir, config, { changed: { pipeline: 'app-7', run: Number(n) } });
  ms = performance.now() - start;
}
const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
process.stdout.write(`${JSON.stringify({ ms, ...(cpuMs === undefined ? {} : { cpuMs }), hwmKb: hwm, written: result.written, mode: result.mode })}\n`);
