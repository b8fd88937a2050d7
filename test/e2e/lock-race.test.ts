// Two slipway installations (two state folders) deploy one app path on one real sshd host, where a
// third, long dead installation left a stale deploy lock. Both `slipway once` processes reach the
// lock together: exactly one takes it over and holds it, the other waits (a step that says for
// whom) and deploys after the first released it. Nothing is left locked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appFiles, freePort, stopApp } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';

let server: GitServer;
let repo: TestRepo;
let host: TestHost;
let work: string;
const appPath = () => join(host.root, 'app');
const DEAD = 'state=99999999-9999-4999-8999-999999999999 run=app#7 by=ops@gone pid=1 at=2026-01-01T00:00:00.000Z';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-lock-race-'));
  server = await startGitServer();
  repo = await createRepo(server, 'app', appFiles, { message: 'v1' });
  const keys = await createTestKeys();
  host = await startTestHost(keys, { name: 'web1' });
  const port = await freePort();
  for (const name of ['a', 'b']) {
    await writeConfigFolder(join(work, name), {
      'slipway.yaml': `stateDir: ../state-${name}\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\n`,
      'hosts.yaml': `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user}, env: { PORT: "${port}" } }\n`,
      'pipelines/app.yaml': `repo: ${repo.url}\ntest: [./test.sh]\ndeploy: { path: ${appPath()}, steps: [./gate.sh], restart: ./restart.sh, lockWait: 2m }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
    });
  }
});

after(async () => {
  if (host) await stopApp(appPath());
  await host?.stop();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test('two state folders take over one stale host lock at once: exactly one holds it, the other waits its turn', { timeout: 180_000 }, async () => {
  const lock = join(appPath(), '.slipway-lock');
  await mkdir(lock, { recursive: true });
  await writeFile(join(lock, 'info'), `${DEAD}\n`);
  await execa('touch', ['-d', '2 hours ago', lock]);
  // The winner holds still in its deploy step until the test has looked at the lock.
  await writeFile(join(host.root, 'gate-on'), '');
  const runs = ['a', 'b'].map((name) => runSlipway(['once', '--config', join(work, name)]));
  await waitFor(() => existsSync(join(host.root, 'at-gate')), { timeoutMs: 90_000, what: 'one deploy inside the lock' });
  const holder = (await readFile(join(lock, 'info'), 'utf8')).trim();
  await rm(join(host.root, 'gate-on'));
  await writeFile(join(host.root, 'go'), '');
  const results = await Promise.all(runs);
  for (const r of results) assert.equal(r.code, 0, r.stdout + r.stderr);
  const ids = await Promise.all(['a', 'b'].map(async (n) => (await readFile(join(work, `state-${n}`, 'id'), 'utf8')).trim()));
  const winner = ids.findIndex((id) => holder.startsWith(`state=${id} run=app#1 `));
  assert.ok(winner >= 0, `the lock is held by one of the two (${holder})`);

  const logs = await Promise.all(['a', 'b'].map((n) => readFile(join(work, `state-${n}`, 'logs', 'app', '1', 'production-web1-connect.log'), 'utf8')));
  const took = logs.map((l) => /took over the deploy lock \(left \d+ s ago by another slipway \(older than lockTimeout 30m\)\): state=9{8}-/.test(l));
  assert.deepEqual(took.filter(Boolean).length, 1, `exactly one took the stale lock over:\n${logs.join('\n---\n')}`);
  assert.equal(took[winner], true, 'the one that holds it took it over');
  const loser = 1 - winner;
  const loserRun = JSON.parse(await readFile(join(work, `state-${['a', 'b'][loser]}`, 'runs', 'app', '1.json'), 'utf8'));
  const waitStep = loserRun.stages.flatMap((s: { steps: Array<{ name: string; status: string }> }) => s.steps).find((s: { name: string }) => s.name.startsWith('web1: waiting for the deploy lock held by '));
  assert.ok(waitStep, 'the other one waited, as a step');
  assert.match(waitStep.name, new RegExp(`held by state=${ids[winner]} run=app#1 `));
  assert.equal(waitStep.status, 'passed');
  assert.equal(loserRun.status, 'deployed');
  assert.ok(!existsSync(lock), 'no lock left behind');
});

test('a step longer than lockTimeout keeps its lock: it is refreshed while the step runs, so another slipway waits', { timeout: 120_000 }, async () => {
  // Both installations judge another's lock stale after 3 s; the first deploy's step takes 8 s.
  for (const name of ['a', 'b']) {
    const file = join(work, name, 'pipelines', 'app.yaml');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('steps: [./gate.sh]', 'steps: [./gate.sh, "sleep 8"]').replace('lockWait: 2m', 'lockWait: 2m, lockTimeout: 3s'));
  }
  await repo.commit({ CHANGES: 'v2\n' }, 'v2');
  await writeFile(join(host.root, 'gate-on'), '');
  const first = runSlipway(['once', '--config', join(work, 'a')]);
  await waitFor(() => existsSync(join(host.root, 'at-gate')), { timeoutMs: 90_000, what: 'a inside the lock' });
  await rm(join(host.root, 'gate-on'));
  await writeFile(join(host.root, 'go'), '');
  // a is now in its 8 s step, holding the lock; b arrives and must wait for it, not take it over.
  const second = runSlipway(['once', '--config', join(work, 'b')]);
  const [ra, rb] = await Promise.all([first, second]);
  assert.equal(ra.code, 0, ra.stdout + ra.stderr);
  assert.equal(rb.code, 0, rb.stdout + rb.stderr);
  const bRun = JSON.parse(await readFile(join(work, 'state-b', 'runs', 'app', '2.json'), 'utf8'));
  const bLog = await readFile(join(work, 'state-b', 'logs', 'app', '2', 'production-web1-connect.log'), 'utf8');
  assert.doesNotMatch(bLog, /took over/, 'the live lock was not taken for stale');
  assert.ok(bRun.stages.some((st: { steps: Array<{ name: string }> }) => st.steps.some((x) => x.name.startsWith('web1: waiting for the deploy lock held by state='))), 'b waited for a');
});
