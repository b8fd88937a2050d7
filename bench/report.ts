// The report at scale: a synthetic state of 50 pipelines × 200 runs (10,000 run files written with
// the real state writers, two step logs each). Measures the full rewrite (`slipway report`), the
// incremental update after one new run (what every state change costs), both in a fresh process
// like `slipway once` (a plain `node` importing dist/, the import timed apart from the call) and in
// a warm one like the daemon, and the peak memory of each (VmHWM of a child process). Native floor for the full rewrite: `cp -r` of the www folder it produced (just
// writing the same bytes); for the incremental one: `cp` of the files it rewrote.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ReportConfig } from '../src/report/types.ts';
import { statePaths, writeHostState, writePipelineState, writeRun } from '../src/state/store.ts';
import type { RunRecord } from '../src/state/types.ts';
import { median, row, timeMs, type BenchRow } from './lib-git-measure.ts';

const run = promisify(execFile);
const PIPELINES = 50;
const RUNS = 200;
const HOSTS = 10;
const CHILD = new URL('./report-child.ts', import.meta.url).pathname;
const FRESH_CHILD = new URL('./report-fresh-child.mjs', import.meta.url).pathname;
const DIST = new URL('../dist', import.meta.url).pathname;

export function benchConfig(): ReportConfig {
  return {
    title: 'bench deploys',
    secrets: ['bench-secret-token'],
    pipelines: Array.from({ length: PIPELINES }, (_, i) => ({
      name: `app-${i}`,
      repo: `https://github.com/acme/app-${i}.git`,
      branch: 'main',
      environments: [
        { name: 'staging', hosts: [`web-${i % HOSTS}`], approval: 'auto' as const },
        { name: 'production', hosts: [`web-${(i + 1) % HOSTS}`, `web-${(i + 2) % HOSTS}`], approval: 'manual' as const },
      ],
    })),
  };
}

export function syntheticRun(pipeline: string, n: number): RunRecord {
  const t = Date.UTC(2024, 0, 1) + n * 3_600_000;
  const iso = (ms: number): string => new Date(t + ms).toISOString();
  const id = (n * 2654435761).toString(16).padStart(8, '0').repeat(5).slice(0, 40);
  const failed = n % 7 === 0;
  return {
    version: 1,
    pipeline,
    number: n,
    status: failed ? 'failed' : 'deployed',
    commit: { id, message: `Change number ${n} of ${pipeline}\n\nA body line <with> "markup" & more.`, author: { name: 'Ada Lovelace', email: 'ada@example.com' }, time: iso(0) },
    branch: 'main',
    trigger: 'poll',
    createdAt: iso(1000),
    startedAt: iso(2000),
    finishedAt: iso(90_000),
    stages: [
      { name: 'test', kind: 'test', status: failed ? 'failed' : 'passed', startedAt: iso(2000), finishedAt: iso(60_000), steps: [
        { id: 'checkout', name: 'checkout', status: 'passed', startedAt: iso(2000), finishedAt: iso(3000), exitCode: 0 },
        { id: 'test-1', name: 'npm test', status: failed ? 'failed' : 'passed', startedAt: iso(3000), finishedAt: iso(60_000), exitCode: failed ? 1 : 0 },
      ] },
      ...(failed ? [] : [{ name: 'deploy:staging', kind: 'deploy' as const, environment: 'staging', status: 'passed' as const, startedAt: iso(60_000), finishedAt: iso(90_000), steps: [], hosts: [{ host: 'web-0', status: 'deployed' as const, release: `20240101000000-${id.slice(0, 7)}` }] }]),
    ],
  };
}

const LOG = Array.from({ length: 60 }, (_, i) => `\x1b[32mok\x1b[0m ${i} test line with some text in it`).join('\n') + '\n';

export async function writeSyntheticState(stateDir: string): Promise<void> {
  const config = benchConfig();
  for (const p of config.pipelines) {
    for (let n = 1; n <= RUNS; n += 20) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, k) => {
          const r = syntheticRun(p.name, n + k);
          await writeRun(stateDir, r);
          const dir = statePaths(stateDir).logsDir(p.name, r.number);
          await mkdir(dir, { recursive: true });
          await writeFile(join(dir, 'checkout.log'), 'HEAD is now at abc\n');
          await writeFile(join(dir, 'test-1.log'), LOG);
        }),
      );
    }
    const last = syntheticRun(p.name, RUNS);
    await writePipelineState(stateDir, { version: 1, pipeline: p.name, nextRunNumber: RUNS + 1, environments: { staging: { commit: last.commit.id, release: `20240101000000-${last.commit.id.slice(0, 7)}`, deployedAt: last.finishedAt!, run: RUNS } } });
  }
  for (let h = 0; h < HOSTS; h++) {
    await writeHostState(stateDir, { version: 1, host: `web-${h}`, pipelines: { 'app-0': { current: { release: 'r2', commit: 'a'.repeat(40), deployedAt: '2024-01-01T00:00:00.000Z', run: 1 }, releases: ['r1', 'r2'] } } });
  }
}

interface ChildResult {
  ms: number;
  /** CPU time of the call (fresh plain-node child and the full rewrite). */
  cpuMs?: number;
  /** Fresh plain-node child only: the wall and CPU time of the import before the call. */
  importMs?: number;
  importCpuMs?: number;
  hwmKb: number;
  written: number;
  mode: string;
}

async function child(mode: string, stateDir: string, extra: string[] = []): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, mode, stateDir, ...extra], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ChildResult;
}

/** One update after a new run of app-7 in a fresh plain `node` (the CLI's dist/, as `slipway once` runs it). */
async function freshChild(stateDir: string, configFile: string, n: number): Promise<ChildResult> {
  await writeRun(stateDir, syntheticRun('app-7', n));
  const { stdout } = await run(process.execPath, [FRESH_CHILD, DIST, stateDir, configFile, 'app-7', String(n)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ChildResult;
}

export async function benchReport(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-bench-report-'));
  try {
    const state = join(dir, 'state');
    const seedMs = await timeMs(() => writeSyntheticState(state));
    const full: ChildResult[] = [];
    const cp: number[] = [];
    for (let i = 0; i < 3; i++) {
      full.push(await child('full', state));
      await rm(join(dir, 'copy'), { recursive: true, force: true });
      cp.push(await timeMs(() => run('cp', ['-r', statePaths(state).www, join(dir, 'copy')])));
    }
    const cold: ChildResult[] = [];
    const warm: ChildResult[] = [];
    const cpOne: number[] = [];
    // Without dist/ (not built) the tsx child stands in; the CPU and import rows need the build.
    const built = existsSync(join(DIST, 'report', 'update-queue.js'));
    const configFile = join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify(benchConfig()));
    for (let i = 0; i < 5; i++) {
      cold.push(built ? await freshChild(state, configFile, RUNS + 1 + i) : await child('incremental', state, [String(RUNS + 1 + i)]));
      cpOne.push(await timeMs(() => run('cp', ['-r', join(statePaths(state).www, 'pipelines', 'app-7'), join(dir, `one-${i}`)])));
    }
    warm.push(await child('warm', state, [String(RUNS + 10)]));
    const base = await child('baseline', state);
    // A bare node's start, the floor of any fresh process (the import and the call come on top).
    const bare: number[] = [];
    for (let i = 0; i < 3; i++) bare.push(await timeMs(() => run(process.execPath, ['-e', '0'])));
    const med = (k: 'cpuMs' | 'importMs' | 'importCpuMs'): number => median(cold.map((r) => r[k] ?? Number.NaN));
    // The first rewrite has no manifest (STATE/cache/report/files.json): it renders and writes all.
    const again = full.slice(1);
    const note = `${full[0]?.written} files; seed ${Math.round(seedMs / 1000)} s`;
    const cpRange = `${Math.round(Math.min(...cp))}–${Math.round(Math.max(...cp))} ms`;
    return [
      // cp -r of 11,000 files swings from under 1 s to over 10 s on a shared disk: all three runs count.
      row('report: first full rewrite (no manifest), 50 pipelines × 200 runs vs cp -r of its www', full[0]!.ms, median(cp), 'ms', `${note}; cp -r ${cpRange}`),
      row('report: full rewrite again, nothing changed vs cp -r of its www', median(again.map((r) => r.ms)), median(cp), 'ms', `target ≤ 1.0x cp -r; ${again[0]?.written} files written`),
      // On a shared box the wall time swings with the load; the CPU time of the call (all threads: V8's GC helpers too) much less.
      row('report: full rewrite again, nothing changed, CPU time of the call vs cp -r of its www', median(again.map((r) => r.cpuMs ?? Number.NaN)), median(cp), 'ms', 'process.cpuUsage() around updateReport'),
      row('report: incremental after one run, fresh process vs cp -r of one pipeline folder', median(cold.map((r) => r.ms)), median(cpOne), 'ms', `target < 100 ms; ${cold[0]?.written} files written`),
      row('report: incremental after one run, fresh process, CPU time of the call vs cp -r of one pipeline folder', med('cpuMs'), median(cpOne), 'ms', 'process.cpuUsage() around updateReport'),
      row('report: importing dist/report in that fresh process (before the call, not in its rows) vs a whole node -e 0', med('importMs'), median(bare), 'ms', `CPU ${Math.round(med('importCpuMs'))} ms`),
      row('report: incremental after one run, warm (daemon) vs cp -r of one pipeline folder', median(warm.map((r) => r.ms)), median(cpOne), 'ms', `target < 100 ms; ${warm[0]?.written} files written`),
      row('report: peak RSS of a first full rewrite vs node + modules alone', Math.max(...full.map((r) => r.hwmKb)) / 1024, base.hwmKb / 1024, 'MB', 'target < 200 MB'),
      row('report: peak RSS of an incremental update vs node + modules alone', Math.max(...cold.map((r) => r.hwmKb)) / 1024, base.hwmKb / 1024, 'MB', 'target < 200 MB'),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./lib-git-measure.ts');
  console.log(formatTable(await benchReport()));
  process.exit(0);
}
