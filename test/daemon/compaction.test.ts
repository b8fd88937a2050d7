// The daemon joins a mirror's packs after a poll that found nothing new: a mirror left with one
// pack per fetch (17 here, as weeks of polling leave it) is one pack after the daemon's first poll.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fetchMirror } from '../../src/git/mirror.ts';
import { listPacks } from '../../src/git/pack-compact.ts';
import { statePaths, writePipelineState } from '../../src/state/store.ts';
import { createRepo, git } from '../helpers/git-repo.ts';
import { startGitServer } from '../helpers/git-server.ts';
import { writeConfigFolder } from '../helpers/slipway-cli.ts';
import { waitFor } from '../helpers/wait.ts';
import { startDaemon, type Daemon } from './daemon-process.ts';

let daemon: Daemon | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  await daemon?.stop('SIGKILL');
  for (const c of cleanups.reverse()) await c();
});

test('the daemon compacts a mirror whose packs piled up, and the mirror stays whole', async () => {
  const work = await mkdtemp(join(tmpdir(), 'slipway-compact-daemon-'));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  const server = await startGitServer();
  cleanups.push(() => server.close());
  const repo = await createRepo(server, 'app', { 'README.md': 'v0\n' });
  const stateDir = join(work, 'state');
  const gitdir = statePaths(stateDir).git('app');
  let head = repo.head;
  await fetchMirror({ remote: { url: repo.url, branch: 'main' }, gitdir });
  for (let i = 1; i <= 16; i++) {
    head = await repo.commit({ [`f${i}.txt`]: `${i}\n` }, `c${i}`);
    await fetchMirror({ remote: { url: repo.url, branch: 'main' }, gitdir });
  }
  assert.equal((await listPacks(gitdir)).length, 17);
  // The head was seen already: the first poll finds nothing new.
  await writePipelineState(stateDir, { version: 1, pipeline: 'app', lastSeenCommit: head, nextRunNumber: 2, environments: {} });
  const configDir = join(work, 'config');
  // A host that is never reached: nothing new means no run.
  await writeFile(join(work, 'id_ed25519'), 'unused\n');
  await writeFile(join(work, 'known_hosts'), '');
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nssh: { identity: ${join(work, 'id_ed25519')}, knownHosts: ${join(work, 'known_hosts')} }\n`,
    'hosts.yaml': 'web1: { address: 127.0.0.1, user: deploy }\n',
    'pipelines/app.yaml': `repo: ${repo.url}\npoll: "0 0 1 1 *"\ntest: ["true"]\ndeploy: { path: ${join(work, 'app')} }\nenvironments: [{ name: production, hosts: [web1] }]\n`,
  });
  daemon = startDaemon(configDir);
  const started = daemon;
  await waitFor(async () => (await listPacks(gitdir)).length === 1, { timeoutMs: 30_000, what: 'one pack in the mirror' }).catch((err: Error) => {
    throw new Error(`${err.message}; daemon log:\n${started.log()}`);
  });
  await git(gitdir, ['fsck', '--no-progress', '--no-dangling']);
  assert.equal(await git(gitdir, ['rev-parse', 'refs/heads/main']), head);
});
