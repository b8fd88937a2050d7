// `slipway run` as a child process against the test git server and a real sshd host, driven by
// webhooks (its cron is yearly, so every poll after the first is one the test asked for): pushes
// deployed without a command, forged webhooks refused, three quick pushes coalescing, a failure
// then a recovery told to a notification receiver, trigger through the inbox, SIGHUP with a broken
// config, and SIGTERM during a step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appHealth, freePort, stopApp } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';
import { signWebhook } from '../../src/daemon/webhook-signature.ts';
import { readRunFiles, startDaemon, unparsableStateFiles, type Daemon } from './daemon-process.ts';
import { daemonAppFiles } from './fixture.ts';

const SECRET = 'hook-5e3c1a9f7d2b';
let server: GitServer;
let repo: TestRepo;
let host: TestHost;
let work: string;
let configDir: string;
let stateDir: string;
let gate: string;
let appPort: number;
let httpPort: number;
let receiver: Server;
const received: Array<{ event: string; run: number; text: string }> = [];
let daemon: Daemon;
const deployPath = () => join(host.root, 'app');

function pipelineYaml(extra = ''): string {
  return `repo: ${repo.url}\npoll: "0 0 1 1 *"\ntest: [./test.sh]\ndeploy: { path: ${deployPath()}, restart: ./restart.sh, healthCheck: { command: node health.js, timeout: 20s, interval: 200ms } }\nenvironments: [{ name: production, hosts: [web1] }]\n${extra}`;
}

async function hook(forge: 'github' | 'gitea' | 'gitlab', opts: { secret?: string } = {}): Promise<number> {
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  const r = await fetch(`http://127.0.0.1:${httpPort}/hooks/app`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signWebhook(forge, body, opts.secret ?? SECRET) },
    body,
  });
  return r.status;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-daemon-'));
  gate = join(work, 'gate');
  await mkdir(gate);
  server = await startGitServer();
  repo = await createRepo(server, 'app', daemonAppFiles, { message: 'v1' });
  const keys = await createTestKeys();
  host = await startTestHost(keys, { name: 'web1' });
  [appPort, httpPort] = [await freePort(), await freePort()];
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const rport = (receiver.address() as { port: number }).port;
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  await writeConfigFolder(configDir, {
    // sandbox: none: the test step's gate (TEST_GATE_DIR) lives outside any sandbox's reach.
    'slipway.yaml': `stateDir: ../state\nsandbox: none\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\nserver: { listen: "127.0.0.1:${httpPort}", webhookSecret: "\${env:HOOK_SECRET}" }\nnotify: [{ webhook: "http://127.0.0.1:${rport}/notify", on: [failure, recovery, deployed] }]\n`,
    'hosts.yaml': `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user}, env: { PORT: "${appPort}" } }\n`,
    'pipelines/app.yaml': pipelineYaml(),
  });
  daemon = startDaemon(configDir, { env: { HOOK_SECRET: SECRET, TEST_GATE_DIR: gate }, args: ['--grace', '1s'] });
});

after(async () => {
  await writeFile(join(gate, 'go'), '').catch(() => undefined);
  await daemon?.stop('SIGKILL');
  await stopApp(deployPath());
  await new Promise<void>((r) => receiver?.close(() => r()));
  await host?.stop();
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

test('the first poll deploys the branch head; a signed push webhook deploys the next commit', async () => {
  await waitFor(async () => (await appHealth(appPort)) === repo.head, { timeoutMs: 60_000, what: 'v1 deployed' });
  assert.match(daemon.log(), /^<5>slipway run: 1 pipeline/m, 'journald priority prefixes when stdout is a pipe');
  const v2 = await repo.commit({ CHANGELOG: 'v2\n' }, 'v2');
  assert.equal(await hook('github'), 202);
  await waitFor(async () => (await appHealth(appPort)) === v2, { timeoutMs: 60_000, what: 'v2 deployed' });
  const health = await (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).json() as { ok: boolean; pipelines: number };
  assert.deepEqual([health.ok, health.pipelines], [true, 1]);
  const page = await fetch(`http://127.0.0.1:${httpPort}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  assert.equal((await fetch(`http://127.0.0.1:${httpPort}/`, { method: 'POST' })).status, 405, 'the report is read-only');
});

test('a forged webhook is refused with 401 and triggers nothing; an oversized body gets 413', async () => {
  const before = (await readRunFiles(stateDir, 'app')).length;
  const v3 = await repo.commit({ CHANGELOG: 'v3\n' }, 'v3');
  assert.equal(await hook('github', { secret: 'not-the-secret' }), 401);
  assert.equal(await hook('gitea', { secret: 'not-the-secret' }), 401);
  assert.equal(await hook('gitlab', { secret: 'not-the-secret' }), 401);
  const big = await fetch(`http://127.0.0.1:${httpPort}/hooks/app`, { method: 'POST', body: Buffer.alloc(1024 * 1024 + 1) }).catch(() => undefined);
  assert.ok(big === undefined || big.status === 413, `413, got ${big?.status}`);
  assert.equal((await readRunFiles(stateDir, 'app')).length, before, 'no run from forged hooks');
  assert.match(daemon.log(), /<4>http: hook for "app" refused: missing or wrong signature/);
  assert.equal(await hook('gitlab'), 202);
  await waitFor(async () => (await appHealth(appPort)) === v3, { timeoutMs: 60_000, what: 'v3 deployed' });
  assert.equal((await readRunFiles(stateDir, 'app')).length, before + 1);
});

test('three quick pushes while a run is busy coalesce to the newest; the older ones are superseded', async () => {
  const held = await repo.commit({ hold: 'x\n' }, 'held at the gate');
  assert.equal(await hook('gitea'), 202);
  await waitFor(() => existsSync(join(gate, 'at-gate')), { timeoutMs: 60_000, what: 'the held run at its gate' });
  const shas: string[] = [];
  for (const n of [1, 2, 3]) {
    shas.push(await repo.commit(n === 3 ? { hold: null, [`quick${n}`]: `${n}\n` } : { [`quick${n}`]: `${n}\n` }, `quick ${n}`));
    assert.equal(await hook('github'), 202);
    await daemon.waitLog(new RegExp(`app: new commit ${shas.at(-1)!.slice(0, 7)}`), `poll of quick ${n}`);
  }
  await writeFile(join(gate, 'go'), '');
  await waitFor(async () => (await appHealth(appPort)) === shas[2], { timeoutMs: 60_000, what: 'the newest push deployed' });
  await waitFor(async () => (await readRunFiles(stateDir, 'app')).every((r) => !['queued', 'running'].includes(r.status)), { timeoutMs: 30_000, what: 'runs ended' });
  const byCommit = new Map((await readRunFiles(stateDir, 'app')).map((r) => [r.commit.id, r]));
  assert.equal(byCommit.get(held)?.status, 'deployed');
  assert.equal(byCommit.get(shas[0]!)?.status, 'superseded');
  assert.equal(byCommit.get(shas[1]!)?.status, 'superseded');
  assert.match(byCommit.get(shas[1]!)?.error ?? '', new RegExp(`superseded by commit ${shas[2]!.slice(0, 7)}`));
  assert.equal(byCommit.get(shas[2]!)?.status, 'deployed');
});

test('a notification receiver on loopback hears of a failure, then of the recovery', async () => {
  const start = received.length;
  await repo.commit({ fail: 'yes\n' }, 'broken tests');
  assert.equal(await hook('github'), 202);
  await waitFor(() => received.slice(start).some((m) => m.event === 'failure'), { timeoutMs: 60_000, what: 'a failure notification' });
  const fixed = await repo.commit({ fail: null }, 'fixed');
  assert.equal(await hook('github'), 202);
  await waitFor(() => received.slice(start).some((m) => m.event === 'recovery'), { timeoutMs: 60_000, what: 'a recovery notification' });
  const events = received.slice(start).map((m) => m.event);
  assert.ok(events.indexOf('failure') < events.indexOf('recovery'), events.join(','));
  assert.match(received.find((m) => m.event === 'failure')!.text, /^FAILED: app #\d+ \([0-9a-f]{7} broken tests\): tests failed/);
  assert.equal(await appHealth(appPort), fixed);
  assert.ok(!JSON.stringify(received).includes(SECRET));
});

test('slipway trigger hands the request to the running daemon and prints its progress and result', async () => {
  // The head already ran: a plain trigger says so and starts nothing (one run per commit).
  const again = await runSlipway(['trigger', 'app', '--config', configDir], { env: { HOOK_SECRET: SECRET } });
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stderr, /nothing to run: [0-9a-f]{7} already ran in run #\d+ \(deployed\); to run it again: slipway trigger app --commit/);
  const before = (await readRunFiles(stateDir, 'app')).length;
  const r = await runSlipway(['trigger', 'app', '--commit', repo.head, '--config', configDir], { env: { HOOK_SECRET: SECRET } });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /app: trigger handed to the running daemon \(pid \d+\)/);
  assert.match(r.stdout, /app #\d+ web1: health check ok \(\d+\.\ds\)/, 'the steps print as they happen');
  assert.match(r.stdout, /^app #\d+: deployed$/m);
  const runs = await readRunFiles(stateDir, 'app');
  assert.equal(runs.length, before + 1);
  assert.equal(runs.at(-1)!.trigger, 'trigger');
  assert.equal(runs.at(-1)!.status, 'deployed');
});

test('deploy, rollback and report work while the daemon runs: handed over, followed, with the exit code of the outcome', async () => {
  const runs = await readRunFiles(stateDir, 'app');
  const older = runs.find((r) => r.status === 'deployed' && r.commit.id !== repo.head)!.commit.id;
  const d = await runSlipway(['deploy', 'app', '--env', 'production', '--commit', older, '--config', configDir], { env: { HOOK_SECRET: SECRET } });
  assert.equal(d.code, 0, d.stdout + d.stderr);
  assert.match(d.stdout, /app: deploy to production handed to the running daemon \(pid \d+\)/);
  assert.match(d.stdout, /app #\d+ tested in run #\d+ ok/);
  assert.match(d.stdout, /^app #\d+: deployed$/m);
  assert.equal(await appHealth(appPort), older);
  const rb = await runSlipway(['rollback', 'app', '--env', 'production', '--config', configDir], { env: { HOOK_SECRET: SECRET } });
  assert.equal(rb.code, 0, rb.stdout + rb.stderr);
  assert.match(rb.stdout, /app: rollback of production handed to the running daemon/);
  assert.equal(await appHealth(appPort), repo.head);
  const refused = await runSlipway(['deploy', 'app', '--env', 'production', '--commit', 'ffffffff', '--config', configDir], { env: { HOOK_SECRET: SECRET } });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /slipway: /);
  const rep = await runSlipway(['report', '--config', configDir], { env: { HOOK_SECRET: SECRET } });
  assert.equal(rep.code, 0, rep.stdout + rep.stderr);
  assert.match(rep.stdout, /report written: .*index\.html/);
  assert.match(daemon.log(), /inbox: deploy of app to production by /);
});

test('SIGHUP with a broken config logs located errors and keeps the running config', async () => {
  const file = join(configDir, 'pipelines', 'app.yaml');
  const good = await readFile(file, 'utf8');
  await writeFile(file, `${good}tset: [oops]\n`);
  daemon.child.kill('SIGHUP');
  await daemon.waitLog(/<3>config rejected \(SIGHUP\); the running config stays:\n<3>\s+\S*pipelines\/app\.yaml:6:1: .*tset/, 'the rejection');
  const health = await (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).json() as { pipelines: number };
  assert.equal(health.pipelines, 1);
  await writeFile(file, good);
  daemon.child.kill('SIGHUP');
  await daemon.waitLog(/config reloaded \(SIGHUP\) from local: 1 pipeline/, 'the reload');
});

test('SIGTERM during a step: the step is killed after the grace period, the run is interrupted, exit 0', async () => {
  await repo.commit({ hold: 'again\n' }, 'held again');
  assert.equal(await hook('github'), 202);
  await waitFor(() => existsSync(join(gate, 'at-gate')), { timeoutMs: 60_000, what: 'the held run at its gate' });
  const pid = Number((await readFile(join(gate, 'pid'), 'utf8')).trim());
  assert.equal(await daemon.stop('SIGTERM'), 0, daemon.log());
  if (process.env.SHOW_DAEMON_LOG) console.log(daemon.log().split('\n').slice(-40).join('\n'));
  assert.match(daemon.log(), /grace period over; killed 1 local command/);
  const last = (await readRunFiles(stateDir, 'app')).at(-1)!;
  assert.equal(last.status, 'interrupted');
  // Gone, or a zombie: a killed orphan is re-parented to PID 1, which in a container may never reap it.
  const state = await readFile(`/proc/${pid}/stat`, 'utf8').then((t) => t.slice(t.lastIndexOf(')') + 2, t.lastIndexOf(')') + 3), () => 'gone');
  assert.ok(state === 'gone' || state === 'Z', `the test step is gone (state ${state})`);
  assert.deepEqual(await unparsableStateFiles(stateDir), []);
  assert.ok(!existsSync(join(stateDir, 'lock')), 'the state lock is released');
});
