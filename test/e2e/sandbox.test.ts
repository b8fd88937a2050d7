// A hostile commit: its test script tries every way out that review found (the SSH identity,
// known_hosts, a ${file:} secret, the config folder, the state folder, an approve request in the
// inbox, the daemon's environment through /proc, another pipeline's workspace, the network).
// Under bwrap every attempt fails; the same commit under `sandbox: none` shows that each attempt
// is real (it succeeds there). Secret file and config folder live under /etc, which the sandbox
// binds read-only, so "absent" is proven for a path inside a visible folder too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo } from '../helpers/git-repo.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { waitFor } from '../helpers/wait.ts';

const run = promisify(execFile);
const ATTEMPTS = ['identity', 'known-hosts', 'secret-file', 'config', 'state', 'inbox-write', 'proc-environ', 'other-workspace', 'network', 'uncover-secret', 'system-write'];
const MARK_VALUE = `hostile-env-secret-${process.pid}`;
const HANG_MARK = `slipway-sandbox-hang-${process.pid}`;

let server: GitServer;
let work: string;
let etc: string;
let listener: Server;
let port: number;
const results = new Map<'bwrap' | 'none', { code: number; out: string; state: string; validate: { stdout: string; stderr: string } }>();

function hostileScript(state: string, config: string): string {
  const attempt = (name: string, command: string) =>
    `if ${command} >/dev/null 2>&1; then echo "ESCAPE ${name}"; else echo "blocked ${name}"; fi`;
  return [
    '#!/bin/sh',
    attempt('identity', `cat ${work}/id_ed25519`),
    attempt('known-hosts', `cat ${work}/known_hosts`),
    attempt('secret-file', `cat ${etc}/token`),
    attempt('config', `cat ${config}/slipway.yaml`),
    attempt('state', `ls ${state}/runs/hostile`),
    attempt('inbox-write', `sh -c 'echo "{}" > ${state}/inbox/approve-hostile-1.json'`),
    attempt('proc-environ', `grep -q -s ${MARK_VALUE} /proc/[0-9]*/environ`),
    attempt('other-workspace', `cat ${state}/work/other/1/secret.txt`),
    attempt('network', `node -e "require('net').connect(${port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"`),
    // As root, a sandbox that kept its capabilities could lift the cover off a secret file or
    // remount a read-only system folder writable (a reviewer did both): every capability is dropped.
    attempt('uncover-secret', `sh -c 'umount ${etc}/token; grep -q file-secret ${etc}/token'`),
    attempt('system-write', `sh -c 'mount -o remount,rw /etc; touch ${etc}/written'`),
    'echo cached > "$HOME/cache-marker"',
    'exit 1',
    '',
  ].join('\n');
}

async function setUp(kind: 'bwrap' | 'none'): Promise<{ config: string; state: string }> {
  const config = join(etc, `config-${kind}`);
  const state = join(work, `state-${kind}`);
  const repo = await createRepo(server, `hostile-${kind}`, { 'hostile.sh': { content: hostileScript(state, config), mode: 0o755 } });
  const hang = await createRepo(server, `hang-${kind}`, {
    // setsid leaves the process group: only the PID namespace can still end it at the deadline.
    'hang.sh': { content: `#!/bin/sh\nsetsid sh -c 'exec -a ${HANG_MARK}-${kind} sleep 300' &\nsleep 300\n`, mode: 0o755 },
  });
  const pipeline = (url: string, test: string, extra: string) =>
    `repo: ${url}\ntest: [${test}]\n${extra}deploy: { path: /srv/unused }\nenvironments: [{ name: staging, hosts: [web1] }]\n`;
  await writeConfigFolder(config, {
    'slipway.yaml': `stateDir: ${state}\nsandbox: ${kind}\nssh: { identity: ${work}/id_ed25519, knownHosts: ${work}/known_hosts }\n`,
    'hosts.yaml': `web1: { address: 127.0.0.1, user: deploy, env: { TOKEN: "\${env:HOSTILE_MARK}", KEY: "\${file:${etc}/token}" } }\n`,
    'pipelines/hostile.yaml': pipeline(repo.url, './hostile.sh', kind === 'bwrap' ? 'network: false\ntimeout: 1m\n' : 'timeout: 1m\n'),
    'pipelines/hang.yaml': pipeline(hang.url, './hang.sh', 'timeout: 2s\n'),
  });
  await mkdir(join(state, 'inbox'), { recursive: true });
  await mkdir(join(state, 'work', 'other', '1'), { recursive: true });
  await writeFile(join(state, 'work', 'other', '1', 'secret.txt'), 'another pipeline\'s checkout\n');
  return { config, state };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-sandbox-'));
  // Root (CI, this machine) can put them under /etc, a folder the sandbox shows read-only.
  etc = process.getuid?.() === 0 ? `/etc/slipway-sandbox-test-${process.pid}` : join(work, 'etc');
  await mkdir(etc, { recursive: true });
  await writeFile(join(etc, 'token'), 'file-secret-value\n');
  await writeFile(join(work, 'id_ed25519'), '-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n');
  await writeFile(join(work, 'known_hosts'), '');
  listener = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
  server = await startGitServer();
  const kinds = ['bwrap', 'none'] as const;
  const folders = await Promise.all(kinds.map(setUp));
  await Promise.all(kinds.map(async (kind, i) => {
    const { config, state } = folders[i]!;
    const validate = await runSlipway(['validate', '--config', config], { env: { HOSTILE_MARK: MARK_VALUE } });
    const r = await runSlipway(['once', '--config', config], { env: { HOSTILE_MARK: MARK_VALUE } });
    results.set(kind, { code: r.code, out: r.stdout + r.stderr, state, validate });
  }));
});

after(async () => {
  listener?.close();
  await server?.close();
  if (etc) await rm(etc, { recursive: true, force: true });
  if (work) await rm(work, { recursive: true, force: true });
});

async function attempts(kind: 'bwrap' | 'none'): Promise<Map<string, string>> {
  const result = results.get(kind)!;
  const log = await readFile(join(result.state, 'logs', 'hostile', '1', 'test-1.log'), 'utf8');
  const seen = new Map<string, string>();
  for (const m of log.matchAll(/^(ESCAPE|blocked) (\S+)$/gm)) seen.set(m[2]!, m[1]!);
  return seen;
}

test('under sandbox: none every escape of the hostile commit succeeds (the attempts are real)', async () => {
  const seen = await attempts('none');
  assert.deepEqual(Object.fromEntries(seen), Object.fromEntries(ATTEMPTS.map((a) => [a, 'ESCAPE'])));
  assert.ok(existsSync(join(results.get('none')!.state, 'inbox', 'approve-hostile-1.json')));
});

test('under bwrap every escape of the hostile commit fails', async () => {
  const seen = await attempts('bwrap');
  assert.deepEqual(Object.fromEntries(seen), Object.fromEntries(ATTEMPTS.map((a) => [a, 'blocked'])));
  const state = results.get('bwrap')!.state;
  assert.equal(existsSync(join(state, 'inbox', 'approve-hostile-1.json')), false);
  // HOME is the pipeline's cache folder, writable and kept.
  assert.equal(await readFile(join(state, 'cache', 'home', 'hostile', 'cache-marker'), 'utf8'), 'cached\n');
  const log = await readFile(join(state, 'logs', 'hostile', '1', 'test-1.log'), 'utf8');
  assert.match(log, /^sandbox: bwrap /m);
});

test('under bwrap the whole process tree is killed at the deadline, a setsid escapee too', async () => {
  const r = results.get('bwrap')!;
  const run1 = JSON.parse(await readFile(join(r.state, 'runs', 'hang', '1.json'), 'utf8'));
  assert.equal(run1.status, 'failed');
  assert.match(run1.stages[0].steps.at(-1).error, /timed out after 2s/);
  await waitFor(async () => !(await pgrep(`${HANG_MARK}-bwrap`)), { timeoutMs: 10_000, what: 'the setsid sleeper to be gone' });
  // Without the PID namespace the escapee outlives the run (what the sandbox adds); clean it up.
  const left = await run('pgrep', ['-f', `${HANG_MARK}-none`]).then((r) => r.stdout.split('\n').filter(Boolean), () => []);
  for (const pid of left) process.kill(Number(pid), 'SIGKILL');
});

test('the none run says in the step log that test commands are not isolated', async () => {
  const log = await readFile(join(results.get('none')!.state, 'logs', 'hostile', '1', 'test-1.log'), 'utf8');
  assert.match(log, /^sandbox: none\nwarning: sandbox: none: test commands run as this user/m);
});

async function pgrep(pattern: string): Promise<boolean> {
  try {
    await run('pgrep', ['-f', pattern]);
    return true;
  } catch {
    return false;
  }
}

test('validate names the sandbox in force; none is a warning on stderr', () => {
  const bwrap = results.get('bwrap')!.validate;
  assert.equal(bwrap.stdout, 'config OK: 2 pipelines, 1 host\nsandbox: bwrap (test commands see only their workspace, a private /tmp and a per-pipeline HOME)');
  assert.equal(bwrap.stderr, '');
  const none = results.get('none')!.validate;
  assert.equal(none.stdout, 'config OK: 2 pipelines, 1 host');
  assert.equal(none.stderr, 'warning: sandbox: none: test commands run as this user and can read the SSH identity, secret files and the state folder; set sandbox: auto and install bubblewrap (docs/securing.md)');
});
