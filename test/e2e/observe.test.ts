// GitOps truth on real parts (issue 12): the daemon observes five real OpenSSH hosts every
// second; each case breaks a host for real (a hand-switched `current`, a killed app, a deleted
// release, a stopped sshd, a restart that fails) and waits on the state the daemon records.
// The cases run side by side, each on its own pipeline and deploy path.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, mkdir, readFile, readlink, rm, symlink, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appFiles, freePort, stopApp } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';
import { readRunFiles, startDaemon, type Daemon } from '../daemon/daemon-process.ts';

let server: GitServer;
let repo: TestRepo;
let raceRepo: TestRepo;
let hosts: Record<string, TestHost>;
let work: string;
let configDir: string;
let stateDir: string;
let daemon: Daemon;
let receiver: Server;
const received: Array<Record<string, unknown>> = [];
let appPort: number;

const cli = (...args: string[]) => runSlipway([...args, '--config', configDir]);
const readJson = async (p: string) => JSON.parse(await readFile(p, 'utf8'));
const other = 'b'.repeat(40);
const FAKE = '20200101000000-bbbbbbb';

interface Sync { sync: string; reasons: string[]; since: string; observedAt: string; drifted: number; history: Array<{ sync: string }>; heal?: { failures: number; stopped?: string } }
async function syncOf(host: string, path: string): Promise<Sync | undefined> {
  const hs = await readJson(join(stateDir, 'hosts', `${host}.json`)).catch(() => undefined);
  return hs?.sync?.[path];
}
const pathOf = (host: string, dir: string) => join(hosts[host]!.root, dir);
const deployPath = (dir: string) => `~/${dir}`;
async function waitSync(host: string, dir: string, want: string | ((s: Sync) => boolean), what: string, timeoutMs = 60_000): Promise<Sync> {
  let last: Sync | undefined;
  await withLog(() =>
    waitFor(async () => {
      last = await syncOf(host, deployPath(dir));
      return !!last && (typeof want === 'string' ? last.sync === want : want(last));
    }, { timeoutMs, what }),
    () => `last: ${JSON.stringify(last)}`,
  );
  return last!;
}
/** A timed-out wait says what the state and the daemon's log were when it gave up. */
async function withLog(wait: () => Promise<void>, state: () => string = () => ''): Promise<void> {
  try {
    await wait();
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)} ${state()}; daemon log:\n${daemon?.log().slice(-4000)}`);
  }
}
async function desiredOf(pipeline: string): Promise<{ commit: string; release: string }> {
  return (await readJson(join(stateDir, 'pipelines', `${pipeline}.json`))).environments.production;
}
/** A release folder of another commit, made by hand, and `current` switched to it by hand (atomically, as ln -sfn + mv would). */
async function handSwitch(root: string): Promise<void> {
  await mkdir(join(root, 'releases', FAKE), { recursive: true });
  await writeFile(join(root, 'releases', FAKE, 'REVISION'), `${other}\n`);
  await symlink(`releases/${FAKE}`, join(root, 'current.hand'));
  await rename(join(root, 'current.hand'), join(root, 'current'));
}
const healRuns = async (pipeline: string) => (await readRunFiles(stateDir, pipeline)).filter((r) => r.trigger === 'heal');

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-e2e-observe-'));
  server = await startGitServer();
  repo = await createRepo(server, 'app', appFiles, { message: 'v1' });
  raceRepo = await createRepo(server, 'race', appFiles, { message: 'race v1' });
  const keys = await createTestKeys();
  const names = ['web1', 'web2', 'web3', 'web4', 'web5'];
  const started = await Promise.all(names.map((name) => startTestHost(keys, { name })));
  hosts = Object.fromEntries(started.map((h) => [h.name, h]));
  appPort = await freePort();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const rport = (receiver.address() as { port: number }).port;
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  const env = (heal: boolean) => `{ name: production, hosts: [HOST]${heal ? ', selfHeal: true' : ''} }`;
  const pipeline = (url: string, dir: string, host: string, heal: boolean, extra = '') =>
    `repo: ${url}\npoll: "0 0 1 1 *"\nobserve: 1s\ntest: []\ndeploy: { path: ~/${dir}${extra} }\nenvironments: [${env(heal).replace('HOST', host)}]\n`;
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nconcurrency: 6\nsandbox: none\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile}, connectTimeout: 2s }\nnotify: [{ webhook: "http://127.0.0.1:${rport}/n", on: [drift, synced, heal-failed] }]\n`,
    'hosts.yaml': names.map((n) => `${n}: { address: 127.0.0.1, port: ${hosts[n]!.port}, user: ${hosts[n]!.user}${n === 'web3' ? `, env: { PORT: "${appPort}" }` : ''} }\n`).join(''),
    'pipelines/left.yaml': pipeline(repo.url, 'left', 'web1', false),
    'pipelines/heal.yaml': pipeline(repo.url, 'heal', 'web2', true),
    'pipelines/deg.yaml': pipeline(repo.url, 'deg', 'web3', true, ', restart: ./restart.sh, healthCheck: { command: node health.js, timeout: 10s, interval: 200ms }'),
    'pipelines/race.yaml': pipeline(raceRepo.url, 'race', 'web4', true, ', steps: [./gate.sh]'),
    'pipelines/down.yaml': pipeline(repo.url, 'down', 'web5', true),
    'pipelines/files.yaml': pipeline(repo.url, 'files', 'web2', true).replace('observe: 1s', 'observe: { every: 1s, files: [~/tracked.conf, ~/absent.conf] }'),
    'pipelines/fail.yaml': pipeline(repo.url, 'fail', 'web1', true, ', restart: "test ! -e $HOME/fail-restart", healthCheck: { command: "test ! -e $HOME/fail-unhealthy", timeout: 1s, interval: 200ms }'),
  });
  await writeFile(join(hosts.web2!.root, 'tracked.conf'), 'port = 1\n');
  daemon = startDaemon(configDir);
  for (const p of ['left', 'heal', 'deg', 'race', 'down', 'fail', 'files']) {
    await withLog(() => waitFor(async () => (await readRunFiles(stateDir, p)).some((r) => r.status === 'deployed'), { timeoutMs: 120_000, what: `${p}'s first deploy` }));
  }
});

after(async () => {
  await daemon?.stop();
  await stopApp(pathOf('web3', 'deg')).catch(() => undefined);
  for (const h of Object.values(hosts ?? {})) await h.stop().catch(() => undefined);
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('observe, drift and self-heal against real hosts', { concurrency: true }, () => {
  test('hand-switched current: out-of-sync within one observation; left alone without selfHeal; observe and status say so', async () => {
    await waitSync('web1', 'left', 'synced', 'left synced after its deploy');
    const desired = await desiredOf('left');
    const root = pathOf('web1', 'left');
    const before = Date.now();
    await handSwitch(root);
    const s = await waitSync('web1', 'left', 'out-of-sync', 'the hand switch seen');
    assert.ok(Date.parse(s.since) >= before - 1000);
    assert.deepEqual(s.reasons, [`current is ${FAKE} (bbbbbbb), git says ${desired.commit.slice(0, 7)}`]);

    // slipway observe beside the daemon: its own read, nothing written, exit 1.
    const o = await cli('observe', 'left', '--json');
    assert.equal(o.code, 1, o.stderr);
    const seen = JSON.parse(o.stdout);
    assert.equal(seen.recorded, false);
    assert.equal(seen.hosts[0].sync, 'out-of-sync');
    assert.deepEqual(seen.hosts[0].reasons, s.reasons);
    const plain = await cli('observe', 'left');
    assert.match(plain.stdout, /left\/production web1: out-of-sync/);
    assert.match(plain.stdout, /observed read-only, nothing recorded/);

    const st = JSON.parse((await cli('status', '--json')).stdout);
    const h = st.pipelines.find((p: { name: string }) => p.name === 'left').environments[0].hosts[0];
    assert.equal(h.sync, 'out-of-sync');
    assert.deepEqual(h.reasons, s.reasons);
    assert.equal(h.since, s.since);
    assert.ok(h.observedAt);

    // Several more observations: never healed (selfHeal is off).
    await waitSync('web1', 'left', (x) => x.drifted >= 4, 'four drifted observations');
    assert.equal(await readlink(join(root, 'current')), `releases/${FAKE}`);
    assert.deepEqual(await healRuns('left'), []);
    assert.ok(received.some((n) => n.event === 'drift' && n.pipeline === 'left' && n.host === 'web1'), JSON.stringify(received));

    // Put back by hand: synced again, and told.
    await symlink(`releases/${desired.release}`, join(root, 'current.back'));
    await rename(join(root, 'current.back'), join(root, 'current'));
    const back = await waitSync('web1', 'left', 'synced', 'synced after the hand fix');
    assert.deepEqual(back.history.map((x) => x.sync).slice(-3), ['synced', 'out-of-sync', 'synced']);
    await waitFor(() => received.some((n) => n.event === 'synced' && n.pipeline === 'left'), { timeoutMs: 10_000, what: 'the synced notification' });
  });

  test('selfHeal: a hand-switched current is switched back; a deleted release is redeployed', async () => {
    await waitSync('web2', 'heal', 'synced', 'heal synced after its deploy');
    const desired = await desiredOf('heal');
    const root = pathOf('web2', 'heal');
    await handSwitch(root);
    await withLog(() => waitFor(async () => (await healRuns('heal')).some((r) => r.status === 'deployed'), { timeoutMs: 60_000, what: 'a heal run' }));
    assert.equal(await readlink(join(root, 'current')), `releases/${desired.release}`, 'switched back to the desired release');
    await waitSync('web2', 'heal', 'synced', 'synced after the heal');
    const [heal] = await healRuns('heal');
    assert.equal(heal!.commit.id, desired.commit);
    assert.equal(heal!.stages[0]!.name, 'deploy:production');
    const audit = await readFile(join(stateDir, 'audit.jsonl'), 'utf8').catch(async () => '');
    assert.match(audit, /"action":"heal"/);

    // The desired release deleted: current dangles; a heal redeploys the commit as a new release.
    await rm(join(root, 'releases', desired.release), { recursive: true, force: true });
    await withLog(() => waitFor(async () => (await healRuns('heal')).filter((r) => r.status === 'deployed').length >= 2, { timeoutMs: 90_000, what: 'a second heal run' }));
    const now = await readlink(join(root, 'current'));
    assert.notEqual(now, `releases/${desired.release}`);
    assert.equal((await readFile(join(root, 'current', 'REVISION'), 'utf8')).trim(), desired.commit);
    await waitSync('web2', 'heal', 'synced', 'synced after the redeploy');
  });

  test('a killed app: degraded, then restarted by self-heal', async () => {
    await waitSync('web3', 'deg', 'synced', 'deg synced after its deploy');
    await stopApp(pathOf('web3', 'deg'));
    const s = await waitSync('web3', 'deg', 'degraded', 'the dead app seen');
    assert.match(s.reasons[0]!, /^health check failed: exit 1/);
    await waitFor(async () => (await healRuns('deg')).some((r) => r.status === 'deployed'), { timeoutMs: 60_000, what: 'a restart heal' });
    const healed = await waitSync('web3', 'deg', 'synced', 'healthy after the restart');
    assert.ok(healed.history.some((h) => h.sync === 'degraded'));
  });

  test('a host down: unknown, never healed', async () => {
    await waitSync('web5', 'down', 'synced', 'down synced after its deploy');
    await hosts.web5!.stop();
    const s = await waitSync('web5', 'down', 'unknown', 'the stopped host seen');
    assert.match(s.reasons[0]!, /^cannot read the host: /);
    await waitFor(async () => ((await syncOf('web5', '~/down'))?.history.length ?? 0) >= 2 && Date.now() - Date.parse(s.since) > 3000, { timeoutMs: 20_000, what: 'three more seconds of observations' });
    assert.deepEqual(await healRuns('down'), []);
  });

  test('a heal never races a deploy: no observation and no heal while the deploy runs', async () => {
    await waitSync('web4', 'race', 'synced', 'race synced after its deploy');
    const home = hosts.web4!.root;
    await writeFile(join(home, 'gate-on'), '');
    await raceRepo.commit({ 'v2.txt': 'two' }, 'race v2');
    const trig = cli('trigger', 'race');
    await waitFor(() => existsSync(join(home, 'at-gate')), { timeoutMs: 60_000, what: 'the deploy at its gate' });
    // The host drifts in the middle of the deploy.
    await handSwitch(pathOf('web4', 'race'));
    const skipped = () => daemon.log().split('\n').filter((l) => l.includes('race/production: observation skipped')).length;
    const at = skipped();
    await waitFor(() => skipped() >= at + 3, { timeoutMs: 20_000, what: 'three observations skipped while the deploy runs' });
    assert.deepEqual(await healRuns('race'), []);
    await writeFile(join(home, 'go'), '');
    assert.equal((await trig).code, 0);
    const s = await waitSync('web4', 'race', (x) => x.sync === 'synced' && Date.parse(x.observedAt) > Date.now() - 5000, 'synced on the new commit');
    assert.equal((await desiredOf('race')).commit, raceRepo.head);
    assert.ok(s);
    assert.deepEqual(await healRuns('race'), [], 'the deploy itself put the host right');
  });

  test('observe.files: a tracked file changed by hand is out-of-sync, reported, never healed', async () => {
    await waitSync('web2', 'files', 'synced', 'files synced after its deploy');
    await writeFile(join(hosts.web2!.root, 'tracked.conf'), 'port = 2\n');
    const s = await waitSync('web2', 'files', 'out-of-sync', 'the changed file seen');
    assert.equal(s.reasons.length, 1);
    assert.match(s.reasons[0]!, /^~\/tracked\.conf changed since the deploy \(sha256 [0-9a-f]{12}, was [0-9a-f]{12}\)$/);
    await waitSync('web2', 'files', (x) => x.drifted >= 4, 'four drifted observations');
    assert.deepEqual(await healRuns('files'), [], 'slipway cannot know what the file should contain');
    await writeFile(join(hosts.web2!.root, 'tracked.conf'), 'port = 1\n');
    await waitSync('web2', 'files', 'synced', 'synced once the file is as it was');
  });

  test('a heal that fails twice for the same drift stops, notifies heal-failed and shows it', async () => {
    await waitSync('web1', 'fail', 'synced', 'fail synced after its deploy');
    const home = hosts.web1!.root;
    await writeFile(join(home, 'fail-restart'), '');
    await writeFile(join(home, 'fail-unhealthy'), '');
    await withLog(() => waitFor(() => received.some((n) => n.event === 'heal-failed' && n.pipeline === 'fail'), { timeoutMs: 90_000, what: 'heal-failed' }));
    const runs = await healRuns('fail');
    assert.equal(runs.length, 2);
    assert.ok(runs.every((r) => r.status === 'failed'));
    const s = (await syncOf('web1', '~/fail'))!;
    assert.equal(s.sync, 'degraded');
    assert.equal(s.heal?.failures, 2);
    assert.ok(s.heal?.stopped);
    const note = received.find((n) => n.event === 'heal-failed')!;
    assert.match(String(note.text), /self-heal stopped after 2 failed heals/);
    const st = await cli('status');
    assert.match(st.stdout, /self-heal stopped after 2 failed heals: health check failed: exit 1/);
    // Stopped: more observations, no third heal.
    await waitSync('web1', 'fail', (x) => x.drifted >= 3, 'three more drifted observations');
    assert.equal((await healRuns('fail')).length, 2);
  });
});
