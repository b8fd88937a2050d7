// The daemon observes its hosts (observe: 1s) through observe processes
// (src/daemon/observe-process.ts): the hosts' sync records keep coming while the daemon itself
// never loads ssh2 (its native sshcrypto.node is not mapped into the daemon) and holds no
// connection to the host's sshd. Drift, heal and the race with deploys: test/e2e/observe.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appFiles } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';
import { readRunFiles, startDaemon, type Daemon } from './daemon-process.ts';

let server: GitServer;
let host: TestHost;
let work: string;
let stateDir: string;
let daemon: Daemon;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-observe-process-'));
  server = await startGitServer();
  const repo = await createRepo(server, 'app', appFiles, { message: 'v1' });
  const keys = await createTestKeys();
  host = await startTestHost(keys, { name: 'web1' });
  stateDir = join(work, 'state');
  const configDir = join(work, 'config');
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nsandbox: none\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\n`,
    'hosts.yaml': `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user} }\n`,
    'pipelines/app.yaml': `repo: ${repo.url}\npoll: "0 0 1 1 *"\nobserve: 1s\ntest: []\ndeploy: { path: ${join(host.root, 'app')} }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
  });
  daemon = startDaemon(configDir);
});

after(async () => {
  await daemon?.stop();
  await host?.stop();
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

/** Remote ports of the TCP connections the process holds open itself (not its children's). */
async function tcpPeersOf(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1]!);
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && inodes.has(f[9]!)) ports.push(parseInt(f[2]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

test('observations keep coming from observe processes; the daemon never loads ssh2 nor holds an SSH connection', async () => {
  await waitFor(async () => (await readRunFiles(stateDir, 'app')).some((r) => r.status === 'deployed'), { timeoutMs: 120_000, what: `the first deploy; log:\n${daemon.log()}` });
  const seen = new Set<string>();
  let last: { sync?: string; observedAt?: string } | undefined;
  await waitFor(
    async () => {
      const hs = JSON.parse(await readFile(join(stateDir, 'hosts', 'web1.json'), 'utf8').catch(() => '{}')) as { sync?: Record<string, { sync: string; observedAt: string }> };
      last = hs.sync?.[join(host.root, 'app')];
      if (last?.observedAt) seen.add(last.observedAt);
      return seen.size >= 3;
    },
    { timeoutMs: 60_000, what: `three observations of web1; last: ${JSON.stringify(last)}; log:\n${daemon.log()}` },
  );
  assert.equal(last?.sync, 'synced');
  const pid = daemon.child.pid!;
  const maps = await readFile(`/proc/${pid}/maps`, 'utf8');
  assert.ok(!maps.includes('sshcrypto.node'), 'ssh2 (its sshcrypto.node) is loaded into the daemon');
  assert.deepEqual((await tcpPeersOf(pid)).filter((p) => p === host.port), [], 'the daemon holds a connection to the host');
  assert.doesNotMatch(daemon.log(), /observation failed|observe process .*died/);
});
