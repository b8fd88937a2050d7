// Deploys that never leave a host broken (issue #3), on three real OpenSSH hosts: whole-environment
// rollback, deploy locks, deploy of an older commit, rollback, pruning, upload mode, a hung remote
// command, a silent host, and sshd stopped in the middle of a rollout. Each fault really happens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startSilentTcpServer, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appFiles, appHealth, freePort, stopApp } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';

let server: GitServer;
let repo: TestRepo;
let hosts: TestHost[];
let ports: number[];
let silent: { port: number; close(): Promise<void> };
let work: string;
let configDir: string;
let stateDir: string;
const app = (h: TestHost) => join(h.root, 'app');
const cli = (...args: string[]) => runSlipway([...args, '--config', configDir]);
const readJson = async (p: string) => JSON.parse(await readFile(p, 'utf8'));
const answers = () => Promise.all(ports.map((p) => appHealth(p)));
const currentOf = (h: TestHost) => readlink(join(app(h), 'current'));
const lastRun = async () => {
  const files = (await readdir(join(stateDir, 'runs', 'app'))).map((f) => Number(f.replace('.json', ''))).sort((a, b) => a - b);
  return readJson(join(stateDir, 'runs', 'app', `${files.at(-1)}.json`));
};

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-e2e-rollout-'));
  server = await startGitServer();
  repo = await createRepo(server, 'app', appFiles, { message: 'v1' });
  const keys = await createTestKeys();
  hosts = [];
  for (const name of ['web1', 'web2', 'web3']) hosts.push(await startTestHost(keys, { name }));
  ports = [await freePort(), await freePort(), await freePort()];
  silent = await startSilentTcpServer();
  await mkdir(join(hosts[0]!.root, 'sw', 'revisions.log'), { recursive: true });
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  const hc = '{ command: node health.js, timeout: 10s, interval: 200ms }';
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nconcurrency: 1\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile}, connectTimeout: 2s }\n`,
    'hosts.yaml':
      hosts.map((h, i) => `${h.name}: { address: 127.0.0.1, port: ${h.port}, user: ${h.user}, env: { PORT: "${ports[i]}" } }\n`).join('') +
      `ghost: { address: 127.0.0.1, port: ${silent.port}, user: nobody }\n`,
    'pipelines/app.yaml': `repo: ${repo.url}\ntest: [./test.sh]\ndeploy: { path: ~/app, steps: [./gate.sh], restart: ./restart.sh, healthCheck: ${hc}, keepReleases: 3, lockWait: 2s }\nenvironments:\n  - { name: production, hosts: [web1, web2, web3] }\n`,
    'pipelines/hang.yaml': `repo: ${repo.url}\ntest: []\ndeploy: { path: ~/hang, steps: ["sleep 317"], commandTimeout: 2s }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
    'pipelines/silent.yaml': `repo: ${repo.url}\ntest: []\ndeploy: { path: ~/silent }\nenvironments: [{ name: production, hosts: [web1, ghost] }]\n`,
    // revisions.log is a folder here, so the switch step fails after its rename has happened.
    'pipelines/sw.yaml': `repo: ${repo.url}\ntest: []\ndeploy: { path: ~/sw }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
    'pipelines/upl.yaml': `repo: ${repo.url}\ntest: []\ndeploy: { path: ~/upl, source: upload }\nenvironments: [{ name: production, hosts: [web3] }]\n`,
  });
});

after(async () => {
  if (process.env.KEEP_E2E) return;
  for (const h of hosts ?? []) await stopApp(app(h));
  for (const h of hosts ?? []) await h.stop();
  await silent?.close();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test('a first deploy reaches all three hosts; side pipelines: upload mode, a hung command, a silent host', async () => {
  const r = await cli('once');
  assert.equal(r.code, 1, 'hang and silent fail by design');
  assert.deepEqual(await answers(), [repo.head, repo.head, repo.head], r.stdout + r.stderr);

  // Upload mode: the tested tree arrives over SSH; the host never talks to git.
  const upl = join(hosts[2]!.root, 'upl');
  assert.equal((await readFile(join(upl, 'current', 'REVISION'), 'utf8')).trim(), repo.head);
  assert.ok(existsSync(join(upl, 'current', 'server.js')));
  assert.ok(!existsSync(join(upl, 'repo')), 'no git mirror on an upload host');

  // A remote command that hangs is killed on the host at its timeout; the release is removed.
  const hang = await readJson(join(stateDir, 'runs', 'hang', '1.json'));
  assert.equal(hang.status, 'failed');
  const step = hang.stages[1].steps.find((s: { id: string }) => s.id === 'production-web1-step-1');
  assert.match(step.error, /timed out after [2-9]\.\ds \(limit 2s\); the host's timeout stopped the command and its process group/);
  await waitFor(async () => (await execa('pgrep', ['-f', 'sleep 317'], { reject: false })).exitCode !== 0, { timeoutMs: 15_000, what: 'the hung command to be gone from the host' });
  assert.deepEqual(await readdir(join(hosts[0]!.root, 'hang', 'releases')), [], 'the failed release folder is removed');

  // A switch that fails after its rename is still undone: no `current` left pointing at a
  // release folder that the rollback removed.
  const sw = await readJson(join(stateDir, 'runs', 'sw', '1.json'));
  assert.equal(sw.status, 'failed');
  assert.match(sw.error, /web1: switch: /);
  assert.ok(!existsSync(join(hosts[0]!.root, 'sw', 'current')), 'no dangling current');
  assert.deepEqual(await readdir(join(hosts[0]!.root, 'sw', 'releases')), []);

  // A host that accepts TCP but never speaks SSH: bounded by connectTimeout, named, and the
  // other host of that environment is never touched.
  const sil = await readJson(join(stateDir, 'runs', 'silent', '1.json'));
  assert.equal(sil.status, 'failed');
  assert.match(sil.stages[1].error, /ghost: .*no SSH handshake completed within 2s/);
  assert.ok(!existsSync(join(hosts[0]!.root, 'silent', 'releases')), 'web1 untouched');
});

test('a health check failing on one host of three rolls the whole environment back', async () => {
  const good = repo.head;
  const before = await Promise.all(hosts.map(currentOf));
  const bad = await repo.commit({ 'unhealthy-on': 'web2\n' }, 'v2: unhealthy on web2');
  const r = await cli('once', 'app');
  assert.equal(r.code, 1);
  const run = await lastRun();
  assert.equal(run.status, 'failed');
  assert.match(run.error, /web2: health check: unhealthy after/);
  assert.deepEqual(await Promise.all(hosts.map(currentOf)), before, 'every host back on its release');
  assert.deepEqual(await answers(), [good, good, good], 'the old app answers everywhere');
  for (const h of hosts) {
    assert.ok(!(await readdir(join(app(h), 'releases'))).some((n) => n.endsWith(bad.slice(0, 7))), `${h.name}: failed release removed`);
  }
  assert.equal((await readJson(join(stateDir, 'pipelines', 'app.json'))).environments.production.commit, good);
  const audit = (await readFile(join(stateDir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(audit.at(-1).result, 'rolled-back');
  // Quarantine: the poller does not retry the commit that failed.
  const again = await cli('once', 'app');
  assert.equal(again.code, 0);
  assert.match(again.stdout, /no new commit/);
});

test('a deploy lock held by a live deploy refuses the environment; an expired one is taken over', async () => {
  const fixed = await repo.commit({ 'unhealthy-on': null }, 'v3: healthy again');
  const lock = join(app(hosts[1]!), '.slipway-lock');
  await mkdir(lock);
  await writeFile(join(lock, 'info'), 'run=other#9 by=ops@elsewhere pid=4242 at=2026-01-01T00:00:00Z\n');
  const before = await Promise.all(hosts.map(currentOf));
  const r = await cli('once', 'app');
  assert.equal(r.code, 1);
  const run = await lastRun();
  assert.match(run.error, /deploy to production refused: lock held, nothing changed: web2: refused: deploy lock held by run=other#9 by=ops@elsewhere pid=4242 at=\S+ for longer than lockWait 2s; nothing changed/);
  assert.equal(run.cause, 'infrastructure', 'a held lock is not the commit\'s fault');
  assert.ok(run.stages.some((s: { steps: Array<{ name: string }> }) => s.steps.some((x) => x.name === 'web2: waiting for the deploy lock held by run=other#9 by=ops@elsewhere pid=4242 at=2026-01-01T00:00:00Z')), 'the wait is a step');
  assert.deepEqual(await Promise.all(hosts.map(currentOf)), before, 'nothing changed anywhere');
  assert.ok(existsSync(lock), 'somebody else\'s lock is left alone');
  // Left by a slipway that died two hours ago: older than lockTimeout (30m), so taken over.
  await execa('touch', ['-d', '2 hours ago', lock]);
  const d = await cli('deploy', 'app', '--env', 'production');
  assert.equal(d.code, 0, d.stdout + d.stderr);
  assert.deepEqual(await answers(), [fixed, fixed, fixed]);
  assert.ok(!existsSync(lock), 'our lock is released after the deploy');
});

test('deploy of an older commit, then rollback, then pruning to keepReleases', async () => {
  const v1 = (await readJson(join(stateDir, 'runs', 'app', '1.json'))).commit.id;
  const v3 = repo.head;
  const d = await cli('deploy', 'app', '--env', 'production', '--commit', v1.slice(0, 8));
  assert.equal(d.code, 0, d.stdout + d.stderr);
  assert.deepEqual(await answers(), [v1, v1, v1]);
  const rb = await cli('rollback', 'app', '--env', 'production');
  assert.equal(rb.code, 0, rb.stdout + rb.stderr);
  assert.deepEqual(await answers(), [v3, v3, v3]);
  assert.equal((await readJson(join(stateDir, 'pipelines', 'app.json'))).environments.production.commit, v3);
  assert.match(await readFile(join(app(hosts[0]!), 'revisions.log'), 'utf8'), /rollback=app#/);
  // Releases so far: v1, v3, v1 again (older ones pruned): never more than keepReleases = 3.
  for (const h of hosts) {
    const releases = await readdir(join(app(h), 'releases'));
    assert.ok(releases.length <= 3, `${h.name}: ${releases.join(', ')}`);
    assert.ok(releases.includes((await currentOf(h)).replace('releases/', '')));
  }
  const untested = await cli('deploy', 'app', '--env', 'production', '--commit', 'ffffffff');
  assert.equal(untested.code, 1);
});

test('sshd of one host stopped mid-rollout: bounded, named, and the environment rolled back', async () => {
  const good = repo.head;
  await writeConfigFolder(configDir, {
    'pipelines/app.yaml': (await readFile(join(configDir, 'pipelines', 'app.yaml'), 'utf8')).replace('hosts: [web1, web2, web3] }', 'hosts: [web1, web2, web3], batch: 1 }'),
  });
  const before = await Promise.all(hosts.map(currentOf));
  await writeFile(join(hosts[0]!.root, 'gate-on'), '');
  await repo.commit({ 'CHANGES': 'v4\n' }, 'v4');
  const running = cli('once', 'app');
  // web1 (batch 1) holds at its gate step: now web2's sshd goes away, then web1 goes on.
  await waitFor(() => existsSync(join(hosts[0]!.root, 'at-gate')), { timeoutMs: 60_000, what: 'web1 at the gate' });
  await hosts[1]!.stop();
  await writeFile(join(hosts[0]!.root, 'go'), '');
  const r = await running;
  assert.equal(r.code, 1);
  const run = await lastRun();
  assert.match(run.error, /web2: /);
  assert.equal(await currentOf(hosts[0]!), before[0], 'web1 switched and came back');
  assert.equal(await appHealth(ports[0]!), good);
  assert.equal(await currentOf(hosts[2]!), before[2], 'web3 never reached');
  await hosts[1]!.start!();
});
