// The state folder on a real, small tmpfs, filled to the last byte while a run is in its test
// step, then freed. Needs root for `mount -t tmpfs` (CI runs as root); elsewhere the test is
// skipped and says so. Checks: the daemon lives, the run fails with "no space left" and cause
// infrastructure, no state file is half-written, the host stays on its complete release, and
// once space is back the daemon records the run and deploys the commit without a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, open, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appHealth, freePort, stopApp } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';
import { readRunFiles, startDaemon, unparsableStateFiles, type Daemon } from './daemon-process.ts';
import { daemonAppFiles } from './fixture.ts';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && !process.env.CI ? 'needs root to mount a tmpfs (CI runs it as root)' : false;

let server: GitServer;
let repo: TestRepo;
let host: TestHost;
let work: string;
let configDir: string;
let stateDir: string;
let gate: string;
let appPort: number;
let mounted = false;
let daemon: Daemon | undefined;
const deployPath = () => join(host.root, 'app');

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), 'slipway-diskfull-'));
  gate = join(work, 'gate');
  stateDir = join(work, 'state');
  await mkdir(gate);
  await mkdir(stateDir);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', stateDir]);
  mounted = true;
  server = await startGitServer();
  repo = await createRepo(server, 'app', daemonAppFiles, { message: 'v1' });
  const keys = await createTestKeys();
  host = await startTestHost(keys, { name: 'web1' });
  appPort = await freePort();
  configDir = join(work, 'config');
  await writeConfigFolder(configDir, {
    // The step waits at a gate outside any sandbox.
    'slipway.yaml': `stateDir: ../state\nsandbox: none\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\n`,
    'hosts.yaml': `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user}, env: { PORT: "${appPort}" } }\n`,
    'pipelines/app.yaml': `repo: ${repo.url}\npoll: "* * * * * *"\ntest: [./test.sh]\ndeploy: { path: ${deployPath()}, restart: ./restart.sh, healthCheck: { command: node health.js, timeout: 15s, interval: 200ms } }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
  });
});

after(async () => {
  await daemon?.stop('SIGKILL');
  if (host) await stopApp(deployPath());
  await host?.stop();
  await server?.close();
  if (mounted) await execa('umount', ['-l', stateDir], { reject: false });
  if (work) await rm(work, { recursive: true, force: true });
});

/** Fills the file system of `dir` to its last byte with one file; returns its path. */
async function fillUp(dir: string): Promise<string> {
  const file = join(dir, 'filler');
  const handle = await open(file, 'w');
  try {
    for (const size of [1024 * 1024, 4096, 512]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          await handle.write(chunk);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw e;
        }
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
  return file;
}

test('the state disk fills up during a run, then is freed: the run fails as infrastructure, nothing is torn, then the commit deploys', { skip, timeout: 180_000 }, async () => {
  daemon = startDaemon(configDir, { env: { TEST_GATE_DIR: gate } });
  await waitFor(async () => (await appHealth(appPort)) === repo.head, { timeoutMs: 60_000, what: 'v1 deployed' });
  const v1 = repo.head;

  const v2 = await repo.commit({ hold: 'x\n', CHANGELOG: 'v2\n' }, 'v2 (held in its test step)');
  await waitFor(() => existsSync(join(gate, 'at-gate')), { timeoutMs: 60_000, what: 'the v2 run in its test step' });
  const filler = await fillUp(stateDir);
  const free = await statfs(stateDir);
  assert.ok(free.bavail * free.bsize < 4096, `the state disk is full (${free.bavail * free.bsize} bytes free)`);
  await writeFile(join(gate, 'go'), '');
  await daemon.waitLog(/no space left on the device of/, 'the run failing for lack of space');
  assert.equal(daemon.child.exitCode, null, 'the daemon lives');
  assert.deepEqual(await unparsableStateFiles(stateDir), [], 'no state file is half-written');
  assert.equal((await readFile(join(deployPath(), 'current', 'REVISION'), 'utf8')).trim(), v1, 'the host stays on its complete release');
  assert.equal(await appHealth(appPort), v1);

  // Space is back: the run's record lands, and the retry (cause infrastructure) deploys v2.
  await rm(filler);
  const release = waitFor(() => existsSync(join(gate, 'at-gate')), { timeoutMs: 90_000, what: 'the retry in its test step' }).then(() => writeFile(join(gate, 'go'), ''));
  await waitFor(async () => (await appHealth(appPort)) === v2, { timeoutMs: 90_000, what: `v2 deployed once space is back; log:\n${daemon.log().slice(-3000)}` });
  await release;
  await waitFor(async () => (await readRunFiles(stateDir, 'app')).some((r) => r.commit.id === v2 && r.status === 'deployed'), { timeoutMs: 30_000, what: 'the v2 run recorded deployed' });
  const runs = await readRunFiles(stateDir, 'app');
  const failed = runs.find((r) => r.commit.id === v2 && r.status === 'failed') as (typeof runs)[number] & { cause?: string };
  assert.ok(failed, JSON.stringify(runs.map((r) => [r.number, r.status, r.error])));
  assert.equal(failed.cause, 'infrastructure');
  assert.match(failed.error ?? '', /no space left on the device of /);
  assert.equal(runs.filter((r) => r.commit.id === v2 && r.status === 'deployed').length, 1, JSON.stringify(runs.map((r) => [r.number, r.status, r.trigger, r.error])) + daemon.log().slice(-4000));
  assert.deepEqual(runs.filter((r) => r.status === 'running' || r.status === 'queued').map((r) => r.number), []);
  assert.equal(daemon.child.exitCode, null);
  assert.equal(await daemon.stop('SIGTERM'), 0);
  daemon = undefined;
});
