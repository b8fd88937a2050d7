import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GitError } from '../../src/errors.ts';
import { readCommitInfo } from '../../src/git/commit.ts';
import { fetchMirror } from '../../src/git/mirror.ts';
import { createRepo, git, type TestRepo } from '../helpers/git-repo.ts';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';

const TOKEN = 'mirror-token-8c2d';

describe('fetchMirror', () => {
  let server: GitServer;
  let locked: GitServer;
  let repo: TestRepo;
  let temp: string;

  before(async () => {
    server = await startGitServer();
    locked = await startGitServer({ token: TOKEN });
    repo = await createRepo(server, 'app', { 'a.txt': 'one\n' });
    await repo.commit({ 'other.txt': 'x' }, 'on main');
    // A second branch and a tag that a single-branch fetch must leave behind.
    await git(repo.workdir, ['push', '-q', 'origin', 'HEAD:refs/heads/side']);
    await git(repo.workdir, ['tag', 'v1']);
    await git(repo.workdir, ['push', '-q', 'origin', 'v1']);
    temp = await mkdtemp(join(tmpdir(), 'slipway-mirror-test-'));
  });
  after(async () => {
    await server.close();
    await locked.close();
    await rm(temp, { recursive: true, force: true });
  });

  it('creates the mirror, then fetches only what is new', async () => {
    const gitdir = join(temp, 'app.git');
    const remote = { url: repo.url, branch: 'main' };

    const first = await fetchMirror({ remote, gitdir });
    assert.deepEqual(first, { head: repo.head, fetched: true });
    assert.equal(await git(gitdir, ['rev-parse', 'refs/heads/main']), repo.head);
    assert.equal(await git(gitdir, ['tag', '--list']), '', 'no tags fetched');
    assert.equal(await git(gitdir, ['for-each-ref', '--format=%(refname)', 'refs/heads']), 'refs/heads/main');
    // Native git agrees the mirror is whole.
    await git(gitdir, ['fsck', '--no-progress', '--no-dangling']);

    assert.deepEqual(await fetchMirror({ remote, gitdir }), { head: repo.head, fetched: false });

    const sha = await repo.commit({ 'a.txt': 'two\n' }, 'second');
    assert.deepEqual(await fetchMirror({ remote, gitdir }), { head: sha, fetched: true });
    assert.equal((await readCommitInfo(gitdir, sha)).message, 'second\n');
    assert.deepEqual(await fetchMirror({ remote, gitdir }), { head: sha, fetched: false });
  });

  it('follows a force-push', async () => {
    const gitdir = join(temp, 'forced.git');
    const forced = await createRepo(server, 'forced', { 'a.txt': '1' });
    const old = await forced.commit({ 'a.txt': '2' }, 'to be rewritten');
    await fetchMirror({ remote: { url: forced.url, branch: 'main' }, gitdir });
    await git(forced.workdir, ['reset', '-q', '--hard', 'HEAD~1']);
    await git(forced.workdir, ['commit', '-q', '--allow-empty', '-m', 'rewritten']);
    await git(forced.workdir, ['push', '-q', '-f', 'origin', 'HEAD:refs/heads/main']);
    const rewritten = await git(forced.workdir, ['rev-parse', 'HEAD']);
    assert.notEqual(rewritten, old);
    assert.deepEqual(await fetchMirror({ remote: { url: forced.url, branch: 'main' }, gitdir }), { head: rewritten, fetched: true });
    assert.equal(await git(gitdir, ['rev-parse', 'refs/heads/main']), rewritten);
  });

  it('fetches with a token and refuses a wrong one without showing it', async () => {
    const priv = await createRepo(locked, 'priv', { 'a.txt': 'p' }, { branch: 'release' });
    const gitdir = join(temp, 'priv.git');
    const good = { url: priv.url, branch: 'release', auth: { username: 'x-access-token', token: TOKEN } };
    assert.deepEqual(await fetchMirror({ remote: good, gitdir }), { head: priv.head, fetched: true });

    const bad = { ...good, auth: { username: 'x-access-token', token: 'not-the-token-42' } };
    await assert.rejects(fetchMirror({ remote: bad, gitdir: join(temp, 'priv2.git') }), (err: unknown) => {
      assert.ok(err instanceof GitError);
      assert.equal(err.message, `authentication failed (HTTP 401) for ${priv.url}; check auth.token`);
      assert.ok(!err.message.includes('not-the-token-42'));
      return true;
    });
  });

  it('reports an unknown branch and leaves the mirror as it was', async () => {
    const gitdir = join(temp, 'app.git');
    const headBefore = await readFile(join(gitdir, 'HEAD'), 'utf8');
    await assert.rejects(fetchMirror({ remote: { url: repo.url, branch: 'nope' }, gitdir }), {
      name: 'GitError',
      message: `branch "nope" not found in ${repo.url}`,
    });
    assert.equal(await readFile(join(gitdir, 'HEAD'), 'utf8'), headBefore);
  });
});
