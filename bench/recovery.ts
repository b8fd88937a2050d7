// Recovery time: `slipway run` killed with -9 in the middle of a deploy (inside a 1 s remote
// step, holding the host's deploy lock), then restarted; timed from the restart to the commit
// live on the host (its /health answers the new commit). Beside it, the same from an
// uninterrupted start: a new commit from `slipway run` starting to live. Medians of 3.
// Target: recovery within the deploy time + 5 s (the dead run's lock is released at once, not
// after lockTimeout; the commit is re-run once).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer } from '../test/helpers/git-server.ts';
import { createRepo } from '../test/helpers/git-repo.ts';
import { createTestKeys, startTestHost } from '../test/helpers/ssh-host.ts';
import { writeConfigFolder } from '../test/helpers/slipway-cli.ts';
import { appFiles, appHealth, freePort, stopApp } from '../test/helpers/fixture-app.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { readRunFiles, startDaemon, type Daemon } from '../test/daemon/daemon-process.ts';
import { median, row, type BenchRow } from './lib-git-measure.ts';

export async function benchRecovery(): Promise<BenchRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'slipway-bench-recovery-'));
  const server = await startGitServer();
  const keys = await createTestKeys();
  const host = await startTestHost(keys, { name: 'web1' });
  const port = await freePort();
  const daemons: Daemon[] = [];
  try {
    const repo = await createRepo(server, 'app', appFiles, { message: 'v0' });
    const configDir = join(work, 'config');
    const stateDir = join(work, 'state');
    await writeConfigFolder(configDir, {
      'slipway.yaml': `stateDir: ../state\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\n`,
      'hosts.yaml': `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user}, env: { PORT: "${port}" } }\n`,
      'pipelines/app.yaml': `repo: ${repo.url}\npoll: "* * * * * *"\ntest: [./test.sh]\ndeploy: { path: ~/app, steps: ["sleep 1"], restart: ./restart.sh, healthCheck: { command: node health.js, timeout: 30s, interval: 200ms } }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
    });
    const start = (): Daemon => {
      const d = startDaemon(configDir);
      daemons.push(d);
      return d;
    };
    const live = (commit: string) => waitFor(async () => (await appHealth(port)) === commit, { timeoutMs: 120_000, what: `${commit.slice(0, 7)} live` });
    const ended = () => waitFor(async () => (await readRunFiles(stateDir, 'app')).every((r) => r.status !== 'running' && r.status !== 'queued'), { timeoutMs: 60_000, what: 'runs ended' });
    const normal: number[] = [];
    const recovered: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const a = await repo.commit({ CHANGES: `a${i}\n` }, `a${i}`);
      let t = Date.now();
      let d = start();
      await live(a);
      normal.push(Date.now() - t);
      await ended();
      await d.stop('SIGTERM');

      const b = await repo.commit({ CHANGES: `b${i}\n` }, `b${i}`);
      d = start();
      await waitFor(async () => (await readRunFiles(stateDir, 'app')).some((r) => r.status === 'running' && r.stages.some((s) => s.steps.some((x) => x.id === 'production-web1-step-1' && x.status === 'running'))), { timeoutMs: 120_000, what: 'a deploy step running' });
      d.child.kill('SIGKILL');
      await d.exited;
      t = Date.now();
      d = start();
      await live(b);
      recovered.push(Date.now() - t);
      await ended();
      await d.stop('SIGTERM');
    }
    const extra = median(recovered) - median(normal);
    return [
      row('recovery: restart after kill -9 mid-deploy -> commit live, vs uninterrupted start -> live', median(recovered), median(normal), 'ms', `target: under deploy time + 5 s (here +${(extra / 1000).toFixed(1)} s)`),
    ];
  } finally {
    for (const d of daemons) await d.stop('SIGKILL');
    await stopApp(join(host.root, 'app'));
    await host.stop();
    await server.close();
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./lib-git-measure.ts');
  console.log(formatTable(await benchRecovery()));
  process.exit(0);
}
