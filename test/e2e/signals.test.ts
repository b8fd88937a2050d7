// What a terminal does to a command in the middle of a deploy: its reader goes away
// (`slipway once | head -1`: EPIPE) or the user presses Ctrl-C (SIGINT). Neither leaves a run
// `running` or a host locked: output to a closed pipe is dropped and the run goes on to its end;
// SIGINT ends the run `interrupted`, rolled back and unlocked, with exit code 130.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appFiles } from '../helpers/fixture-app.ts';
import { waitFor } from '../helpers/wait.ts';

const BIN = new URL('../../bin/slipway.js', import.meta.url).pathname;
let server: GitServer;
let repo: TestRepo;
let host: TestHost;
let work: string;
let configDir: string;
let stateDir: string;
const appPath = () => join(host.root, 'app');
const runs = async () => Promise.all((await readdir(join(stateDir, 'runs', 'app'))).filter((n) => n.endsWith('.json')).sort((a, b) => parseInt(a) - parseInt(b)).map(async (n) => JSON.parse(await readFile(join(stateDir, 'runs', 'app', n), 'utf8'))));

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-signals-'));
  server = await startGitServer();
  repo = await createRepo(server, 'app', appFiles, { message: 'v1' });
  const keys = await createTestKeys();
  host = await startTestHost(keys, { name: 'web1' });
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\n`,
    'hosts.yaml': `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user} }\n`,
    'pipelines/app.yaml': `repo: ${repo.url}\ntest: [./test.sh]\ndeploy: { path: ${appPath()}, steps: [./gate.sh] }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
  });
});

after(async () => {
  await host?.stop();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test('slipway once | head -1: the closed pipe ends nothing; the run deploys, no stack trace, no lock left', async () => {
  const r = await execa('sh', ['-c', `node ${BIN} once --config ${configDir} | head -1`], { reject: false, env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout.split('\n').length, 1);
  assert.doesNotMatch(r.stderr, /EPIPE|at .*\.js:\d+|Error/, r.stderr);
  const [run] = await runs();
  assert.equal(run.status, 'deployed');
  assert.equal((await readFile(join(appPath(), 'current', 'REVISION'), 'utf8')).trim(), repo.head);
  assert.ok(!existsSync(join(appPath(), '.slipway-lock')));
  const status = await execa('sh', ['-c', `node ${BIN} status --config ${configDir} | head -1`], { reject: false });
  assert.equal(status.stderr, '');
});

test('Ctrl-C of once during a deploy step: interrupted, rolled back, unlocked, exit 130; the next once recovers nothing left running', async () => {
  const before = (await readFile(join(appPath(), 'current', 'REVISION'), 'utf8')).trim();
  await repo.commit({ CHANGES: 'v2\n' }, 'v2');
  await writeFile(join(host.root, 'gate-on'), '');
  const child = spawn(process.execPath, [BIN, 'once', '--config', configDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor(() => existsSync(join(host.root, 'at-gate')), { timeoutMs: 60_000, what: `the deploy step at its gate; output:\n${out}` });
    child.kill('SIGINT');
    assert.equal(await exited, 130, out);
  } finally {
    // The host's step goes on (as on a real host) until the gate opens.
    await rm(join(host.root, 'gate-on'), { force: true });
    await writeFile(join(host.root, 'go'), '');
  }
  assert.match(out, /SIGINT: stopping the run/);
  const last = (await runs()).at(-1);
  assert.equal(last.status, 'interrupted', JSON.stringify(last));
  assert.ok(!existsSync(join(appPath(), '.slipway-lock')), 'the host lock is released');
  assert.equal((await readFile(join(appPath(), 'current', 'REVISION'), 'utf8')).trim(), before, 'the host runs what it ran');
  const releases = await readdir(join(appPath(), 'releases'));
  assert.equal(releases.filter((r) => !r.startsWith('.')).length, 1, `the half-made release is removed: ${releases.join(' ')}`);
  // Never switched: the record says so, not "rolled back".
  const deploy = last.stages.find((st: { kind: string }) => st.kind === 'deploy');
  assert.ok(deploy.steps.some((st: { name: string }) => /: remove release \S+ \(never switched to\)$/.test(st.name)), JSON.stringify(deploy.steps));
  assert.ok(deploy.hosts.every((h: { status: string }) => h.status === 'untouched'), JSON.stringify(deploy.hosts));
  // The next once re-runs the interrupted commit (once, by recovery) and deploys it.
  const again = await execa(process.execPath, [BIN, 'once', '--config', configDir], { reject: false, env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(again.exitCode, 0, again.stdout + again.stderr);
  const rerun = (await runs()).at(-1);
  assert.equal(rerun.trigger, 'recovery');
  assert.equal(rerun.status, 'deployed');
  assert.equal((await readFile(join(appPath(), 'current', 'REVISION'), 'utf8')).trim(), repo.head);
});

test('kill -9 of once during a deploy step: the next once interrupts the ghost run, releases its lock at once and re-runs it', async () => {
  await repo.commit({ CHANGES: 'v3\n' }, 'v3');
  await writeFile(join(host.root, 'gate-on'), '');
  const child = spawn(process.execPath, [BIN, 'once', '--config', configDir], { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    await waitFor(() => existsSync(join(host.root, 'at-gate')), { timeoutMs: 60_000, what: 'the deploy step at its gate' });
    child.kill('SIGKILL');
    await exited;
  } finally {
    await rm(join(host.root, 'gate-on'), { force: true });
    await writeFile(join(host.root, 'go'), '');
  }
  const ghost = (await runs()).at(-1);
  assert.equal(ghost.status, 'running');
  assert.ok(existsSync(join(appPath(), '.slipway-lock')), 'the dead process left its host lock');
  const r = await execa(process.execPath, [BIN, 'once', '--config', configDir], { reject: false, env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`app: run #${ghost.number} left running by a process that died: interrupted`));
  assert.match(r.stderr, new RegExp(`app #${ghost.number}: released its deploy lock on web1`));
  const all = await runs();
  assert.equal(all.find((x) => x.number === ghost.number).status, 'interrupted');
  assert.equal(all.at(-1).trigger, 'recovery');
  assert.equal(all.at(-1).status, 'deployed');
  assert.ok(!existsSync(join(appPath(), '.slipway-lock')));
});
