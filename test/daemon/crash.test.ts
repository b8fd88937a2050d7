// kill -9 of the daemon in the middle of a run, at two points (a local test step, a deploy step
// on the host): every state file stays parseable, and after a restart no run is left `running`,
// the killed run is `interrupted`, and its commit is run again and deployed exactly once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appHealth, freePort, stopApp } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';
import { readRunFiles, startDaemon, unparsableStateFiles, type Daemon } from './daemon-process.ts';
import { daemonAppFiles } from './fixture.ts';

let server: GitServer;
let repo: TestRepo;
let host: TestHost;
let work: string;
let configDir: string;
let stateDir: string;
let gate: string;
let appPort: number;
const daemons: Daemon[] = [];
const deployPath = () => join(host.root, 'app');
const start = (): Daemon => {
  const d = startDaemon(configDir, { env: { TEST_GATE_DIR: gate } });
  daemons.push(d);
  return d;
};

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-crash-'));
  gate = join(work, 'gate');
  await mkdir(gate);
  server = await startGitServer();
  repo = await createRepo(server, 'app', { ...daemonAppFiles, hold: 'x\n' }, { message: 'v1 (held in its tests)' });
  const keys = await createTestKeys();
  host = await startTestHost(keys, { name: 'web1' });
  appPort = await freePort();
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  await writeConfigFolder(configDir, {
    // The test step's gate is a folder of this test, found through the daemon's environment:
    // exactly what the test sandbox takes away, so this crash test runs without one.
    'slipway.yaml': `stateDir: ../state\nsandbox: none\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\n`,
    'hosts.yaml': `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user}, env: { PORT: "${appPort}" } }\n`,
    'pipelines/app.yaml': `repo: ${repo.url}\npoll: "* * * * * *"\ntest: [./test.sh]\ndeploy: { path: ${deployPath()}, steps: [./gate.sh], restart: ./restart.sh, healthCheck: { command: node health.js, timeout: 20s, interval: 200ms } }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
  });
});

after(async () => {
  for (const d of daemons) await d.stop('SIGKILL');
  await writeFile(join(host.root, 'go'), '').catch(() => undefined);
  await stopApp(deployPath());
  await host?.stop();
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

async function switchesOf(commit: string): Promise<number> {
  const log = await readFile(join(deployPath(), 'revisions.log'), 'utf8').catch(() => '');
  return log.split('\n').filter((l) => l.includes(commit)).length;
}

async function afterCrash(killed: number, commit: string, opts: { lockLeft?: boolean } = {}): Promise<void> {
  assert.deepEqual(await unparsableStateFiles(stateDir), [], 'every state file parses after kill -9');
  const d = start();
  await waitFor(async () => (await appHealth(appPort)) === commit, { timeoutMs: 90_000, what: `${commit.slice(0, 7)} deployed after the restart` });
  await waitFor(async () => (await readRunFiles(stateDir, 'app')).every((r) => r.status !== 'running' && r.status !== 'queued'), { timeoutMs: 30_000, what: 'no run running' });
  const runs = await readRunFiles(stateDir, 'app');
  assert.equal(runs.find((r) => r.number === killed)?.status, 'interrupted');
  const again = runs.filter((r) => r.commit.id === commit && r.status === 'deployed');
  assert.equal(again.length, 1, JSON.stringify(runs.map((r) => [r.number, r.status, r.trigger])));
  assert.equal(again[0]!.trigger, 'recovery');
  assert.equal(await switchesOf(commit), 1, 'the commit went live exactly once');
  assert.match(d.log(), new RegExp(`<4>app: run #${killed} left running by an earlier stop or crash: interrupted`));
  // A lock of this state folder whose run ended goes at recovery, not after lockTimeout.
  if (opts.lockLeft) {
    assert.match(d.log(), new RegExp(`app #${killed}: released its deploy lock on web1`));
    // Released from a task process: the daemon itself never loads ssh2.
    const maps = await readFile(`/proc/${d.child.pid}/maps`, 'utf8');
    assert.ok(!maps.includes('sshcrypto.node'), 'ssh2 (its sshcrypto.node) is loaded into the daemon');
  }
  assert.equal(await d.stop('SIGTERM'), 0);
}

test('kill -9 during a local test step', async () => {
  const d = start();
  await waitFor(() => existsSync(join(gate, 'at-gate')), { timeoutMs: 60_000, what: 'the test step at its gate' });
  d.child.kill('SIGKILL');
  await d.exited;
  // The run's own process kills its test step when it loses the daemon; if it has not yet, end
  // the step as a reboot would (it would hold the gate too).
  try {
    process.kill(Number((await readFile(join(gate, 'pid'), 'utf8')).trim()), 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
  await rm(join(gate, 'at-gate'));
  const killedRun = (await readRunFiles(stateDir, 'app')).find((r) => r.status === 'running')!;
  assert.ok(killedRun, 'the run was left running');
  // Let the re-run pass its gate as soon as it gets there.
  const release = waitFor(() => existsSync(join(gate, 'at-gate')), { timeoutMs: 90_000, what: 'the re-run at the gate' }).then(() => writeFile(join(gate, 'go'), ''));
  await Promise.all([afterCrash(killedRun.number, repo.head), release]);
});

test('kill -9 during a deploy step on the host (its deploy lock is released at recovery)', async () => {
  await writeFile(join(host.root, 'gate-on'), '');
  const v2 = await repo.commit({ hold: null, CHANGELOG: 'v2\n' }, 'v2');
  const d = start();
  await waitFor(() => existsSync(join(host.root, 'at-gate')), { timeoutMs: 60_000, what: 'the deploy step at its gate on the host' });
  d.child.kill('SIGKILL');
  await d.exited;
  const killedRun = (await readRunFiles(stateDir, 'app')).find((r) => r.status === 'running')!;
  assert.ok(killedRun, 'the run was left running');
  // The host's orphaned step goes on (as on a real host); let it end and open the gate.
  await rm(join(host.root, 'gate-on'));
  await writeFile(join(host.root, 'go'), '');
  await afterCrash(killedRun.number, v2, { lockLeft: true });
});
