// Child of bench/report.ts: one report update in a fresh plain `node` process, as `slipway once`
// ends (no TypeScript loader: tsx's hooks slow every import it resolves). Args: DIST STATE
// CONFIG.json PIPELINE RUN (the run is already written). Prints the wall and CPU time of importing
// dist/report and of the updateReport call, separately, and the peak RSS (VmHWM).
import { readFileSync } from 'node:fs';

const cpuMs = (u) => (u.user + u.system) / 1000;
const [dist, stateDir, configFile, pipeline, run] = process.argv.slice(2);
const t0 = performance.now();
const c0 = process.cpuUsage();
const { updateReport } = await import(`${dist}/report/update-queue.js`);
const importMs = performance.now() - t0;
const importCpuMs = cpuMs(process.cpuUsage(c0));
const config = JSON.parse(readFileSync(configFile, 'utf8'));
const t1 = performance.now();
const c1 = process.cpuUsage();
const result = await updateReport(stateDir, config, { changed: { pipeline, run: Number(run) } });
const ms = performance.now() - t1;
const cpu = cpuMs(process.cpuUsage(c1));
const hwmKb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
process.stdout.write(`${JSON.stringify({ ms, cpuMs: cpu, importMs, importCpuMs, hwmKb, written: result.written, mode: result.mode })}\n`);
