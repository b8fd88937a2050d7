// `slipway run` as a child process against a token-protected git server: the daemon deploys a
// push without any command, the token never lands in state, logs, pages or on the host, and
// SIGTERM ends it cleanly. Also: a test stage that overruns its timeout is killed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appFiles, appHealth, freePort, stopApp } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';

const TOKEN = 'tok-3f9a0c1d2e7b4b58a1c6';
let server: GitServer;
let repo: TestRepo;
let host: TestHost;
let work: string;
let configDir: string;
let port: number;
const deployPath = () => join(host.root, 'app');
const BIN = new URL('../../bin/slipway.js', import.meta.url).pathname;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-e2e-daemon-'));
  server = await startGitServer({ token: TOKEN });
  repo = await createRepo(server, 'app', appFiles, { message: 'v1' });
  const keys = await createTestKeys();
  host = await startTestHost(keys, { name: 'web1' });
  port = await freePort();
  configDir = join(work, 'config');
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\n`,
    'hosts.yaml': `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user}, env: { PORT: "${port}" } }\n`,
    'pipelines/app.yaml': `repo: ${repo.url}\npoll: "* * * * * *"\nauth: { token: "\${env:APP_TOKEN}" }\ntest: [./test.sh]\ndeploy: { path: ${deployPath()}, restart: ./restart.sh, healthCheck: { command: node health.js, timeout: 20s, interval: 200ms } }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
    'pipelines/slow.yaml': `repo: ${repo.url}\nauth: { token: "\${env:APP_TOKEN}" }\ntimeout: 2s\ntest: ["sleep 317"]\ndeploy: { path: ${join(host.root, 'slow')} }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
  });
});

after(async () => {
  if (host) await stopApp(deployPath());
  await host?.stop();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test('a test stage that overruns its timeout is killed and fails the run', async () => {
  const r = await runSlipway(['once', 'slow', '--config', configDir], { env: { APP_TOKEN: TOKEN } });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const run = JSON.parse(await readFile(join(work, 'state', 'runs', 'slow', '1.json'), 'utf8'));
  assert.equal(run.status, 'failed');
  assert.match(run.stages[0].steps[1].error, /the test stage timed out after 2s; the process group was killed/);
  const left = await execa('pgrep', ['-f', 'sleep 317'], { reject: false });
  assert.notEqual(left.exitCode, 0, 'no sleep left behind');
});

test('the daemon deploys pushes by itself, keeps the token secret, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [BIN, 'run', '--config', configDir], { env: { ...process.env, APP_TOKEN: TOKEN, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor(async () => (await appHealth(port)) === repo.head, { timeoutMs: 60_000, what: 'first deploy by the daemon' });
    const v2 = await repo.commit({ 'CHANGELOG': 'v2\n' }, 'v2');
    await waitFor(async () => (await appHealth(port)) === v2, { timeoutMs: 60_000, what: 'the pushed commit to be deployed' });
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, out);
  assert.match(out, /slipway run: stopped/);

  const { stdout } = await execa('grep', ['-rl', TOKEN, join(work, 'state'), deployPath()], { reject: false });
  assert.equal(stdout, '', 'the token appears in no state file, log, page or host file');
  assert.ok(!out.includes(TOKEN), 'nor in the daemon output');
});
