// `slipway init` as a user runs it: the real CLI as a child process, a fresh temp HOME, a fresh
// working folder. The starter must validate once its placeholders are filled and its key files
// exist, and init must never overwrite a file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { runSlipway } from '../helpers/slipway-cli.ts';

// validate's second line on this machine (bubblewrap is installed here and in CI).
const SANDBOX_LINE = 'sandbox: bwrap (test commands see only their workspace, a private /tmp and a per-pipeline HOME)';

const STARTER = ['.gitignore', 'hosts.yaml', 'pipelines/example.yaml', 'slipway.yaml'];

async function withWorld(fn: (w: { cwd: string; home: string }) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'slipway-init-'));
  const cwd = join(root, 'work');
  const home = join(root, 'home');
  await mkdir(cwd);
  await mkdir(home);
  try {
    await fn({ cwd, home });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

/** The key files that slipway.yaml of the starter names, as ssh-keygen/ssh-keyscan would leave them. */
async function createKeyFiles(home: string): Promise<void> {
  await mkdir(join(home, '.ssh'), { recursive: true });
  await writeFile(join(home, '.ssh', 'id_ed25519'), '-----BEGIN OPENSSH PRIVATE KEY-----\nplaceholder\n-----END OPENSSH PRIVATE KEY-----\n', { mode: 0o600 });
  await writeFile(join(home, '.ssh', 'known_hosts'), '');
}

/** What a user types over each CHANGE ME value. */
const FILLED: Array<[file: string, from: RegExp, to: string]> = [
  ['slipway.yaml', /title: "Deploys".*/, 'title: "ACME deploys"'],
  ['hosts.yaml', /address: 192\.0\.2\.10.*/, 'address: staging.internal.example'],
  ['hosts.yaml', /address: 192\.0\.2\.20.*/, 'address: 10.1.2.3'],
  ['pipelines/example.yaml', /repo: .*/, 'repo: https://git.acme.example/shop/web.git'],
  ['pipelines/example.yaml', /path: ~\/apps\/example.*/, 'path: /srv/shop'],
  ['pipelines/example.yaml', /restart: .*/, 'restart: sudo systemctl restart shop'],
];

async function fillPlaceholders(dir: string): Promise<void> {
  for (const [file, from, to] of FILLED) {
    const path = join(dir, file);
    const text = await readFile(path, 'utf8');
    assert.match(text, from, `${file}: placeholder ${from} not found`);
    await writeFile(path, text.replace(from, to));
  }
  for (const file of STARTER) {
    const left = (await readFile(join(dir, file), 'utf8')).split('\n').filter((line) => line.includes('CHANGE ME'));
    assert.deepEqual(left, [], `${file} still has placeholders the user must fill`);
  }
}

test('init writes the starter folder, with schema lines and the next three steps', async () => {
  await withWorld(async ({ cwd, home }) => {
    const res = await runSlipway(['init'], { cwd, env: { HOME: home } });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, '');
    // slipway is not installed under this cwd: the schemas are copied beside the config.
    assert.deepEqual(await listFiles(join(cwd, 'config')), [...STARTER, 'schema/hosts.schema.json', 'schema/pipeline.schema.json', 'schema/slipway.schema.json'].sort());
    for (const file of STARTER) assert.match(res.stdout, new RegExp(`^wrote config/${file.replace('.', '\\.')}$`, 'm'));
    assert.match(res.stdout, /^Next:\n {2}1\. .*\n.*\n {2}2\. .*\n.*\n.*\n {2}3\. Check and try it: slipway validate, then slipway plan and slipway once\.$/m);

    const expected: Record<string, string> = {
      'slipway.yaml': 'slipway.schema.json',
      'hosts.yaml': 'hosts.schema.json',
      'pipelines/example.yaml': 'pipeline.schema.json',
    };
    for (const [file, schemaFile] of Object.entries(expected)) {
      const path = join(cwd, 'config', file);
      const first = (await readFile(path, 'utf8')).split('\n', 1)[0] ?? '';
      const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
      assert.ok(m, `${file} starts with ${first}`);
      const ref = m[1] ?? '';
      assert.equal(ref, `${file.includes('/') ? '../' : ''}schema/${schemaFile}`, `${file} points at ${ref}`);
      const target = isAbsolute(ref) ? ref : resolve(dirname(path), ref);
      assert.ok(existsSync(target), `${file}: ${target} does not exist`);
    }
    assert.equal(await readFile(join(cwd, 'config', '.gitignore'), 'utf8'), '# The state folder (stateDir in slipway.yaml): runs, logs, the report. Not config.\n/state/\n');
  });
});

test('the starter needs only its key files to validate as written, and validates once filled in', async () => {
  await withWorld(async ({ cwd, home }) => {
    assert.equal((await runSlipway(['init', 'deploys'], { cwd, env: { HOME: home } })).code, 0);

    // As written, on a machine without SSH keys: exactly the two files to create, each with its fix.
    const bare = await runSlipway(['validate', '--config', 'deploys'], { cwd, env: { HOME: home } });
    assert.equal(bare.code, 1);
    assert.equal(bare.stdout, '');
    assert.deepEqual(bare.stderr.trimEnd().split('\n'), [
      `deploys/slipway.yaml:17:13: ssh.identity: cannot read ${home}/.ssh/id_ed25519 (no such file); create it (ssh-keygen -t ed25519 -f ${home}/.ssh/id_ed25519) or fix the path`,
      `deploys/slipway.yaml:18:15: ssh.knownHosts: cannot read ${home}/.ssh/known_hosts (no such file); create it (ssh-keyscan -H HOST >> ${home}/.ssh/known_hosts) or fix the path`,
    ]);

    await createKeyFiles(home);
    const asWritten = await runSlipway(['validate', '--config', 'deploys'], { cwd, env: { HOME: home } });
    assert.equal(asWritten.stderr, '');
    assert.equal(asWritten.stdout, `config OK: 1 pipeline, 2 hosts\n${SANDBOX_LINE}`);
    assert.equal(asWritten.code, 0);

    await fillPlaceholders(join(cwd, 'deploys'));
    const filled = await runSlipway(['validate', '--config', 'deploys'], { cwd, env: { HOME: home } });
    assert.equal(filled.stderr, '');
    assert.equal(filled.stdout, `config OK: 1 pipeline, 2 hosts\n${SANDBOX_LINE}`);

  });
});

test('init never overwrites: one existing file and nothing is written at all', async () => {
  await withWorld(async ({ cwd, home }) => {
    const dir = join(cwd, 'config');
    await mkdir(join(dir, 'pipelines'), { recursive: true });
    await writeFile(join(dir, 'pipelines', 'example.yaml'), 'mine\n');
    const res = await runSlipway(['init'], { cwd, env: { HOME: home } });
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.equal(
      res.stderr,
      'slipway init: config/pipelines/example.yaml already exists; init never overwrites a file: move it away or choose another folder (slipway init DIR)',
    );
    assert.equal(await readFile(join(dir, 'pipelines', 'example.yaml'), 'utf8'), 'mine\n');
    assert.deepEqual(await listFiles(dir), ['pipelines/example.yaml']);

    // A second init over a complete starter names every file.
    const other = join(cwd, 'other');
    assert.equal((await runSlipway(['init', 'other'], { cwd, env: { HOME: home } })).code, 0);
    const before = await Promise.all(STARTER.map((f) => readFile(join(other, f), 'utf8')));
    const again = await runSlipway(['init', 'other'], { cwd, env: { HOME: home } });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^slipway init: other\/slipway\.yaml, other\/hosts\.yaml, other\/pipelines\/example\.yaml, other\/\.gitignore, other\/schema\/slipway\.schema\.json, other\/schema\/hosts\.schema\.json, other\/schema\/pipeline\.schema\.json already exist;/);
    assert.deepEqual(await Promise.all(STARTER.map((f) => readFile(join(other, f), 'utf8'))), before);
  });
});

test('init takes its folder from DIR, else --config, else $SLIPWAY_CONFIG; more than one DIR is a usage error', async () => {
  await withWorld(async ({ cwd, home }) => {
    assert.equal((await runSlipway(['init', '--config', 'viaflag'], { cwd, env: { HOME: home } })).code, 0);
    assert.ok(existsSync(join(cwd, 'viaflag', 'slipway.yaml')));
    const viaEnv = await runSlipway(['init'], { cwd, env: { HOME: home, SLIPWAY_CONFIG: 'viaenv' } });
    assert.equal(viaEnv.code, 0);
    assert.match(viaEnv.stdout, /slipway validate --config viaenv, then slipway plan --config viaenv/);
    assert.ok(existsSync(join(cwd, 'viaenv', 'hosts.yaml')));

    const usage = await runSlipway(['init', 'a', 'b'], { cwd, env: { HOME: home } });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^slipway init: init takes at most one folder\n\(see slipway init --help\)/);
    assert.ok(!existsSync(join(cwd, 'a')));

    const help = await runSlipway(['init', '--help'], { cwd, env: { HOME: home } });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: slipway init \[DIR\]/);
  });
});
