// healHosts on a real OpenSSH host: each kind of drift made by hand on the host, then healed by
// the heal plan through the one applier — switched back, restarted, redeployed — with the host
// state and the audit line to match. (Observing and scheduling heals is issue 12 part 2.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, readlink, rm, symlink, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appFiles, appHealth, freePort, stopApp } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';
import { openRuntime, type Runtime } from '../../src/wiring/runtime.ts';
import { createRun } from '../../src/pipeline/run.ts';
import { RunRecorder } from '../../src/pipeline/recorder.ts';
import { healHosts } from '../../src/pipeline/heal.ts';
import { readHostFacts } from '../../src/pipeline/host-facts.ts';
import { healthCommand } from '../../src/pipeline/host-facts.ts';
import { readRun } from '../../src/state/store.ts';

let server: GitServer;
let repo: TestRepo;
let host: TestHost;
let port: number;
let work: string;
let configDir: string;
let stateDir: string;
let rt: Runtime;
const app = () => join(host.root, 'app');
const quiet = { out: () => undefined, err: () => undefined, status: (w: string) => w };

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-e2e-heal-'));
  server = await startGitServer();
  repo = await createRepo(server, 'app', appFiles, { message: 'v1' });
  const keys = await createTestKeys();
  host = await startTestHost(keys, { name: 'web1' });
  port = await freePort();
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile}, connectTimeout: 2s }\n`,
    'hosts.yaml': `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user}, env: { PORT: "${port}" } }\n`,
    'pipelines/app.yaml': `repo: ${repo.url}\ntest: [./test.sh]\ndeploy: { path: ~/app, restart: ./restart.sh, healthCheck: { command: node health.js, timeout: 10s, interval: 200ms }, lockWait: 1s }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
  });
  assert.equal((await runSlipway(['once', '--config', configDir])).code, 0);
  await repo.commit({ CHANGES: 'v2\n' }, 'v2');
  const second = await runSlipway(['once', '--config', configDir]);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  rt = await openRuntime(configDir, 'heal', quiet);
});

after(async () => {
  await rt?.close();
  await stopApp(app());
  await host?.stop();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** One heal run of web1, as the observer would start it: facts read now, the run's commit the desired one. */
async function heal(): Promise<{ ok: boolean; run: number }> {
  const pipeline = rt.config.pipelines[0]!;
  const env = pipeline.environments[0]!;
  const desired = await readRun(stateDir, 'app', 2);
  const run = await createRun(rt.ctx, pipeline, desired.commit, 'heal');
  const rec = new RunRecorder(stateDir, run, { secrets: rt.config.secrets, now: rt.ctx.now, onChange: rt.ctx.report });
  run.status = 'running';
  const stage = rec.addStage({ name: `heal:${env.name}`, kind: 'deploy', environment: env.name, status: 'pending', steps: [] });
  const conn = await rt.ctx.pool.get('web1');
  const vars = { ...rt.config.hosts.web1!.env, SLIPWAY_COMMIT: desired.commit.id, SLIPWAY_HOST: 'web1' };
  const facts = await readHostFacts(conn, { path: env.deploy.path, health: { command: healthCommand(env, vars)!, env: vars } }, env.deploy.commandTimeoutMs);
  const ok = await healHosts(rt.ctx, rec, pipeline, env, stage, [{ host: 'web1', facts }]);
  run.status = ok ? 'deployed' : 'failed';
  run.finishedAt = rec.now();
  await rec.save();
  return { ok, run: run.number };
}

const releases = async () => (await readdir(join(app(), 'releases'))).filter((r) => !r.startsWith('.')).sort();
const hostCurrent = async () => JSON.parse(await readFile(join(stateDir, 'hosts', 'web1.json'), 'utf8')).pipelines.app.current;

test('a hand-switched current is switched back; a killed app is restarted; a deleted release is redeployed', async () => {
  const v2 = repo.head;
  const [r1, r2] = await releases();
  assert.equal(await readlink(join(app(), 'current')), `releases/${r2}`);

  // Switched by hand to the older release.
  await symlink(`releases/${r1}`, join(app(), 'current.tmp'));
  await rename(join(app(), 'current.tmp'), join(app(), 'current'));
  const switched = await heal();
  assert.equal(switched.ok, true);
  assert.equal(await readlink(join(app(), 'current')), `releases/${r2}`);
  await waitFor(async () => (await appHealth(port)) === v2, { timeoutMs: 10_000, what: 'v2 serving again' });
  const run = await readRun(stateDir, 'app', switched.run);
  assert.deepEqual(run.stages[0]!.steps.map((s) => s.name), ['web1: connect', `web1: switch back to ${r2}`, 'web1: health check', 'web1: release deploy lock']);
  assert.equal(run.stages[0]!.hosts![0]!.status, 'deployed');

  // The app killed: the right commit, health failing: restarted.
  await stopApp(app());
  await waitFor(async () => (await appHealth(port)) === undefined, { timeoutMs: 5000, what: 'the app down' });
  const restarted = await heal();
  assert.equal(restarted.ok, true);
  assert.equal(await appHealth(port), v2, JSON.stringify((await readRun(stateDir, 'app', restarted.run)).stages));
  assert.ok((await readRun(stateDir, 'app', restarted.run)).stages[0]!.steps.some((s) => s.name === 'web1: restart'));

  // The desired release deleted (current back on the old one): a fresh release of v2.
  await symlink(`releases/${r1}`, join(app(), 'current.tmp'));
  await rename(join(app(), 'current.tmp'), join(app(), 'current'));
  await rm(join(app(), 'releases', r2!), { recursive: true });
  const redeployed = await heal();
  assert.equal(redeployed.ok, true);
  const now = await releases();
  const fresh = now.find((r) => r !== r1)!;
  assert.ok(fresh && fresh !== r2, `a new release: ${now.join(' ')}`);
  assert.equal((await readFile(join(app(), 'current', 'REVISION'), 'utf8')).trim(), v2);
  assert.equal(await appHealth(port), v2, 'redeployed');
  assert.deepEqual(await hostCurrent(), { release: fresh, commit: v2, deployedAt: (await hostCurrent()).deployedAt, run: redeployed.run });

  const audit = (await readFile(join(stateDir, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  const heals = audit.filter((a) => a.action === 'heal');
  assert.deepEqual(heals.map((a) => a.result), ['ok', 'ok', 'ok']);
  assert.ok(!(await readdir(app())).includes('.slipway-lock'), 'no lock left');
});

test('a host another deploy holds is left alone: the heal waits lockWait, then fails, nothing changed', async () => {
  const before = await readlink(join(app(), 'current'));
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(join(app(), '.slipway-lock'));
  await writeFile(join(app(), '.slipway-lock', 'info'), 'state=other run=app#99 by=ops@elsewhere pid=1 at=t\n');
  try {
    await symlink('releases/nowhere', join(app(), 'current.tmp'));
    await rename(join(app(), 'current.tmp'), join(app(), 'current'));
    const r = await heal();
    assert.equal(r.ok, false);
    assert.equal(await readlink(join(app(), 'current')), 'releases/nowhere', 'untouched while the lock is held');
    const run = await readRun(stateDir, 'app', r.run);
    assert.match(run.stages[0]!.error ?? '', /web1: refused: deploy lock held by state=other run=app#99/);
  } finally {
    await rm(join(app(), '.slipway-lock'), { recursive: true, force: true });
    await symlink(before, join(app(), 'current.tmp'));
    await rename(join(app(), 'current.tmp'), join(app(), 'current'));
  }
});
