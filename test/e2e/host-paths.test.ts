// One host in two environments of one pipeline, each with its own deploy path (staging and
// production on one box): host facts are kept per host and path, so `status` shows each
// environment what runs at its own path, not whichever deployed last.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { appFiles } from '../helpers/fixture-app.ts';

let server: GitServer;
let repo: TestRepo;
let host: TestHost;
let work: string;
let configDir: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-host-paths-'));
  server = await startGitServer();
  repo = await createRepo(server, 'app', appFiles, { message: 'v1' });
  const keys = await createTestKeys();
  host = await startTestHost(keys, { name: 'box' });
  configDir = join(work, 'config');
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile} }\n`,
    'hosts.yaml': `box: { address: 127.0.0.1, port: ${host.port}, user: ${host.user} }\n`,
    'pipelines/app.yaml': `repo: ${repo.url}\ntest: [./test.sh]\ndeploy: { path: ~/app-staging }\nenvironments:\n  - { name: staging, hosts: [box] }\n  - { name: production, hosts: [box], approval: manual, deploy: { path: ~/app-production } }\n`,
  });
});

after(async () => {
  await host?.stop();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test('status shows each environment of one host what runs at its own path', async () => {
  assert.equal((await runSlipway(['once', '--config', configDir])).code, 0);
  const v1 = repo.head;
  assert.equal((await runSlipway(['approve', 'app', '1', '--config', configDir])).code, 0);
  const v2 = await repo.commit({ CHANGES: 'v2\n' }, 'v2');
  assert.equal((await runSlipway(['once', '--config', configDir])).code, 0); // staging gets v2, production waits
  const s = await runSlipway(['status', '--json', '--config', configDir]);
  assert.equal(s.code, 0, s.stderr);
  const envs = JSON.parse(s.stdout).pipelines[0].environments as Array<{ name: string; hosts: Array<{ host: string; commit?: string }> }>;
  const on = (env: string) => envs.find((e) => e.name === env)!.hosts[0]!.commit;
  assert.equal(on('staging'), v2);
  assert.equal(on('production'), v1, 'production at its own path still runs v1');
  assert.equal((await readFile(join(host.root, 'app-production', 'current', 'REVISION'), 'utf8')).trim(), v1);
  const hostState = JSON.parse(await readFile(join(work, 'state', 'hosts', 'box.json'), 'utf8'));
  assert.deepEqual(Object.keys(hostState.paths).sort(), ['~/app-production', '~/app-staging']);
  assert.equal(hostState.paths['~/app-production'].current.commit, v1);
});
