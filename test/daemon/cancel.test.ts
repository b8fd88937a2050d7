// `slipway cancel` of a run the daemon is running: its test step is killed, the run ends
// `cancelled` (a final status), the command prints it and exits 0; the daemon goes on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { waitFor } from '../helpers/wait.ts';
import { readRunFiles, startDaemon, type Daemon } from './daemon-process.ts';
import { daemonAppFiles } from './fixture.ts';

let server: GitServer;
let repo: TestRepo;
let work: string;
let configDir: string;
let stateDir: string;
let gate: string;
let daemon: Daemon;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-cancel-'));
  gate = join(work, 'gate');
  await mkdir(gate);
  server = await startGitServer();
  repo = await createRepo(server, 'app', { ...daemonAppFiles, hold: 'x\n' }, { message: 'held in its tests' });
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  await writeConfigFolder(configDir, {
    // The step waits at a gate outside any sandbox.
    'slipway.yaml': 'stateDir: ../state\nsandbox: none\n',
    'hosts.yaml': 'web1: { address: 127.0.0.1, port: 9, user: nobody }\n',
    'pipelines/app.yaml': `repo: ${repo.url}\npoll: "0 0 1 1 *"\ntest: [./test.sh]\ndeploy: { path: /srv/app }\nenvironments: [{ name: production, hosts: [web1], approval: manual }]\n`,
  });
  daemon = startDaemon(configDir, { env: { TEST_GATE_DIR: gate } });
});

after(async () => {
  await writeFile(join(gate, 'go'), '').catch(() => undefined);
  await daemon?.stop('SIGKILL');
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test('cancel of a running run: its step is killed, the run ends cancelled, the daemon goes on', { timeout: 90_000 }, async () => {
  await waitFor(() => existsSync(join(gate, 'at-gate')), { timeoutMs: 60_000, what: 'the run in its test step' });
  const pid = Number((await readFile(join(gate, 'pid'), 'utf8')).trim());
  const [run] = await readRunFiles(stateDir, 'app');
  const r = await runSlipway(['cancel', 'app', String(run!.number), '--config', configDir]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /app: cancel of #1 handed to the running daemon/);
  assert.match(r.stdout, /^app #1: cancelled \(cancelled by \S+ \(tests failed\)\)$/m);
  const [after] = await readRunFiles(stateDir, 'app');
  assert.equal(after!.status, 'cancelled');
  await waitFor(async () => (await readFile(`/proc/${pid}/stat`, 'utf8').then((t) => t.slice(t.lastIndexOf(')') + 2, t.lastIndexOf(')') + 3), () => 'gone')).match(/^(gone|Z)$/) !== null, { timeoutMs: 10_000, what: 'the test step killed' });
  assert.equal(daemon.child.exitCode, null, 'the daemon goes on');
  assert.match(daemon.log(), /app #1 cancelled by \S+: stopping it/);
});
