// The whole loop on real parts: git over smart HTTP (git http-backend), the CLI as a child
// process, real OpenSSH sshd hosts on 127.0.0.1, a real app started by the deploy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readlink, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost, type TestKeys } from '../helpers/ssh-host.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appFiles, appHealth, freePort, stopApp } from '../helpers/fixture-app.ts';

let server: GitServer;
let repo: TestRepo;
let keys: TestKeys;
let web1: TestHost;
let web2: TestHost;
let work: string;
let configDir: string;
let stateDir: string;
let ports: { web1: number; web2: number };
const paths = () => ({ web1: join(web1.root, 'app'), web2: join(web2.root, 'app') });

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-e2e-'));
  server = await startGitServer();
  repo = await createRepo(server, 'app', appFiles, { message: 'first version' });
  keys = await createTestKeys();
  web1 = await startTestHost(keys, { name: 'web1' });
  web2 = await startTestHost(keys, { name: 'web2' });
  ports = { web1: await freePort(), web2: await freePort() };
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile}, connectTimeout: 5s }\nreport: { title: "e2e deploys" }\n`,
    'hosts.yaml': [
      `web1: { address: 127.0.0.1, port: ${web1.port}, user: ${web1.user}, env: { PORT: "${ports.web1}" } }`,
      `web2: { address: 127.0.0.1, port: ${web2.port}, user: ${web2.user}, env: { PORT: "${ports.web2}" } }`,
    ].join('\n') + '\n',
    // Both test hosts share this machine's filesystem, so each environment gets its own path.
    'pipelines/app.yaml': `repo: ${repo.url}
branch: main
test: [./test.sh]
timeout: 2m
deploy:
  path: /unused
  restart: ./restart.sh
  healthCheck: { command: node health.js, timeout: 6s, interval: 200ms }
  keepReleases: 3
environments:
  - { name: staging, hosts: [web1], deploy: { path: ${paths().web1} } }
  - { name: production, hosts: [web2], deploy: { path: ${paths().web2} } }
`,
  });
});

after(async () => {
  if (web1) await stopApp(paths().web1);
  if (web2) await stopApp(paths().web2);
  await web1?.stop();
  await web2?.stop();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const once = () => runSlipway(['once', '--config', configDir]);
const readJson = async (p: string) => JSON.parse(await readFile(p, 'utf8'));

test('validate accepts the config', async () => {
  const r = await runSlipway(['validate', '--config', configDir]);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout.trim(), 'config OK: 1 pipeline, 2 hosts\nsandbox: bwrap (test commands see only their workspace, a private /tmp and a per-pipeline HOME)');
  assert.equal(r.code, 0);
});

test('once tests the branch head and deploys it to both environments', async () => {
  const r = await once();
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(await appHealth(ports.web1), repo.head);
  assert.equal(await appHealth(ports.web2), repo.head);
  for (const p of Object.values(paths())) {
    const link = await readlink(join(p, 'current'));
    assert.match(link, new RegExp(`^releases/\\d{14}-${repo.head.slice(0, 7)}$`));
    assert.equal((await readFile(join(p, 'current', 'REVISION'), 'utf8')).trim(), repo.head);
    assert.ok(!existsSync(join(p, 'current', '.git')), 'a release holds no .git');
    assert.match(await readFile(join(p, 'revisions.log'), 'utf8'), new RegExp(repo.head));
  }
  const run = await readJson(join(stateDir, 'runs', 'app', '1.json'));
  assert.equal(run.version, 1);
  assert.equal(run.status, 'deployed');
  assert.equal(run.commit.id, repo.head);
  assert.equal(run.commit.message, 'first version\n');
  assert.deepEqual(run.stages.map((s: { name: string; status: string }) => `${s.name}=${s.status}`), ['test=passed', 'deploy:staging=passed', 'deploy:production=passed']);
  const pipeline = await readJson(join(stateDir, 'pipelines', 'app.json'));
  assert.equal(pipeline.environments.staging.commit, repo.head);
  assert.equal(pipeline.environments.production.commit, repo.head);
  const host = await readJson(join(stateDir, 'hosts', 'web1.json'));
  assert.equal(host.pipelines.app.current.commit, repo.head);
  assert.match(await readFile(join(stateDir, 'logs', 'app', '1', 'test-1.log'), 'utf8'), /tests pass/);
  const index = await readFile(join(stateDir, 'www', 'index.html'), 'utf8');
  assert.match(index, new RegExp(repo.head.slice(0, 7)));
  const status = await runSlipway(['status', '--config', configDir]);
  assert.equal(status.code, 0);
  assert.match(status.stdout, new RegExp(`web2 127\\.0\\.0\\.1: ${repo.head.slice(0, 7)}`));
  // --live asks the hosts themselves (one SSH command each) and agrees with the state.
  const live = await runSlipway(['status', '--live', '--config', configDir]);
  assert.equal(live.code, 0, live.stderr);
  assert.match(live.stdout, new RegExp(`web1 127\\.0\\.0\\.1: ${repo.head.slice(0, 7)} \\d{14}-${repo.head.slice(0, 7)}\\n`));
  assert.doesNotMatch(live.stdout, /differs|live:/);
  assert.match(status.stdout, /since \d{4}-\d\d-\d\d \d\d:\d\d UTC \(just now\)/, 'human times');
});

test('status --live exits 1 when a host runs another commit than its environment (for monitoring)', async () => {
  const current = join(paths().web2, 'current');
  const was = await readlink(current);
  await symlink('releases/elsewhere', `${current}.tmp`);
  await rename(`${current}.tmp`, current);
  try {
    const live = await runSlipway(['status', '--live', '--config', configDir]);
    assert.equal(live.code, 1, live.stdout + live.stderr);
    assert.match(live.stdout, /web2 127\.0\.0\.1: .*\(differs from the environment\)/);
    const json = await runSlipway(['status', '--live', '--json', '--config', configDir]);
    assert.equal(json.code, 1);
  } finally {
    await symlink(was, `${current}.tmp`);
    await rename(`${current}.tmp`, current);
  }
  assert.equal((await runSlipway(['status', '--live', '--config', configDir])).code, 0);
});

test('a second once with no new commit does nothing and says so', async () => {
  const r = await once();
  assert.equal(r.code, 0);
  assert.match(r.stdout, /app: no new commit/);
  assert.deepEqual(await readdir(join(stateDir, 'runs', 'app')), ['1.json']);
});

test('a commit whose tests fail deploys nothing and exits 1', async () => {
  const good = repo.head;
  const bad = await repo.commit({ 'test.sh': { mode: 0o755, content: '#!/bin/sh\necho "assertion failed: 2 != 3"\nexit 3\n' } }, 'break the tests');
  const r = await runSlipway(['once', '--follow', '--config', configDir]);
  // --follow without a terminal: the step's output as plain lines, prefixed with the step.
  assert.match(r.stdout, /\napp #2 \.\/test\.sh \| assertion failed: 2 != 3\n/);
  assert.doesNotMatch(r.stdout + r.stderr, /\r/, 'no carriage returns off a terminal');
  assert.equal(r.code, 1);
  const run = await readJson(join(stateDir, 'runs', 'app', '2.json'));
  assert.equal(run.status, 'failed');
  assert.equal(run.commit.id, bad);
  assert.equal(run.stages.length, 1);
  assert.match(await readFile(join(stateDir, 'logs', 'app', '2', 'test-1.log'), 'utf8'), /assertion failed: 2 != 3/);
  // The terminal shows where it failed, what the step printed last and where its whole log is,
  // then where the run page is; the run page opens on the same tail.
  // (With bwrap the log opens with the sandbox it ran in: worth seeing when a test fails there.)
  assert.match(r.stderr, /app #2: \.\/test\.sh failed: exited with code 3\n  last [34] lines of its output:\n(?:  \| sandbox: .*\n)?  \| \$ \.\/test\.sh\n  \| assertion failed: 2 != 3\n  \| slipway: exited with code 3\n  whole log: .*logs\/app\/2\/test-1\.log$/);
  assert.match(r.stdout, /app #2: failed \(tests failed\)\n  run page: .*www\/runs\/app\/2\.html$/);
  const page = await readFile(join(stateDir, 'www', 'runs', 'app', '2.html'), 'utf8');
  assert.match(page, /<section class="card failure" id="failure">\n<h2>Failed at <a href="#step-test-1">\.\/test\.sh<\/a><\/h2>[^]*<pre class="tail">(?:sandbox: .*\n)?\$ \.\/test\.sh\nassertion failed: 2 != 3\nslipway: exited with code 3<\/pre>\n<p class="muted">Whole log: <span class="mono">logs\/app\/2\/test-1\.log<\/span>/);
  assert.ok(page.indexOf('id="failure"') < page.indexOf('<h2>Commit message</h2>'), 'the failure comes first');
  assert.equal(await appHealth(ports.web1), good);
  assert.equal(await appHealth(ports.web2), good);
});

test('a new good commit deploys again; the previous release stays for rollback', async () => {
  const before1 = await readlink(join(paths().web1, 'current'));
  const fixed = await repo.commit({ 'test.sh': appFiles['test.sh']! }, 'fix the tests');
  const r = await once();
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(await appHealth(ports.web1), fixed);
  const releases = await readdir(join(paths().web1, 'releases'));
  assert.ok(releases.includes(before1.replace('releases/', '')), 'previous release kept');
  const host = await readJson(join(stateDir, 'hosts', 'web1.json'));
  assert.equal(host.pipelines.app.current.commit, fixed);
  assert.equal(host.pipelines.app.previous.release, before1.replace('releases/', ''));
});

test('a failing health check rolls the environment back to the release it ran', async () => {
  const good = repo.head;
  const goodLink = await readlink(join(paths().web1, 'current'));
  await repo.commit({ 'server.js': 'process.exit(1)\n' }, 'a server that crashes');
  const r = await once();
  assert.equal(r.code, 1);
  const run = await readJson(join(stateDir, 'runs', 'app', '4.json'));
  assert.equal(run.status, 'failed');
  assert.match(run.error, /deploy to staging failed and was rolled back/);
  // Not just curl's or node's exit code: the check's own last words.
  assert.match(run.error, /health check: unhealthy after \d+ attempts in 6s: exited with code 1: TypeError: fetch failed/);
  assert.equal(await readlink(join(paths().web1, 'current')), goodLink);
  assert.equal(await appHealth(ports.web1), good, 'the old app answers again');
  const releases = await readdir(join(paths().web1, 'releases'));
  assert.ok(!releases.some((r) => r.endsWith(run.commit.id.slice(0, 7))), 'failed release folder removed');
  assert.equal((await stat(join(paths().web2, 'current'))).isDirectory(), true);
  assert.equal(await appHealth(ports.web2), good, 'production was never touched');
  const pipeline = await readJson(join(stateDir, 'pipelines', 'app.json'));
  assert.equal(pipeline.environments.staging.commit, good);
});
