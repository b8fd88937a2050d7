// `slipway run` for months, compressed: 200 pipelines polling every minute against the test git
// server for BENCH_DAEMON_SECONDS (default 150; the issue's figure is 600). Reported: RSS after
// the first round (every head tested and deployed) and at the end, CPU share of the idle phase
// (utime+stime over wall time, from /proc/PID/stat), and webhook → first test command latency.
// Then the same state with a fresh daemon that has run nothing in-process (everything already
// seen): its RSS is what a Laminar-style daemon, which runs each run in a child process, would
// keep between runs. Bare node is the floor.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer } from '../test/helpers/git-server.ts';
import { createRepo } from '../test/helpers/git-repo.ts';
import { createTestKeys, startTestHost } from '../test/helpers/ssh-host.ts';
import { writeConfigFolder } from '../test/helpers/slipway-cli.ts';
import { freePort } from '../test/helpers/fixture-app.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { signWebhook } from '../src/daemon/webhook-signature.ts';
import { median, row, type BenchRow } from './lib-git-measure.ts';

const BIN = new URL('../bin/slipway.js', import.meta.url).pathname;
const PIPELINES = Number(process.env.BENCH_DAEMON_PIPELINES ?? 200);
const SECONDS = Number(process.env.BENCH_DAEMON_SECONDS ?? 150);
const SECRET = 'bench-secret';
const TICK = Number(process.env.CLK_TCK ?? 100);

async function memOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function startDaemon(config: string, log: string[]): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'run', '--config', config, '--log-level', 'info'], { env: { ...process.env, HOOK_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => log.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => log.push(c.toString()));
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

export async function benchDaemon(): Promise<BenchRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'slipway-bench-daemon-'));
  const server = await startGitServer();
  const keys = await createTestKeys();
  const host = await startTestHost(keys, { name: 'web1' });
  const port = await freePort();
  const marks = join(work, 'marks');
  const files: Record<string, string> = {
    'slipway.yaml': `stateDir: ../state\nconcurrency: 4\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\nserver: { listen: "127.0.0.1:${port}", webhookSecret: "\${env:HOOK_SECRET}" }\n`,
    'hosts.yaml': `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user} }\n`,
  };
  const repos = [];
  for (let i = 0; i < PIPELINES; i++) {
    const repo = await createRepo(server, `app${i}`, { 'README.md': `app ${i}\n`, 'src/index.js': 'module.exports = 1;\n' });
    repos.push(repo);
    // The test command notes when it started (ms since epoch), for the webhook latency.
    files[`pipelines/app${i}.yaml`] = `repo: ${repo.url}\npoll: "* * * * *"\ntest: ["date +%s%3N >> ${marks}-${i}"]\ndeploy: { path: ${join(host.root, `app${i}`)} }\nenvironments: [{ name: production, hosts: [web1] }]\n`;
  }
  const config = join(work, 'config');
  await writeConfigFolder(config, files);
  const log: string[] = [];
  let daemon = startDaemon(config, log);
  const floor = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    const firstStarted = Date.now();
    await waitFor(() => (log.join('').match(/: (deployed|failed)\b/g) ?? []).length >= PIPELINES, { timeoutMs: 900_000, what: 'every pipeline run once', intervalMs: 500 });
    const firstRoundS = (Date.now() - firstStarted) / 1000;
    const rssStart = await memOf(daemon.pid!);
    const cpu0 = await cpuTicks(daemon.pid!);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const cpuShare = ((await cpuTicks(daemon.pid!)) - cpu0) / TICK / ((Date.now() - t0) / 1000);
    const rssEnd = await memOf(daemon.pid!);

    const latencies: number[] = [];
    for (let n = 0; n < 5; n++) {
      const i = n;
      await repos[i]!.commit({ [`change${n}`]: `${n}\n` }, `change ${n}`);
      const before = (await readFile(`${marks}-${i}`, 'utf8').catch(() => '')).trim().split('\n').length;
      const body = '{"ref":"refs/heads/main"}';
      const sent = Date.now();
      await fetch(`http://127.0.0.1:${port}/hooks/app${i}`, { method: 'POST', headers: signWebhook('github', body, SECRET), body });
      await waitFor(async () => (await readFile(`${marks}-${i}`, 'utf8')).trim().split('\n').length > before, { timeoutMs: 60_000, what: 'the test command', intervalMs: 5 });
      const started = Number((await readFile(`${marks}-${i}`, 'utf8')).trim().split('\n').at(-1));
      latencies.push(started - sent);
    }

    // A daemon that has run nothing in-process: every head already seen.
    await stop(daemon);
    const log2: string[] = [];
    daemon = startDaemon(config, log2);
    await waitFor(() => /slipway run: \d+ pipeline/.test(log2.join('')), { timeoutMs: 60_000, what: 'restart' });
    await new Promise((r) => setTimeout(r, 70_000)); // past one cron minute: every pipeline polled in-process
    const rssPollOnly = await memOf(daemon.pid!);
    const base = await memOf(floor.pid!);
    return [
      row(`run: ${PIPELINES} pipelines, first round (test+deploy each) took ${firstRoundS.toFixed(0)} s; RSS after it vs bare node`, rssStart, base, 'MB'),
      row(`run: RSS after ${SECONDS} s more of polling every minute (growth ${(((rssEnd - rssStart) / rssStart) * 100).toFixed(1)} %)`, rssEnd, base, 'MB', 'target growth < 10 %, idle < 60 MB'),
      row(`run: CPU share while polling ${PIPELINES} pipelines every minute (% of one core)`, cpuShare * 100, 0, '%'),
      row('run: webhook → first test command, median of 5', median(latencies), 0, 'ms', `max ${Math.max(...latencies)} ms; target < 1000 ms`),
      row('run: RSS of a daemon that only polled (nothing ran in-process: the child-process design)', rssPollOnly, base, 'MB'),
    ];
  } finally {
    await stop(daemon);
    floor.kill('SIGKILL');
    await host.stop();
    await server.close();
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./lib-git-measure.ts');
  console.log(formatTable(await benchDaemon()));
  process.exit(0);
}
