// A soak of `slipway run`: 200 pipelines (10 repos × 20 pipelines each) on the test git server,
// each polled every 5 s, for 10 minutes (SLIPWAY_SOAK_SECONDS shortens it). Every 30 s a new
// commit lands in one repo, so its 20 pipelines run (each run in its own process). The daemon's
// RSS is sampled every 10 s from /proc/PID/status; the rows give the first, last and largest
// sample and the least-squares slope in MB per minute, next to a bare Node process; and the
// daemon's own CPU over the sampled minutes (its collections included, its runs' processes not).
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer } from '../test/helpers/git-server.ts';
import { createRepo, type TestRepo } from '../test/helpers/git-repo.ts';
import { writeConfigFolder } from '../test/helpers/slipway-cli.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { row, type BenchRow } from './lib-git-measure.ts';

const BIN = new URL('../bin/slipway.js', import.meta.url).pathname;
const REPOS = 10;
const PER_REPO = 20;
const SAMPLE_MS = 10_000;
const PUSH_MS = 30_000;

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** User + system CPU seconds of a process so far, from /proc/PID/stat (clock ticks of 1/100 s). */
async function cpuOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Pure: least-squares slope of samples (minutes, MB) in MB per minute. */
export function slopeOf(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function runsDone(stateDir: string): Promise<number> {
  let done = 0;
  for (const name of await readdir(join(stateDir, 'runs')).catch(() => [] as string[])) {
    for (const f of await readdir(join(stateDir, 'runs', name)).catch(() => [] as string[])) {
      if (!/^\d+\.json$/.test(f)) continue;
      const run = JSON.parse(await readFile(join(stateDir, 'runs', name, f), 'utf8').catch(() => '{}')) as { status?: string };
      if (run.status === 'passed' || run.status === 'failed') done++;
    }
  }
  return done;
}

export async function benchDaemonSoak(): Promise<BenchRow[]> {
  const seconds = Number(process.env.SLIPWAY_SOAK_SECONDS ?? 600);
  const work = await mkdtemp(join(tmpdir(), 'slipway-bench-soak-'));
  const server = await startGitServer();
  const files: Record<string, string> = { 'slipway.yaml': 'stateDir: ../state\nconcurrency: 4\n' };
  const repos: TestRepo[] = [];
  for (let r = 0; r < REPOS; r++) {
    const repo = await createRepo(server, `soak${r}`, { 'README.md': `soak ${r}\n` });
    repos.push(repo);
    for (let i = 0; i < PER_REPO; i++) files[`pipelines/s${r}-${i}.yaml`] = `repo: ${repo.url}\npoll: "*/5 * * * * *"\ntest: ["true"]\n`;
  }
  await writeConfigFolder(join(work, 'config'), files);
  const stateDir = join(work, 'state');
  const daemon = spawn(process.execPath, [BIN, 'run', '--config', join(work, 'config')], { stdio: 'ignore' });
  const floor = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    const total = REPOS * PER_REPO;
    await waitFor(async () => (await runsDone(stateDir)) >= total, { timeoutMs: 900_000, what: `the first run of all ${total} pipelines`, intervalMs: 2000 });
    const samples: Array<[number, number]> = [];
    const floorSamples: Array<[number, number]> = [];
    const start = Date.now();
    const cpuStart = [await cpuOf(daemon.pid!), await cpuOf(floor.pid!)] as const;
    let pushes = 0;
    let nextPush = start + PUSH_MS;
    while (Date.now() - start < seconds * 1000) {
      samples.push([(Date.now() - start) / 60_000, await rssOf(daemon.pid!)]);
      floorSamples.push([(Date.now() - start) / 60_000, await rssOf(floor.pid!)]);
      if (Date.now() >= nextPush) {
        await repos[pushes % REPOS]!.commit({ 'CHANGELOG.md': `push ${pushes}\n` }, `soak push ${pushes}`);
        pushes++;
        nextPush += PUSH_MS;
      }
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
    }
    samples.push([(Date.now() - start) / 60_000, await rssOf(daemon.pid!)]);
    const base = await rssOf(floor.pid!);
    const minutesRun = (Date.now() - start) / 60_000;
    const cpuPerMin = [((await cpuOf(daemon.pid!)) - cpuStart[0]) / minutesRun, ((await cpuOf(floor.pid!)) - cpuStart[1]) / minutesRun];
    const rss = samples.map(([, y]) => y);
    const runs = await runsDone(stateDir);
    const minutes = Math.round(seconds / 6) / 10;
    const note = `${total} pipelines polled every 5 s, ${pushes} pushes, ${runs} runs; ${samples.length} samples`;
    return [
      row(`run soak ${minutes} min: RSS at the start (after the first run of every pipeline) vs bare node`, rss[0]!, base, 'MB', note),
      row(`run soak ${minutes} min: RSS at the end vs bare node`, rss.at(-1)!, base, 'MB', 'target < 60 MB'),
      row(`run soak ${minutes} min: largest RSS sample vs bare node`, Math.max(...rss), base, 'MB'),
      { ...row(`run soak ${minutes} min: RSS slope (least squares) vs bare node's`, slopeOf(samples), slopeOf(floorSamples), 'MB/min', 'target: flat (≈ 0); ratio n/a'), ratio: 0 },
      { ...row(`run soak ${minutes} min: CPU (user + system; the runs' own processes not counted) vs bare node`, cpuPerMin[0]!, cpuPerMin[1]!, 's/min', 'measured; ratio n/a'), ratio: 0 },
    ];
  } finally {
    daemon.kill('SIGTERM');
    floor.kill('SIGKILL');
    await new Promise((r) => daemon.once('exit', r));
    await server.close();
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./lib-git-measure.ts');
  console.log(formatTable(await benchDaemonSoak()));
  process.exit(0);
}
