// Manual gates, host keys and hostile repo data, end to end on real sshd and real git over HTTP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appFiles, appHealth, freePort, stopApp } from '../helpers/fixture-app.ts';

let server: GitServer;
let evilRepo: TestRepo;
let gatedRepo: TestRepo;
let host: TestHost;
let work: string;
let configDir: string;
let stateDir: string;
let port: number;
let wrongKeyFingerprint: string;
let hostFingerprint: string;
const markers = () => [join(work, 'pwned-branch'), join(work, 'pwned-message'), join(work, 'pwned-author')];
const EVIL_MESSAGE = () => `"><img src=x onerror=alert(1)> $(touch ${markers()[1]}) \`touch ${markers()[1]}\` it's <script>alert("msg")</script>\n\nbody line`;
const deployPath = (name: string) => join(host.root, name);

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-e2e-gates-'));
  server = await startGitServer();
  const evilBranch = `evil-$(touch\${IFS}${markers()[0]})`;
  evilRepo = await createRepo(server, 'evil', appFiles, {
    branch: evilBranch,
    message: EVIL_MESSAGE(),
    // git itself drops < and > from author names, so the author carries quotes and & instead.
    author: { name: `Eve "$(touch ${markers()[2]})" 'it' & co`, email: 'x@example.invalid' },
  });
  gatedRepo = await createRepo(server, 'gated', appFiles, { message: 'gated version' });
  const keys = await createTestKeys();
  host = await startTestHost(keys, { name: 'web1' });
  port = await freePort();
  // A key that is not the host's: what a man in the middle, or a reinstalled host, offers.
  const other = join(work, 'other_key');
  await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
  const otherLine = (await readFile(`${other}.pub`, 'utf8')).trim();
  wrongKeyFingerprint = (await promisify(execFile)('ssh-keygen', ['-lf', `${other}.pub`])).stdout.split(' ')[1]!;
  const hostPub = join(work, 'host_key.pub');
  await writeConfigFolder(work, { 'host_key.pub': host.hostKeyLine + '\n' });
  hostFingerprint = (await promisify(execFile)('ssh-keygen', ['-lf', hostPub])).stdout.split(' ')[1]!;
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  const hc = '{ command: node health.js, timeout: 20s, interval: 200ms }';
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nconcurrency: 1\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile}, connectTimeout: 5s }\n`,
    'hosts.yaml': [
      `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user}, env: { PORT: "${port}" } }`,
      `impostor: { address: 127.0.0.1, port: ${host.port}, user: ${host.user}, hostKey: "${otherLine}" }`,
    ].join('\n') + '\n',
    'pipelines/evil.yaml': `repo: ${evilRepo.url}\nbranch: '${evilBranch}'\ntest: [./test.sh]\ndeploy: { path: ${deployPath('evil')}, restart: ./restart.sh, healthCheck: ${hc} }\nenvironments: [{ name: staging, hosts: [web1] }]\n`,
    'pipelines/gated.yaml': `repo: ${gatedRepo.url}\ntest: [./test.sh]\ndeploy: { path: ${deployPath('gated')} }\nenvironments:\n  - { name: production, hosts: [web1], approval: manual }\n`,
    'pipelines/pinned.yaml': `repo: ${gatedRepo.url}\ntest: [./test.sh]\ndeploy: { path: ${deployPath('pinned')} }\nenvironments: [{ name: production, hosts: [impostor] }]\n`,
  });
});

after(async () => {
  if (host) await stopApp(deployPath('evil'));
  await host?.stop();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const readJson = async (p: string) => JSON.parse(await readFile(p, 'utf8'));

test('once: evil names deploy and execute nothing; the gate waits; the impostor host is refused', async () => {
  const r = await runSlipway(['once', '--config', configDir]);
  assert.equal(r.code, 1, 'pinned failed, so the whole once fails');

  // Hostile branch, message and author: deployed as data, never executed.
  assert.equal(await appHealth(port), evilRepo.head);
  for (const m of markers()) assert.ok(!existsSync(m), `${m} must not exist`);
  const evilRun = await readJson(join(stateDir, 'runs', 'evil', '1.json'));
  assert.equal(evilRun.status, 'deployed');
  assert.equal(evilRun.commit.message, EVIL_MESSAGE() + '\n');

  // The manual gate: tested, held, nothing on the host.
  const gated = await readJson(join(stateDir, 'runs', 'gated', '1.json'));
  assert.equal(gated.status, 'waiting');
  assert.ok(!existsSync(deployPath('gated')), 'nothing deployed before approval');

  // Host key: refused with both fingerprints, nothing done on the host.
  const pinned = await readJson(join(stateDir, 'runs', 'pinned', '1.json'));
  assert.equal(pinned.status, 'failed');
  const connect = pinned.stages[1].steps.find((s: { id: string }) => s.id === 'production-impostor-connect');
  assert.equal(connect.status, 'failed');
  assert.ok(connect.error.includes(`expected ${wrongKeyFingerprint}`), connect.error);
  assert.ok(connect.error.includes(`offered ${hostFingerprint}`), connect.error);
  assert.ok(!existsSync(deployPath('pinned')), 'the refused host was not touched');
});

test('the report shows hostile strings escaped, and opens no script', async () => {
  const www = join(stateDir, 'www');
  const pages = [await readFile(join(www, 'index.html'), 'utf8')];
  for (const f of await readdir(join(www, 'runs', 'evil'))) pages.push(await readFile(join(www, 'runs', 'evil', f), 'utf8'));
  const all = pages.join('\n');
  assert.ok(!all.includes('<img src=x'), 'raw <img> from a commit message');
  assert.ok(!all.includes('<script>alert'), 'raw <script> from repo data');
  assert.ok(all.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.ok(all.includes('Eve &quot;$(touch '), 'author escaped');
  assert.ok(all.includes('&#39;it&#39; &amp; co'), 'author escaped');
});

test('approve continues a waiting run and deploys it', async () => {
  const status = await runSlipway(['status', '--config', configDir]);
  assert.match(status.stdout, /gated {2}last run #1 waiting/);
  const r = await runSlipway(['approve', 'gated', '1', '--config', configDir]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const run = await readJson(join(stateDir, 'runs', 'gated', '1.json'));
  assert.equal(run.status, 'deployed');
  assert.match(run.stages[1].steps[0].name, /^approved by /);
  assert.equal((await readFile(join(deployPath('gated'), 'current', 'REVISION'), 'utf8')).trim(), gatedRepo.head);
  const again = await runSlipway(['approve', 'gated', '1', '--config', configDir]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /gated #1 is deployed, not waiting for approval/);
});

test('a newer waiting run supersedes the older one at the same gate, so approving the older is refused', async () => {
  await gatedRepo.commit({ 'CHANGES': 'a\n' }, 'gated a');
  assert.equal((await runSlipway(['once', 'gated', '--config', configDir])).code, 0);
  const b = await gatedRepo.commit({ 'CHANGES': 'b\n' }, 'gated b');
  assert.equal((await runSlipway(['once', 'gated', '--config', configDir])).code, 0);
  const older = await readJson(join(stateDir, 'runs', 'gated', '2.json'));
  assert.equal(older.status, 'superseded');
  assert.match(older.error, /superseded while waiting: the newer run #3 waits for production/);
  assert.equal((await runSlipway(['approve', 'gated', '3', '--config', configDir])).code, 0);
  const stale = await runSlipway(['approve', 'gated', '2', '--config', configDir]);
  assert.equal(stale.code, 2);
  assert.match(stale.stderr, /gated #2 is superseded, not waiting for approval/);
  assert.equal((await readFile(join(deployPath('gated'), 'current', 'REVISION'), 'utf8')).trim(), b);
});
