// test as a map of named jobs: they run at once (each waits for the other to have started: only
// parallel jobs can both finish), each its own step and log; the first failure cancels the rest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';

let server: GitServer;
let repo: TestRepo;
let work: string;
let marks: string;
let configDir: string;
let stateDir: string;
const readJson = async (p: string) => JSON.parse(await readFile(p, 'utf8'));

const WAIT_FOR = (other: string) => `n=0; until [ -e "$MARKS/${other}" ]; do n=$((n+1)); [ $n -lt 400 ] || exit 9; sleep 0.05; done`;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-e2e-jobs-'));
  marks = join(work, 'marks');
  await mkdir(marks);
  server = await startGitServer();
  repo = await createRepo(server, 'lib', { 'README': 'x\n' }, { message: 'v1' });
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  await writeConfigFolder(configDir, {
    'slipway.yaml': 'stateDir: ../state\nsandbox: none\n',
    'hosts.yaml': '{}\n',
    'pipelines/ok.yaml':
      `repo: ${repo.url}\ntimeout: 1m\ntest:\n  unit: ['touch "$MARKS/unit"', '${WAIT_FOR('lint')}', 'touch unit-only']\n` +
      `  lint: ['touch "$MARKS/lint"', '${WAIT_FOR('unit')}', 'test ! -e unit-only']\n`,
    'pipelines/bad.yaml':
      `repo: ${repo.url}\ntimeout: 1m\ntest:\n  slow: ['touch "$MARKS/slow"', 'sleep 60', 'touch "$MARKS/slow-finished"']\n` +
      `  fails: ['${WAIT_FOR('slow')}', 'exit 3']\n`,
  });
});

after(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test('parallel jobs run at once in their own workspaces; a failing one cancels the other', async () => {
  const r = await runSlipway(['once', '--config', configDir], { env: { MARKS: marks } });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const ok = await readJson(join(stateDir, 'runs', 'ok', '1.json'));
  assert.equal(ok.status, 'passed');
  const okSteps = ok.stages[0].steps.map((s: { id: string; status: string }) => [s.id, s.status]);
  assert.deepEqual(okSteps, [['test-checkout', 'passed'], ['test-job-unit', 'passed'], ['test-job-lint', 'passed']]);
  assert.match(await readFile(join(stateDir, 'logs', 'ok', '1', 'test-job-unit.log'), 'utf8'), /\$ touch unit-only/);

  const bad = await readJson(join(stateDir, 'runs', 'bad', '1.json'));
  assert.equal(bad.status, 'failed');
  const steps = Object.fromEntries(bad.stages[0].steps.map((s: { id: string; status: string; error?: string; exitCode?: number }) => [s.id, [s.status, s.error, s.exitCode]]));
  assert.deepEqual(steps['test-job-fails'], ['failed', '"exit 3" exited with code 3', 3]);
  assert.deepEqual(steps['test-job-slow'], ['failed', 'cancelled: job fails failed', undefined]);
  assert.equal(existsSync(join(marks, 'slow-finished')), false);
});

test('a cache hit skips a slow install; a changed key file installs again', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-cache-'));
  try {
    const installs = join(dir, 'installs');
    const srv = await startGitServer();
    try {
      const app = await createRepo(srv, 'app', { 'deps.lock': 'a@1\n', 'src.txt': 'one\n' }, { message: 'v1' });
      const cfg = join(dir, 'config');
      // The install writes a line to INSTALLS each time it really runs.
      const install = '[ -f deps/installed ] || { mkdir -p deps && cp deps.lock deps/installed && echo ran >> "$INSTALLS"; }';
      await writeConfigFolder(cfg, {
        'slipway.yaml': 'stateDir: ../state\nsandbox: none\n',
        'hosts.yaml': '{}\n',
        'pipelines/app.yaml': `repo: ${app.url}\ncache: { key: [deps.lock], paths: [deps], maxSize: 10MB }\ntest: ['${install}', 'cmp deps/installed deps.lock']\n`,
      });
      const once = () => runSlipway(['once', '--config', cfg], { env: { INSTALLS: installs } });
      const lines = async () => (await readFile(installs, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
      assert.equal((await once()).code, 0);
      assert.equal(await lines(), 1);
      assert.match(await readFile(join(dir, 'state', 'logs', 'app', '1', 'test-cache-restore.log'), 'utf8'), /cache miss/);
      assert.match(await readFile(join(dir, 'state', 'logs', 'app', '1', 'test-cache-save.log'), 'utf8'), /cached deps: 1 files/);

      await app.commit({ 'src.txt': 'two\n' }, 'v2');
      assert.equal((await once()).code, 0);
      assert.equal(await lines(), 1, 'the install was skipped: the cache had it');
      assert.match(await readFile(join(dir, 'state', 'logs', 'app', '2', 'test-cache-restore.log'), 'utf8'), /cache hit/);
      assert.equal(existsSync(join(dir, 'state', 'logs', 'app', '2', 'test-cache-save.log')), false, 'a hit saves nothing');

      await app.commit({ 'deps.lock': 'a@2\n' }, 'v3');
      assert.equal((await once()).code, 0);
      assert.equal(await lines(), 2, 'a new key installs again');
      assert.equal((await readdir(join(dir, 'state', 'cache', 'pipelines', 'app'))).length, 2);
    } finally {
      await srv.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('with parallel jobs the cache is restored into every job and saved from the first', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-e2e-jobcache-'));
  try {
    const installs = join(dir, 'installs');
    const srv = await startGitServer();
    try {
      const app = await createRepo(srv, 'app', { 'deps.lock': 'a@1\n' }, { message: 'v1' });
      const cfg = join(dir, 'config');
      const install = (job: string) => `[ -f deps/installed ] || { mkdir -p deps && cp deps.lock deps/installed && echo ${job} >> "$INSTALLS"; }`;
      await writeConfigFolder(cfg, {
        'slipway.yaml': 'stateDir: ../state\nsandbox: none\n',
        'hosts.yaml': '{}\n',
        'pipelines/app.yaml': `repo: ${app.url}\ncache: { key: [deps.lock], paths: [deps], maxSize: 10MB }\ntest:\n  unit: ['${install('unit')}']\n  lint: ['${install('lint')}']\n`,
      });
      const once = () => runSlipway(['once', '--config', cfg], { env: { INSTALLS: installs } });
      const lines = async () => (await readFile(installs, 'utf8').catch(() => '')).split('\n').filter(Boolean).sort();
      assert.equal((await once()).code, 0);
      assert.deepEqual(await lines(), ['lint', 'unit'], 'a miss: each job installed');
      const first = await readJson(join(dir, 'state', 'runs', 'app', '1.json'));
      assert.deepEqual(first.stages[0].steps.map((s: { id: string }) => s.id), ['test-checkout', 'test-cache-restore', 'test-job-unit', 'test-job-lint', 'test-cache-save']);
      assert.match(await readFile(join(dir, 'state', 'logs', 'app', '1', 'test-cache-save.log'), 'utf8'), /cached deps: 1 files/);

      await app.commit({ 'src.txt': 'two\n' }, 'v2');
      assert.equal((await once()).code, 0);
      assert.deepEqual(await lines(), ['lint', 'unit'], 'a hit: neither job installed again');
      assert.match(await readFile(join(dir, 'state', 'logs', 'app', '2', 'test-cache-restore.log'), 'utf8'), /cache hit/);
      const work = join(dir, 'state', 'work', 'app');
      assert.deepEqual(existsSync(work) ? await readdir(work) : [], [], 'no job workspace is left behind');
    } finally {
      await srv.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
