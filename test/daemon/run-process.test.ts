// Each run of `slipway run` lives in its own process (src/daemon/run-process.ts). A run whose
// process dies — kill -9 in the middle of a deploy step holding the host's deploy lock, or an
// error nothing caught — leaves the daemon serving: the run is `failed` with how its process
// died, its lock is released as recovery does, and the next commit runs and deploys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { writeConfigFolder } from '../helpers/slipway-cli.ts';
import { freePort } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';
import { jobProcesses, readRunFiles, startDaemon, type Daemon, type RunFile } from './daemon-process.ts';
import { daemonAppFiles } from './fixture.ts';

let server: GitServer;
let repo: TestRepo;
let host: TestHost;
let work: string;
let stateDir: string;
let httpPort: number;
let daemon: Daemon;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-run-process-'));
  server = await startGitServer();
  repo = await createRepo(server, 'app', daemonAppFiles, { message: 'v1' });
  const keys = await createTestKeys();
  host = await startTestHost(keys, { name: 'web1' });
  httpPort = await freePort();
  stateDir = join(work, 'state');
  const configDir = join(work, 'config');
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\nserver: { listen: "127.0.0.1:${httpPort}" }\n`,
    'hosts.yaml': `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user} }\n`,
    'pipelines/app.yaml': `repo: ${repo.url}\npoll: "* * * * * *"\ntest: [./test.sh]\ndeploy: { path: ${join(host.root, 'app')}, steps: [./gate.sh] }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
  });
  // Run #1 holds still in its deploy step on the host (holding the deploy lock).
  await writeFile(join(host.root, 'gate-on'), '');
  daemon = startDaemon(configDir, { env: { SLIPWAY_FAULT_RUN: 'app#2' } });
});

after(async () => {
  await daemon?.stop('SIGKILL');
  await writeFile(join(host.root, 'go'), '').catch(() => undefined);
  await host?.stop();
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

async function runOf(n: number): Promise<RunFile | undefined> {
  return (await readRunFiles(stateDir, 'app')).find((r) => r.number === n);
}

async function ended(n: number, what: string): Promise<RunFile> {
  await waitFor(async () => ['failed', 'deployed', 'passed', 'interrupted'].includes((await runOf(n))?.status ?? ''), { timeoutMs: 60_000, what: `${what}; log:\n${daemon.log()}` });
  return (await runOf(n))!;
}

async function healthy(): Promise<void> {
  const health = (await (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).json()) as { pipelines: number };
  assert.equal(health.pipelines, 1);
  assert.equal(daemon.child.exitCode, null, 'the daemon is still running');
}

test('kill -9 of a run process mid-deploy: the run fails with how it died, its lock is released, the daemon goes on', { timeout: 120_000 }, async () => {
  await waitFor(() => existsSync(join(host.root, 'at-gate')), { timeoutMs: 60_000, what: 'run #1 at its deploy gate on the host' });
  const [child] = await jobProcesses(daemon.child.pid!);
  assert.ok(child, `a run process of the daemon; log:\n${daemon.log()}`);
  process.kill(child, 'SIGKILL');
  const run = await ended(1, 'run #1 recorded failed');
  assert.equal(run.status, 'failed');
  assert.equal(run.error, "the run's process died: killed by SIGKILL");
  assert.ok(run.stages.every((s) => s.status !== 'running' && s.steps.every((st) => st.status !== 'running')), JSON.stringify(run.stages));
  await daemon.waitLog(/app #1: released its deploy lock on web1/, 'the dead run’s deploy lock released');
  // The host's orphaned step goes on (as on a real host); let it end.
  await rm(join(host.root, 'gate-on'));
  await writeFile(join(host.root, 'go'), '');
  await healthy();
});

test('an error nothing caught in a run: failed with its message, no stack trace, the next commit deploys', { timeout: 120_000 }, async () => {
  await repo.commit({ CHANGELOG: 'v2\n' }, 'v2');
  const two = await ended(2, 'run #2 (SLIPWAY_FAULT_RUN) recorded failed');
  assert.equal(two.status, 'failed');
  assert.equal(two.error, "the run's process died: uncaught error: fault injected into app#2 by SLIPWAY_FAULT_RUN");
  await healthy();
  const v3 = await repo.commit({ CHANGELOG: 'v3\n' }, 'v3');
  const three = await ended(3, 'run #3 deployed');
  assert.equal(three.status, 'deployed', JSON.stringify(three));
  assert.equal(three.commit.id, v3);
  assert.doesNotMatch(daemon.log(), /^\s+at .*\(.*:\d+:\d+\)$/m, 'no stack trace in the log');
  await healthy();
});
