// Idle memory of `slipway run`: the daemon with 20 pipelines against the test git server, after
// its first poll has run each head through test and deploy, next to a bare Node process (the
// floor any Node daemon pays). Read from /proc/PID/status: VmRSS now, VmHWM the peak.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer } from '../test/helpers/git-server.ts';
import { createRepo } from '../test/helpers/git-repo.ts';
import { createTestKeys, startTestHost } from '../test/helpers/ssh-host.ts';
import { writeConfigFolder } from '../test/helpers/slipway-cli.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { row, type BenchRow } from './lib-git-measure.ts';

const BIN = new URL('../bin/slipway.js', import.meta.url).pathname;
const PIPELINES = 20;

async function memOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

export async function benchDaemonRss(): Promise<BenchRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'slipway-bench-daemon-'));
  const server = await startGitServer();
  const keys = await createTestKeys();
  const host = await startTestHost(keys, { name: 'web1' });
  const files: Record<string, string> = {
    'slipway.yaml': `stateDir: ../state\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\n`,
    'hosts.yaml': `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user} }\n`,
  };
  for (let i = 0; i < PIPELINES; i++) {
    const repo = await createRepo(server, `app${i}`, { 'README.md': `app ${i}\n`, 'src/index.js': 'module.exports = 1;\n' });
    files[`pipelines/app${i}.yaml`] = `repo: ${repo.url}\npoll: "*/5 * * * * *"\ntest: ["true"]\ndeploy: { path: ${join(host.root, `app${i}`)} }\nenvironments: [{ name: production, hosts: [web1] }]\n`;
  }
  await writeConfigFolder(join(work, 'config'), files);
  const daemon = spawn(process.execPath, [...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean), BIN, 'run', '--config', join(work, 'config')], { stdio: 'ignore' });
  const floor = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    const runsDir = join(work, 'state', 'runs');
    await waitFor(
      async () => {
        let done = 0;
        for (let i = 0; i < PIPELINES; i++) {
          try {
            const run = JSON.parse(await readFile(join(runsDir, `app${i}`, '1.json'), 'utf8'));
            if (run.status === 'deployed') done++;
          } catch {}
        }
        return done === PIPELINES;
      },
      { timeoutMs: 600_000, what: 'every pipeline deployed once' },
    );
    const afterFirst = await memOf(daemon.pid!);
    // A minute of idle polling (12 polls of each of the 20 pipelines, nothing new).
    await new Promise((r) => setTimeout(r, 60_000));
    const idle = await memOf(daemon.pid!);
    const base = await memOf(floor.pid!);
    return [
      row(`run: RSS after the first poll+deploy of ${PIPELINES} pipelines vs bare node`, afterFirst.rss, base.rss, 'MB', `peak ${afterFirst.hwm.toFixed(0)} MB`),
      row(`run: RSS after 60 s idle polling (every 5 s) vs bare node`, idle.rss, base.rss, 'MB', 'target < 60 MB'),
    ];
  } finally {
    daemon.kill('SIGTERM');
    floor.kill('SIGKILL');
    await new Promise((r) => daemon.once('exit', r));
    await host.stop();
    await server.close();
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./lib-git-measure.ts');
  console.log(formatTable(await benchDaemonRss()));
  process.exit(0);
}
