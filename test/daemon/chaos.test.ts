// Seeded chaos: 20 `kill -9` of `slipway run` at random points (a test step, a deploy step on the
// host, idle, a report write), a restart after each; new commits pushed now and then. Afterwards:
// every state file parses, no run is left running or queued, the host's `current` is a complete
// release, the newest commit is live within 60 s of the last restart, and no commit ran twice
// except re-runs of interrupted runs (and retries after an infrastructure failure).
// SLIPWAY_CHAOS_SEED=N replays a seed; the seed is printed either way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appFiles, appHealth, freePort, stopApp } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';
import { readRunFiles, startDaemon, unparsableStateFiles, type Daemon } from './daemon-process.ts';
import { seededRandom } from '../helpers/prng.ts';

const KILLS = 20;
const seed = Number(process.env.SLIPWAY_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: a tiny seeded PRNG, so a failing sequence of kills can be replayed. */
const prng = seededRandom;

let server: GitServer;
let repo: TestRepo;
let host: TestHost;
let work: string;
let configDir: string;
let stateDir: string;
let appPort: number;
const daemons: Daemon[] = [];
const deployPath = () => join(host.root, 'app');

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-chaos-'));
  server = await startGitServer();
  // Tests and a deploy step that take a moment each, so kills land inside them.
  repo = await createRepo(server, 'app', { ...appFiles, 'test.sh': { mode: 0o755, content: '#!/bin/sh\nsleep 0.4\necho "tests pass"\n' } }, { message: 'c0' });
  const keys = await createTestKeys();
  host = await startTestHost(keys, { name: 'web1' });
  appPort = await freePort();
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile}, connectTimeout: 5s }\n`,
    'hosts.yaml': `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user}, env: { PORT: "${appPort}" } }\n`,
    // lockTimeout stays at its 30m default: our own dead runs' locks must go at once anyway.
    'pipelines/app.yaml': `repo: ${repo.url}\npoll: "* * * * * *"\ntest: [./test.sh]\ndeploy: { path: ${deployPath()}, steps: ["sleep 0.4"], restart: ./restart.sh, lockWait: 20s, healthCheck: { command: node health.js, timeout: 15s, interval: 200ms } }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
  });
});

after(async () => {
  for (const d of daemons) await d.stop('SIGKILL');
  if (host) await stopApp(deployPath());
  await host?.stop();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const start = (): Daemon => {
  const d = startDaemon(configDir, { args: ['--grace', '2s'] });
  daemons.push(d);
  return d;
};

/** A condition, or the deadline: either way the kill comes (chaos, not synchronisation). */
async function until(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  return waitFor(check, { timeoutMs: ms, what: 'a kill point', intervalMs: 20 }).then(
    () => true,
    () => false,
  );
}

const anyStep = async (pred: (s: { status: string; id: string }) => boolean): Promise<boolean> =>
  (await readRunFiles(stateDir, 'app').catch(() => [])).some((r) => r.status === 'running' && r.stages.some((st) => st.steps.some(pred)));

test(`${KILLS} kill -9 at random points, then the newest commit goes live and the state is whole`, { timeout: 240_000 }, async (t) => {
  t.diagnostic(`chaos seed: ${seed} (replay with SLIPWAY_CHAOS_SEED=${seed})`);
  console.log(`chaos seed: ${seed}`);
  const rand = prng(seed);
  const points: string[] = [];
  for (let i = 0; i < KILLS; i++) {
    const point = (['idle', 'test', 'deploy', 'report'] as const)[Math.floor(rand() * 4)]!;
    if (point !== 'idle' && (i === 0 || rand() < 0.5)) await repo.commit({ CHANGELOG: `c${i + 1}\n` }, `c${i + 1}`);
    const d = start();
    const wwwIndex = join(stateDir, 'www', 'index.html');
    const before = await stat(wwwIndex).then((s) => s.mtimeMs, () => 0);
    let landed = false;
    if (point === 'idle') landed = await until(() => /slipway run: 1 pipeline/.test(d.log()), 15_000);
    if (point === 'test') landed = await until(() => anyStep((s) => s.id.startsWith('test-') && s.status === 'running'), 10_000);
    if (point === 'deploy') landed = await until(() => anyStep((s) => /^production-web1-(step-1|restart|health|switch)/.test(s.id) && s.status === 'running'), 15_000);
    if (point === 'report') landed = await until(async () => (await stat(wwwIndex).then((s) => s.mtimeMs, () => 0)) > before, 10_000);
    await new Promise((r) => setTimeout(r, Math.floor(rand() * 150)));
    d.child.kill('SIGKILL');
    await d.exited;
    points.push(`${point}${landed ? '' : '(missed)'}`);
    assert.deepEqual(await unparsableStateFiles(stateDir), [], `after kill ${i + 1} (${point}) every state file parses`);
  }
  t.diagnostic(`kill points: ${points.join(', ')}`);

  const newest = repo.head;
  const restarted = Date.now();
  const d = start();
  await waitFor(async () => (await appHealth(appPort)) === newest, { timeoutMs: 60_000, what: `the newest commit ${newest.slice(0, 7)} live within 60 s of the last restart (seed ${seed}); log:\n${d.log().slice(-3000)}` });
  t.diagnostic(`newest commit live ${((Date.now() - restarted) / 1000).toFixed(1)} s after the last restart`);
  await waitFor(async () => (await readRunFiles(stateDir, 'app')).every((r) => r.status !== 'running' && r.status !== 'queued'), { timeoutMs: 30_000, what: 'every run ended' });
  assert.equal(await d.stop('SIGTERM'), 0, d.log().slice(-2000));

  assert.deepEqual(await unparsableStateFiles(stateDir), []);
  const runs = await readRunFiles(stateDir, 'app');
  assert.deepEqual(runs.filter((r) => r.status === 'running' || r.status === 'queued').map((r) => r.number), [], 'no run left running or queued');
  // The host runs a complete release: `current` names a release folder with its REVISION and files.
  const current = await readlink(join(deployPath(), 'current'));
  assert.match(current, /^releases\/\d{14}-[0-9a-f]{7}$/);
  assert.equal((await readFile(join(deployPath(), current, 'REVISION'), 'utf8')).trim(), newest);
  assert.ok(existsSync(join(deployPath(), current, 'server.js')));
  assert.ok(!existsSync(join(deployPath(), '.slipway-lock')), 'no deploy lock left on the host');
  // One run per commit, besides re-runs of interrupted runs and retries after an infrastructure failure.
  const byCommit = new Map<string, typeof runs>();
  for (const r of runs) byCommit.set(r.commit.id, [...(byCommit.get(r.commit.id) ?? []), r]);
  for (const [commit, list] of byCommit) {
    const firsts = list.filter((r, i) => r.trigger !== 'recovery' && !(i > 0 && list[i - 1]!.status === 'failed' && (list[i - 1] as { cause?: string }).cause === 'infrastructure'));
    assert.ok(firsts.length <= 1, `${commit.slice(0, 7)} ran more than once (seed ${seed}): ${JSON.stringify(list.map((r) => [r.number, r.trigger, r.status]))}`);
    const reruns = list.filter((r) => r.trigger === 'recovery').length;
    assert.ok(reruns <= list.filter((r) => r.status === 'interrupted').length, `${commit.slice(0, 7)}: one re-run per interrupted run (seed ${seed})`);
  }
});
