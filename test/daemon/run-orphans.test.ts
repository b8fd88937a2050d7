// A run process that dies (kill -9, the OOM killer) must not leave its local commands running:
// a test step started in its own process group outlives its parent, and without a sandbox
// (`--die-with-parent`) nothing else would stop it. The daemon kills the groups the dead
// process had running before it records the run failed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo } from '../helpers/git-repo.ts';
import { writeConfigFolder } from '../helpers/slipway-cli.ts';
import { waitFor } from '../helpers/wait.ts';
import { jobProcesses, readRunFiles, startDaemon, type Daemon } from './daemon-process.ts';
import { daemonAppFiles } from './fixture.ts';

let server: GitServer;
let work: string;
let stateDir: string;
let gate: string;
let daemon: Daemon;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-run-orphans-'));
  gate = join(work, 'gate');
  await mkdir(gate);
  server = await startGitServer();
  const repo = await createRepo(server, 'app', { ...daemonAppFiles, hold: 'x\n' }, { message: 'held in its tests' });
  const configDir = join(work, 'config');
  stateDir = join(work, 'state');
  await writeConfigFolder(configDir, {
    // No sandbox: bwrap's --die-with-parent would stop the step on its own.
    'slipway.yaml': 'stateDir: ../state\nsandbox: none\n',
    'pipelines/app.yaml': `repo: ${repo.url}\npoll: "0 0 1 1 *"\ntest: [./test.sh]\n`,
  });
  daemon = startDaemon(configDir, { env: { TEST_GATE_DIR: gate } });
});

after(async () => {
  await writeFile(join(gate, 'go'), '').catch(() => undefined);
  await daemon?.stop('SIGKILL');
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Gone, or a zombie nobody reaped yet: either way it runs no more. */
async function stopped(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat === '' || stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
}

test('kill -9 of a run process in its test step: the step is killed too, the run fails, the daemon goes on', { timeout: 90_000 }, async () => {
  await waitFor(() => existsSync(join(gate, 'at-gate')), { timeoutMs: 60_000, what: `the run in its test step; log:\n${daemon.log()}` });
  const step = Number((await readFile(join(gate, 'pid'), 'utf8')).trim());
  const [child] = await jobProcesses(daemon.child.pid!);
  assert.ok(child, `a run process of the daemon; log:\n${daemon.log()}`);
  process.kill(child, 'SIGKILL');
  await waitFor(async () => (await readRunFiles(stateDir, 'app'))[0]?.status === 'failed', { timeoutMs: 30_000, what: `run #1 recorded failed; log:\n${daemon.log()}` });
  const [run] = await readRunFiles(stateDir, 'app');
  assert.equal(run!.error, "the run's process died: killed by SIGKILL");
  await waitFor(() => stopped(step), { timeoutMs: 10_000, what: `the orphaned test step (pid ${step}) killed` });
  assert.equal(daemon.child.exitCode, null, 'the daemon goes on');
});
