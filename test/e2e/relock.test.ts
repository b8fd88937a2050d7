// Issue 13: every host releases its deploy lock in its health exec (4 execs per host with any
// number of hosts), so a sibling failing later must roll a host back that we no longer hold.
// On two real OpenSSH hosts: web1 is healthy and unlocked while web2 holds at its restart; then
// web2's health check fails. web1 is rolled back under its lock taken again, and left unlocked;
// and when a newer deploy took web1's lock in between, web1 is NOT rolled back: the step says
// why, the state says what runs there, the newer deploy's lock stays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appFiles, appHealth, freePort, stopApp } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';

let server: GitServer;
let repo: TestRepo;
let hosts: TestHost[];
let ports: number[];
let work: string;
let configDir: string;
let stateDir: string;
const NEWER = 'state=22222222-2222-4222-8222-222222222222 run=app#90 by=ops@elsewhere pid=4242 at=2026-12-02T00:00:00.000Z';
const app = (h: TestHost) => join(h.root, 'app');
const lockOf = (h: TestHost) => join(app(h), '.slipway-lock');
const currentOf = async (h: TestHost) => (await readlink(join(app(h), 'current'))).replace('releases/', '');
const readJson = async (p: string) => JSON.parse(await readFile(p, 'utf8'));
const lastRun = async () => {
  const files = (await readdir(join(stateDir, 'runs', 'app'))).map((f) => Number(f.replace('.json', ''))).sort((a, b) => a - b);
  return readJson(join(stateDir, 'runs', 'app', `${files.at(-1)}.json`));
};
const stepsOf = (run: { stages: Array<{ steps: Array<{ id: string; status: string; error?: string }> }> }) => run.stages.flatMap((s) => s.steps);

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-e2e-relock-'));
  server = await startGitServer();
  repo = await createRepo(server, 'app', appFiles, { message: 'v1' });
  const keys = await createTestKeys();
  hosts = [await startTestHost(keys, { name: 'web1' }), await startTestHost(keys, { name: 'web2' })];
  ports = [await freePort(), await freePort()];
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  // web2 holds still in its restart while $HOME/gate-on exists (gate.sh), until the test says go.
  const restart = `'[ "$SLIPWAY_HOST" != web2 ] || ./gate.sh; ./restart.sh'`;
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\n`,
    'hosts.yaml': hosts.map((h, i) => `${h.name}: { address: 127.0.0.1, port: ${h.port}, user: ${h.user}, env: { PORT: "${ports[i]}" } }\n`).join(''),
    'pipelines/app.yaml': `repo: ${repo.url}\ntest: []\ndeploy: { path: ~/app, restart: ${restart}, healthCheck: { command: node health.js, timeout: 6s, interval: 200ms }, keepReleases: 2 }\nenvironments:\n  - { name: production, hosts: [web1, web2] }\n`,
  });
  // Two releases on each host before the tests, so a third one's prune has something to remove.
  for (const n of [1, 2]) {
    if (n > 1) await repo.commit({ CHANGES: 'v1b\n' }, 'v1b');
    const r = await runSlipway(['once', '--config', configDir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }
});

after(async () => {
  for (const h of hosts ?? []) await stopApp(app(h));
  for (const h of hosts ?? []) await h.stop();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A commit unhealthy on web2; returns once web1 runs it, healthy and unlocked, and web2 waits at its restart. */
async function deployUntilWeb1Released(message: string): Promise<{ running: ReturnType<typeof runSlipway>; commit: string }> {
  const commit = await repo.commit({ 'unhealthy-on': 'web2\n', CHANGES: `${message}\n` }, message);
  await writeFile(join(hosts[1]!.root, 'gate-on'), '');
  const running = runSlipway(['once', '--config', configDir]);
  let ended: string | undefined;
  void running.then((r) => (ended = r.stdout + r.stderr));
  await waitFor(async () => {
    if (ended !== undefined) throw new Error(`the deploy ended before web1 was released:\n${ended}`);
    return existsSync(join(hosts[1]!.root, 'at-gate')) && (await currentOf(hosts[0]!)).endsWith(commit.slice(0, 7)) && !existsSync(lockOf(hosts[0]!));
  }, {
    timeoutMs: 90_000,
    what: 'web1 switched, healthy and unlocked while web2 waits at its restart',
  });
  return { running, commit };
}

test('web1 healthy and unlocked, then web2 fails its health check: web1 is rolled back under its lock taken again, and left unlocked', { timeout: 180_000 }, async () => {
  const good = repo.head;
  const before = await Promise.all(hosts.map(currentOf));
  const { running } = await deployUntilWeb1Released('v2: unhealthy on web2');
  await writeFile(join(hosts[1]!.root, 'go'), '');
  const r = await running;
  assert.equal(r.code, 1);
  const run = await lastRun();
  assert.equal(run.status, 'failed');
  assert.match(run.error, /web2: health check: unhealthy after/);
  assert.deepEqual(await Promise.all(hosts.map(currentOf)), before, 'both hosts back on their previous release');
  assert.deepEqual(await Promise.all(ports.map(appHealth)), [good, good], 'the old app answers on both');
  for (const h of hosts) assert.ok(!existsSync(lockOf(h)), `${h.name}: no lock left`);
  const steps = stepsOf(run);
  const web1 = steps.filter((s) => s.id.startsWith('production-web1-')).map((s) => `${s.id.replace('production-web1-', '')}:${s.status}`);
  assert.deepEqual(web1, ['connect:passed', 'release:passed', 'switch:passed', 'health:passed', 'unlock:passed', 'rollback:passed', 'unlock-2:passed'], 'unlocked when healthy, rolled back, unlocked again');
  const log = await readFile(join(stateDir, 'logs', 'app', String(run.number), 'production-web1-rollback.log'), 'utf8');
  assert.match(log, /health check of /, 'the rollback waited for the previous release to be healthy');
  // keepReleases 2: web1 pruned its oldest release when healthy, never its previous one (the rollback target).
  assert.deepEqual(await readdir(join(app(hosts[0]!), 'releases')), [before[0]]);
  const hs = await readJson(join(stateDir, 'hosts', 'web1.json'));
  assert.equal(hs.pipelines.app.current.release, before[0]);
  assert.deepEqual(hs.pipelines.app.releases, [before[0]]);
});

test('a newer deploy took web1\'s lock after our release: web1 is not rolled back, the step says why, the state says what runs', { timeout: 180_000 }, async () => {
  const good = (await readJson(join(stateDir, 'runs', 'app', '2.json'))).commit.id;
  const was = await currentOf(hosts[0]!);
  const { running, commit } = await deployUntilWeb1Released('v3: unhealthy on web2 again');
  const ours = await currentOf(hosts[0]!);
  // Another slipway's live deploy takes web1's free lock.
  await mkdir(lockOf(hosts[0]!));
  await writeFile(join(lockOf(hosts[0]!), 'info'), `${NEWER}\n`);
  await writeFile(join(hosts[1]!.root, 'go'), '');
  const r = await running;
  assert.equal(r.code, 1);
  const run = await lastRun();
  const message = `not rolled back: a newer deploy (holder ${NEWER}) holds the lock; it runs ${ours}`;
  const rollback = stepsOf(run).find((s) => s.id === 'production-web1-rollback');
  assert.equal(rollback?.status, 'failed');
  assert.equal(rollback?.error, message);
  assert.ok(run.error.includes(`web1: ${message}`), run.error);
  assert.equal(await currentOf(hosts[0]!), ours, 'web1 left to the newer deploy as it was');
  assert.equal(await appHealth(ports[0]!), commit);
  assert.equal((await readFile(join(lockOf(hosts[0]!), 'info'), 'utf8')).trim(), NEWER, 'the newer deploy keeps its lock');
  assert.equal(await appHealth(ports[1]!), good, 'web2 rolled back');
  assert.ok(!existsSync(lockOf(hosts[1]!)));
  const stage = run.stages.find((s: { kind: string }) => s.kind === 'deploy');
  assert.deepEqual(stage.hosts.find((h: { host: string }) => h.host === 'web1'), { host: 'web1', status: 'failed', release: ours, previousRelease: was, error: message });
  const hs = await readJson(join(stateDir, 'hosts', 'web1.json'));
  assert.deepEqual(hs.pipelines.app.current, { release: ours, commit, deployedAt: hs.pipelines.app.current.deployedAt, run: run.number }, 'what runs there, as it is');
  assert.equal(hs.pipelines.app.previous.release, was);
  await rm(lockOf(hosts[0]!), { recursive: true });
});

test('a lock left on web1 by a run this state folder knows ended is taken over: web1 is rolled back all the same', { timeout: 180_000 }, async () => {
  const was = await currentOf(hosts[0]!);
  const id = (await readFile(join(stateDir, 'id'), 'utf8')).trim();
  const ended = `state=${id} run=app#1 by=ops@gone pid=1 at=2026-12-02T00:00:00.000Z`;
  const { running } = await deployUntilWeb1Released('v4: unhealthy on web2 once more');
  await mkdir(lockOf(hosts[0]!));
  await writeFile(join(lockOf(hosts[0]!), 'info'), `${ended}\n`);
  await writeFile(join(hosts[1]!.root, 'go'), '');
  assert.equal((await running).code, 1);
  const run = await lastRun();
  assert.equal(stepsOf(run).find((s) => s.id === 'production-web1-rollback')?.status, 'passed');
  assert.equal(await currentOf(hosts[0]!), was, 'web1 back on the release it ran');
  assert.ok(!existsSync(lockOf(hosts[0]!)), 'the taken-over lock is released after the rollback');
  const log = await readFile(join(stateDir, 'logs', 'app', String(run.number), 'production-web1-rollback.log'), 'utf8');
  assert.match(log, /took over the deploy lock \(left by app#1, which ended deployed\): state=/);
});
