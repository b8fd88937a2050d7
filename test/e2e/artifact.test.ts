// Build once, deploy the artifact (issue 11), on two real OpenSSH hosts: a build producing files
// not in git reaches staging and production as byte-identical releases without repo/; production
// gets the sha256 staging got; `deploy --commit` of an older commit ships its old artifact; and a
// test-only pipeline ends passed, then failed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { createRepo, git, type TestRepo } from '../helpers/git-repo.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';
import { runSlipway, writeConfigFolder } from '../helpers/slipway-cli.ts';
import { startForgeFake, type ForgeFake } from '../helpers/forge-fake.ts';

let server: GitServer;
let repo: TestRepo;
let hosts: TestHost[];
let forge: ForgeFake;
let downUrl: string;
let work: string;
let configDir: string;
let stateDir: string;
const cli = (...args: string[]) => runSlipway([...args, '--config', configDir]);
const readJson = async (p: string) => JSON.parse(await readFile(p, 'utf8'));
const run = (pipeline: string, n: number) => readJson(join(stateDir, 'runs', pipeline, `${n}.json`));
const onHost = (h: TestHost, ...p: string[]) => readFile(join(h.root, 'art', 'current', ...p), 'utf8');

// The build writes a file git does not have, different on every build: identical bytes on two
// hosts prove one build, not one per host.
const BUILD = 'mkdir -p dist && od -An -N16 -tx1 /dev/urandom > dist/stamp && cp app.txt dist/app.txt\n';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-e2e-artifact-'));
  server = await startGitServer();
  repo = await createRepo(server, 'app', { 'app.txt': 'v1\n', 'build.sh': BUILD, 'check.sh': 'grep -q ok verdict.txt\n', 'verdict.txt': 'ok\n' }, { message: 'v1' });
  forge = await startForgeFake();
  const down = await startForgeFake();
  downUrl = down.url;
  await down.close();
  const keys = await createTestKeys();
  hosts = [await startTestHost(keys, { name: 'web1' }), await startTestHost(keys, { name: 'web2' })];
  for (const h of hosts) {
    await mkdir(join(h.root, 'mig', 'shared', 'conf'), { recursive: true });
    await writeFile(join(h.root, 'mig', 'shared', '.env'), `SECRET_OF=${h.name}\n`);
    await writeFile(join(h.root, 'mig', 'shared', 'conf', 'app.ini'), 'x=1\n');
  }
  configDir = join(work, 'config');
  stateDir = join(work, 'state');
  await writeConfigFolder(configDir, {
    'slipway.yaml': `stateDir: ../state\nconcurrency: 2\nsandbox: none\nreport: { url: "https://ci.example/slipway/" }\nssh: { identity: ${keys.identityFile}, knownHosts: ${keys.knownHostsFile}, connectTimeout: 5s }\n`,
    // OTHER: the other host's deploy folder, so a once step can see that host has not switched yet.
    'hosts.yaml': hosts.map((h, i) => `${h.name}: { address: 127.0.0.1, port: ${h.port}, user: ${h.user}, env: { OTHER: "${join(hosts[1 - i]!.root, 'mig')}" } }\n`).join(''),
    'pipelines/art.yaml':
      `repo: ${repo.url}\nbranches: [main, "feature/*"]\ntest: ["test -f app.txt"]\nbuild: [sh build.sh]\nartifact: { paths: [dist, app.txt] }\n` +
      `status: { forge: github, api: "${forge.url}", repo: acme/app, token: gh-secret }\n` +
      'deploy: { path: ~/art, source: artifact }\nenvironments:\n  - { name: staging, hosts: [web1] }\n  - { name: production, hosts: [web2] }\n',
    'pipelines/mig.yaml':
      `repo: ${repo.url}\ntest: []\n` +
      'deploy:\n  path: ~/mig\n  source: upload\n  shared: [.env, storage/, conf/app.ini]\n' +
      '  steps:\n    - cat .env > env-seen\n    - { run: "test \\"$(readlink $OTHER/current)$(readlink ../../current)\\" = \\"${SLIPWAY_PREVIOUS:+releases/$SLIPWAY_PREVIOUS}${SLIPWAY_PREVIOUS:+releases/$SLIPWAY_PREVIOUS}\\" && echo $SLIPWAY_HOST >> ../../shared/storage/migrated", once: true }\n' +
      'environments: [{ name: prod, hosts: [web1, web2] }]\n',
    'pipelines/lib.yaml': `repo: ${repo.url}\ntest: [sh check.sh]\nstatus: { forge: gitea, api: "${downUrl}", repo: acme/app, token: t }\n`,
  });
});

after(async () => {
  for (const h of hosts ?? []) await h.stop();
  await forge?.close();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

let firstSha = '';
let firstStamp = '';

test('a built artifact reaches staging and production byte for byte; a test-only pipeline passes', async () => {
  const r = await cli('once');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const art = await run('art', 1);
  assert.equal(art.status, 'deployed');
  assert.deepEqual(art.stages.map((s: { name: string }) => s.name), ['test', 'build', 'deploy:staging', 'deploy:production']);
  const packed = await readFile(join(stateDir, 'artifacts', 'art', '1.tar.gz'));
  assert.equal(art.artifact.sha256, createHash('sha256').update(packed).digest('hex'));
  assert.equal(art.artifact.bytes, packed.length);
  assert.equal(art.artifact.files, 3, 'dist/stamp, dist/app.txt, app.txt');
  firstSha = art.artifact.sha256;
  firstStamp = await onHost(hosts[0]!, 'dist', 'stamp');
  for (const h of hosts) {
    assert.equal(await onHost(h, 'dist', 'stamp'), firstStamp);
    assert.equal((await onHost(h, 'ARTIFACT')).trim(), firstSha);
    assert.equal((await onHost(h, 'REVISION')).trim(), repo.head);
    assert.equal(existsSync(join(h.root, 'art', 'repo')), false, 'no git on an artifact host');
    assert.equal(existsSync(join(h.root, 'art', 'current', 'build.sh')), false, 'only the artifact paths');
  }
  // deploy.shared and a once step: linked before steps; the migration ran once, on web1, before
  // either host switched.
  assert.equal((await run('mig', 1)).status, 'deployed');
  for (const h of hosts) {
    const release = join(h.root, 'mig', 'current');
    assert.equal(await readlink(join(release, '.env')), join(h.root, 'mig', 'shared', '.env'));
    assert.equal(await readFile(join(release, 'env-seen'), 'utf8'), `SECRET_OF=${h.name}\n`);
    assert.equal(await readlink(join(release, 'conf', 'app.ini')), join(h.root, 'mig', 'shared', 'conf', 'app.ini'));
  }
  assert.equal(await readFile(join(hosts[0]!.root, 'mig', 'shared', 'storage', 'migrated'), 'utf8'), 'web1\n');
  assert.equal(existsSync(join(hosts[1]!.root, 'mig', 'shared', 'storage', 'migrated')), false);

  const lib = await run('lib', 1);
  assert.equal(lib.status, 'passed');
  assert.deepEqual(lib.stages.map((s: { name: string }) => s.name), ['test']);

  // Commit statuses: pending, then the test result, then one per deployed environment.
  const posted = forge.requests.map((r) => [r.path, r.headers.authorization, (r.body as { context: string; state: string }).context, (r.body as { state: string }).state]);
  const path = `/repos/acme/app/statuses/${repo.head}`;
  assert.deepEqual(posted, [
    [path, 'Bearer gh-secret', 'slipway/test', 'pending'],
    [path, 'Bearer gh-secret', 'slipway/test', 'success'],
    [path, 'Bearer gh-secret', 'slipway/deploy/staging', 'success'],
    [path, 'Bearer gh-secret', 'slipway/deploy/production', 'success'],
  ]);
  assert.equal((forge.requests[0]!.body as { target_url: string }).target_url, 'https://ci.example/slipway/runs/art/1.html');
  // A forge that is down changes nothing in the run; the run page says what was not posted.
  assert.match(r.stderr, new RegExp(`lib #1: commit status not posted: cannot reach ${downUrl}: ECONNREFUSED`));
  const page = await readFile(join(stateDir, 'www', 'runs', 'lib', '1.html'), 'utf8');
  assert.match(page, /Commit statuses/);
  assert.match(page, /not posted: cannot reach/);
  const artPage = await readFile(join(stateDir, 'www', 'runs', 'art', '1.html'), 'utf8');
  assert.ok(artPage.includes(`sha256:${firstSha}`), 'the artifact is on the run page');
  assert.ok(!artPage.includes('gh-secret'));
});

test('a new commit is built anew; deploy --commit of the old one ships its old artifact, not a rebuild', async () => {
  const first = repo.head;
  await repo.commit({ 'app.txt': 'v2\n', 'verdict.txt': 'no\n' }, 'v2');
  const r = await cli('once');
  assert.equal(r.code, 1, 'lib fails on v2');
  assert.equal((await run('lib', 2)).status, 'failed');
  const second = await run('art', 2);
  assert.equal(second.status, 'deployed');
  assert.notEqual(second.artifact.sha256, firstSha);
  assert.equal(await onHost(hosts[1]!, 'dist', 'app.txt'), 'v2\n');

  const d = await cli('deploy', 'art', '--env', 'production', '--commit', first);
  assert.equal(d.code, 0, d.stdout + d.stderr);
  const third = await run('art', 3);
  assert.equal(third.status, 'deployed');
  assert.equal(third.artifact.sha256, firstSha);
  assert.equal(third.artifact.run, 1);
  assert.ok(!third.stages.some((s: { name: string }) => s.name === 'build'), 'never rebuilt');
  assert.equal(await onHost(hosts[1]!, 'dist', 'stamp'), firstStamp);
  assert.equal((await onHost(hosts[1]!, 'ARTIFACT')).trim(), firstSha);
  assert.deepEqual((await readdir(join(stateDir, 'artifacts', 'art'))).sort(), ['1.tar.gz', '2.tar.gz']);

  // plan shows what `slipway deploy` (no --commit) would ship: the newest tested commit (v2,
  // built in run #2; a deploy run of an older commit tests nothing), and which pipeline is test-only.
  const plan = await cli('plan');
  assert.equal(plan.code, 0, plan.stderr);
  assert.ok(plan.stdout.includes(`artifact: slipway deploy would ship run #2's artifact of ${second.commit.id.slice(0, 7)}: sha256 ${second.artifact.sha256}, 3 files`), plan.stdout);
  assert.match(plan.stdout, /also tests \(never deploys\) branches: feature\/\*/);
  assert.match(plan.stdout, /lib: [^\n]*\n  remote: [^\n]*\n  test-only: no deploy and no environments/);
});

test('a feature branch is tested and built, never deployed; other branches are not run; a deleted branch is forgotten', async () => {
  const production = await onHost(hosts[1]!, 'ARTIFACT');
  const w = repo.workdir;
  await git(w, ['checkout', '-q', '-b', 'feature/a']);
  await git(w, ['commit', '-q', '--allow-empty', '-m', 'feature work']);
  await git(w, ['push', '-q', 'origin', 'feature/a']);
  const featureHead = (await git(w, ['rev-parse', 'HEAD'])).trim();
  await git(w, ['push', '-q', 'origin', 'HEAD:refs/heads/feature/b/deep', 'HEAD:refs/heads/other']);
  await git(w, ['checkout', '-q', 'main']);

  const r = await cli('once', 'art');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /art #4: new commit [0-9a-f]{7} on feature\/a/);
  const feature = await run('art', 4);
  assert.equal(feature.branch, 'feature/a');
  assert.equal(feature.commit.id, featureHead);
  assert.equal(feature.status, 'passed');
  assert.deepEqual(feature.stages.map((s: { name: string }) => s.name), ['test', 'build']);
  assert.equal(await onHost(hosts[1]!, 'ARTIFACT'), production, 'production untouched');
  assert.deepEqual(Object.keys((await readJson(join(stateDir, 'pipelines', 'art.json'))).branches), ['feature/a']);

  const again = await cli('once', 'art');
  assert.equal(again.code, 0);
  assert.deepEqual(await readdir(join(stateDir, 'runs', 'art')).then((f) => f.length), 4, 'nothing new on any branch');
  const status = JSON.parse(await readFile(join(stateDir, 'www', 'status.json'), 'utf8'));
  const art = status.pipelines.find((p: { name: string }) => p.name === 'art');
  assert.deepEqual(art.branches.map((b: { name: string; lastRun: { number: number; branch: string } }) => [b.name, b.lastRun.number, b.lastRun.branch]), [['main', 3, 'main'], ['feature/a', 4, 'feature/a']]);
  const badge = await readFile(join(stateDir, 'www', art.branches[1].badge), 'utf8');
  assert.match(badge, /art feature\/a: passing/);
  assert.match(await readFile(join(stateDir, 'www', 'pipelines', 'art', 'index.html'), 'utf8'), /on <code>feature\/a<\/code>/);

  // trigger --commit of a feature commit runs as that branch's run: tested and built, never deployed.
  const t = await cli('trigger', 'art', '--commit', featureHead);
  assert.equal(t.code, 0, t.stdout + t.stderr);
  const triggered = await run('art', 5);
  assert.equal(triggered.branch, 'feature/a');
  assert.equal(triggered.status, 'passed');
  assert.equal(await onHost(hosts[1]!, 'ARTIFACT'), production, 'production untouched by a feature commit');

  await git(w, ['push', '-q', 'origin', '--delete', 'feature/a']);
  await repo.commit({ 'app.txt': 'v3\n' }, 'v3');
  assert.equal((await cli('once', 'art')).code, 0);
  assert.equal((await run('art', 6)).branch, 'main');
  assert.equal((await readJson(join(stateDir, 'pipelines', 'art.json'))).branches?.['feature/a'], undefined, 'forgotten');
  const after = JSON.parse(await readFile(join(stateDir, 'www', 'status.json'), 'utf8')).pipelines.find((p: { name: string }) => p.name === 'art');
  assert.deepEqual(after.branches.map((b: { name: string }) => b.name), ['main'], 'a deleted branch leaves status.json too');
});
