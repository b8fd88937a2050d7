// configRepo: the daemon polls its own config repository and reloads on a new commit; a commit
// whose config fails validation is rejected with located errors and the running config stays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { writeConfigFolder } from '../helpers/slipway-cli.ts';
import { startDaemon, type Daemon } from './daemon-process.ts';

let server: GitServer;
let app: TestRepo;
let cfg: TestRepo;
let work: string;
let daemon: Daemon | undefined;

const pipeline = () => `repo: ${app.url}\npoll: "0 0 1 1 *"\ntest: ["true"]\ndeploy: { path: /srv/app }\nenvironments: [{ name: prod, hosts: [web1], approval: manual }]\n`;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-config-repo-'));
  server = await startGitServer();
  app = await createRepo(server, 'app', { 'README.md': 'app\n' });
  cfg = await createRepo(server, 'cfg', {
    'slipway.yaml': 'stateDir: /ignored/in/a/config/repo\nconcurrency: 1\n',
    'hosts.yaml': 'web1: { address: 127.0.0.1, port: 1, user: deploy }\n',
    'pipelines/one.yaml': pipeline(),
  }, { message: 'one pipeline' });
  await writeConfigFolder(join(work, 'config'), {
    'slipway.yaml': `stateDir: ../state\nconfigRepo: { repo: ${cfg.url}, poll: "* * * * * *" }\n`,
  });
});

after(async () => {
  await daemon?.stop('SIGKILL');
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

test('the daemon follows its config repo: a valid commit reloads, a broken one is rejected and the old config keeps running', async () => {
  daemon = startDaemon(join(work, 'config'));
  await daemon.waitLog(new RegExp(`slipway run: 1 pipeline, concurrency 1 from config repo at ${cfg.head.slice(0, 7)}, state ${join(work, 'state')}`), 'start from the config repo');
  await daemon.waitLog(/one #1: waiting|waiting for approval to deploy to prod/, 'the first run of pipeline one');

  const broken = await cfg.commit({ 'pipelines/two.yaml': `${pipeline()}retries: 3\n` }, 'a typo');
  await daemon.waitLog(new RegExp(`<3>config rejected \\(config repo commit ${broken.slice(0, 7)}\\); the running config stays:\\n<3>\\s+\\S*config-repo\\.candidate/pipelines/two\\.yaml:6:1: .*retries`), 'the rejection');

  const good = await cfg.commit({ 'pipelines/two.yaml': pipeline() }, 'fixed');
  await daemon.waitLog(new RegExp(`config reloaded \\(config repo commit ${good.slice(0, 7)}\\) from config repo at ${good.slice(0, 7)}: 2 pipelines`), 'the reload');
  await daemon.waitLog(/two #1: waiting|two #1 waiting for approval/, 'the new pipeline polled at once');
  assert.equal(await daemon.stop('SIGTERM'), 0, daemon.log());
  assert.equal((daemon.log().match(/config rejected/g) ?? []).length, 1, 'a rejected commit is said once, not every poll');
});
