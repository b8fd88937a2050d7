// A seeded property test of masking: random secrets (multi-line, unicode, quotes, very long) are
// printed by a commit's own program in random chunkings (UTF-8 characters cut between chunks,
// PEM lines one by one, stdout and stderr interleaved) in the local test stage and in deploy
// steps over a real sshd; host variables carry them (a multi-line PEM from ${file:}), a failing
// step's command line carries one, the repo URL carries a token. No secret may show up in any
// log, run/pipeline/host state, audit line, report page, or terminal output; and nothing in the
// state folder that can hold one is readable by other users.
// SLIPWAY_SEED=N reproduces a run (the seed is in the test's name).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { runSlipway, writeConfigFolder, type CliResult } from '../helpers/slipway-cli.ts';
import { seededRandom } from '../helpers/prng.ts';

const SEED = Number(process.env.SLIPWAY_SEED ?? 20261201);

const random = seededRandom;

const rnd = random(SEED);
const pick = (chars: string[], n: number) => Array.from({ length: n }, () => chars[Math.floor(rnd() * chars.length)]).join('');
const ALNUM = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
const B64 = [...ALNUM, '+', '/'];

const secrets = {
  UNI: `ü${pick([...ALNUM, 'é', 'ü', 'ß', '漢', '字', '🚀', 'ж'], 12 + Math.floor(rnd() * 20))}漢`,
  QUOTES: `q'${pick([...ALNUM, "'", '"', '\\', '$', '`', ' ', '!'], 10 + Math.floor(rnd() * 10))}"x`,
  LONG: pick(ALNUM, 2500 + Math.floor(rnd() * 1000)),
  CMD: `cmd${pick(ALNUM, 37)}`,
};
const PEM = ['-----BEGIN SLIPWAY TEST KEY-----', ...Array.from({ length: 4 }, () => pick(B64, 64)), '-----END SLIPWAY TEST KEY-----'].join('\n');
const TOKEN = `gittok${pick(ALNUM, 26)}`;
const ALL = [...Object.values(secrets), PEM, TOKEN];

/** The commit's program: prints each secret ROUNDS times, each time in a different random chunking. */
const EMIT_JS = `
const { secrets, seed } = require('./secrets.json');
let a = (seed + Number(process.argv[3] || 0)) >>> 0;
const rnd = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const pause = () => new Promise((r) => setTimeout(r, 1 + Math.floor(rnd() * 3)));
const write = (stream, bytes) => new Promise((r) => stream.write(bytes, r));
(async () => {
  for (let round = 0; round < 3; round++) {
    for (const secret of secrets) {
      const stream = rnd() < 0.5 ? process.stdout : process.stderr;
      const other = stream === process.stdout ? process.stderr : process.stdout;
      const bytes = Buffer.from(process.argv[2] + ' says: ' + secret + ' (end)\\n');
      // Random cuts, at any byte: UTF-8 characters end up split between chunks.
      let at = 0;
      while (at < bytes.length) {
        const n = 1 + Math.floor(rnd() * (rnd() < 0.3 ? 4 : 200));
        await write(stream, bytes.subarray(at, at + n));
        at += n;
        if (rnd() < 0.3) await write(other, 'noise on the other stream\\n');
        await pause();
      }
    }
  }
  await write(process.stdout, 'emit done ' + process.argv[2] + '\\n');
})();
`;

let server: GitServer;
let host: TestHost;
let work: string;
let configDir: string;
let stateDir: string;
let once: CliResult;
let status: CliResult;
let plan: CliResult;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-mask-'));
  server = await startGitServer({ token: TOKEN });
  const keys = await createTestKeys();
  host = await startTestHost(keys, { name: 'web1' });
  const repo = await createRepo(server, 'app', {
    'emit.js': EMIT_JS,
    'secrets.json': JSON.stringify({ seed: SEED, secrets: [...Object.values(secrets), PEM] }),
  }, { message: 'print secrets\x1b[2J\x1b]0;owned\x07\r\x1b[31mred' });
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  await writeFile(join(work, 'pem'), `${PEM}\n`);
  const url = repo.url.replace('://', `://x-access-token:${TOKEN}@`);
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile}, connectTimeout: 5s }\n`,
    'hosts.yaml': `web1: { address: 127.0.0.1, port: ${host.port}, user: ${host.user}, env: { UNI: "\${env:UNI}", QUOTES: "\${env:QUOTES}", LONG: "\${env:LONG}", PEM: "\${file:${work}/pem}" } }\n`,
    'pipelines/app.yaml': [
      `repo: ${url}`,
      'timeout: 2m',
      'test: [node emit.js test 1]',
      'deploy:',
      `  path: ${join(host.root, 'app')}`,
      '  steps:',
      '    - node emit.js step 2',
      `    - printf '%s\\n' "$UNI" "$QUOTES" "$PEM" "$LONG" >&2; printf '%s' "$PEM" | sha256sum`,
      '    - "echo ${env:CMD} | wc -c && false"',
      'environments: [{ name: staging, hosts: [web1] }]',
      '',
    ].join('\n'),
  });
  const env = { UNI: secrets.UNI, QUOTES: secrets.QUOTES, LONG: secrets.LONG, CMD: secrets.CMD };
  once = await runSlipway(['once', '--config', configDir], { env });
  status = await runSlipway(['status', '--config', configDir], { env });
  plan = await runSlipway(['plan', '--config', configDir], { env });
});

after(async () => {
  await host?.stop();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Every form a leak could take in text or HTML. */
function leakForms(secret: string): string[] {
  const html = secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  const forms = [secret, JSON.stringify(secret).slice(1, -1), html];
  for (const line of secret.split('\n')) if (line.length >= 8) forms.push(line);
  return forms;
}

async function filesUnder(dir: string, skip: Set<string>): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip.has(path)) continue;
    if (entry.isDirectory()) out.push(...(await filesUnder(path, skip)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

test(`seed ${SEED}: the run went through every path (test stage, deploy steps, failure)`, async () => {
  const run = JSON.parse(await readFile(join(stateDir, 'runs', 'app', '1.json'), 'utf8'));
  assert.equal(run.status, 'failed', once.stdout + once.stderr);
  const test1 = await readFile(join(stateDir, 'logs', 'app', '1', 'test-1.log'), 'utf8');
  assert.match(test1, /emit done test/);
  assert.match(test1, /test says: \*\*\* \(end\)/);
  const step1 = await readFile(join(stateDir, 'logs', 'app', '1', 'staging-web1-step-1.log'), 'utf8');
  assert.match(step1, /emit done step/);
  // The PEM reached the host whole: its sha256 is what the host printed.
  const step2 = await readFile(join(stateDir, 'logs', 'app', '1', 'staging-web1-step-2.log'), 'utf8');
  const { createHash } = await import('node:crypto');
  assert.ok(step2.includes(createHash('sha256').update(PEM).digest('hex')), step2);
  const deploy = run.stages.find((s: { name: string }) => s.name === 'deploy:staging');
  assert.match(deploy.hosts[0].error, /^step "echo \*\*\* \| wc -c && false": exited with code 1/);
});

test(`seed ${SEED}: no secret in any log, state file, page or terminal output`, async () => {
  const skip = new Set([join(stateDir, 'git'), join(stateDir, 'work'), join(stateDir, 'cache')]);
  const files = await filesUnder(stateDir, skip);
  assert.ok(files.some((f) => f.endsWith('.log')) && files.some((f) => f.endsWith('.html')), files.join('\n'));
  const texts: Array<[string, string]> = [
    ...(await Promise.all(files.map(async (f): Promise<[string, string]> => [f, await readFile(f, 'utf8')]))),
    ['once stdout', once.stdout], ['once stderr', once.stderr], ['status', status.stdout + status.stderr], ['plan', plan.stdout + plan.stderr],
  ];
  for (const secret of ALL) {
    for (const form of leakForms(secret)) {
      for (const [where, text] of texts) assert.ok(!text.includes(form), `${where} holds ${JSON.stringify(form.slice(0, 40))}`);
    }
  }
});

test('nothing in the state folder that can hold a secret is readable by other users', async () => {
  const www = join(stateDir, 'www');
  for (const file of await filesUnder(stateDir, new Set([www, join(stateDir, 'git')]))) {
    const mode = (await stat(file)).mode & 0o777;
    // A file in a folder only slipway's user can enter is private whatever its own mode.
    const parentPrivate = ['runs', 'logs', 'pipelines', 'hosts', 'work', 'cache', 'inbox'].some((d) => file.startsWith(join(stateDir, d)));
    assert.ok((mode & 0o077) === 0 || parentPrivate, `${file} is ${mode.toString(8)}`);
  }
  for (const dir of ['runs', 'logs', 'pipelines', 'hosts', 'git', 'work', 'cache']) {
    const info = await stat(join(stateDir, dir)).catch(() => undefined);
    if (info) assert.equal(info.mode & 0o077, 0, `${dir} is ${(info.mode & 0o777).toString(8)}`);
  }
});

test('control characters of a commit subject never reach the terminal', () => {
  for (const [what, text] of [['status', status.stdout], ['once', once.stdout + once.stderr]] as const) {
    assert.ok(!/[\x1b\x07\r]/.test(text), `${what} printed a control character: ${JSON.stringify(text)}`);
  }
  assert.match(status.stdout, /print secrets\?\[2J\?\]0;owned\?+\[31mred/);
});
