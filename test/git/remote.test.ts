import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GitError } from '../../src/errors.ts';
import { maskUrl, readRemoteHead } from '../../src/git/remote.ts';
import { createRepo, type TestRepo } from '../helpers/git-repo.ts';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';

const TOKEN = 'tok-3f9a7c1e-secret';

async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}/app.git`;
}

async function gitError(promise: Promise<unknown>): Promise<GitError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof GitError, `expected GitError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a GitError');
}

describe('readRemoteHead', () => {
  let open: GitServer;
  let locked: GitServer;
  let repo: TestRepo;
  let privateRepo: TestRepo;

  before(async () => {
    open = await startGitServer();
    locked = await startGitServer({ token: TOKEN });
    repo = await createRepo(open, 'app', { 'a.txt': 'a\n' });
    await repo.commit({ 'b.txt': 'b\n' }, 'second');
    privateRepo = await createRepo(locked, 'private', { 'a.txt': 'secret\n' }, { branch: 'release' });
  });
  after(async () => {
    await open.close();
    await locked.close();
  });

  it('returns the sha of the branch head', async () => {
    assert.equal(await readRemoteHead({ url: repo.url, branch: 'main' }), repo.head);
  });

  it('sees a push at once', async () => {
    const sha = await repo.commit({ 'c.txt': 'c\n' }, 'third');
    assert.equal(await readRemoteHead({ url: repo.url, branch: 'main' }), sha);
  });

  it('authenticates with a token', async () => {
    const head = await readRemoteHead({
      url: privateRepo.url,
      branch: 'release',
      auth: { username: 'x-access-token', token: TOKEN },
    });
    assert.equal(head, privateRepo.head);
  });

  it('pins plain error messages, never with the token', async () => {
    const cases: Array<{ name: string; url: string; branch?: string; token?: string; message: string }> = [
      { name: 'unknown branch', url: repo.url, branch: 'nope', message: `branch "nope" not found in ${repo.url}` },
      {
        name: 'bad token',
        url: privateRepo.url,
        branch: 'release',
        token: 'wrong-token-123',
        message: `authentication failed (HTTP 401) for ${privateRepo.url}; check auth.token`,
      },
      {
        name: 'no token',
        url: privateRepo.url,
        branch: 'release',
        message: `authentication required (HTTP 401) for ${privateRepo.url}; set auth.token`,
      },
      {
        name: 'credentials in the url',
        url: privateRepo.url.replace('http://', 'http://x-access-token:url-secret-99@'),
        branch: 'release',
        message: `authentication failed (HTTP 401) for ${privateRepo.url.replace('http://', 'http://***@')}; check the credentials in the URL`,
      },
      { name: 'no such repo', url: open.repoUrl('missing'), message: `repository not found (HTTP 404) at ${open.repoUrl('missing')}` },
      { name: 'ssh url', url: 'git@example.invalid:acme/app.git', message: 'unsupported remote git@example.invalid:acme/app.git: slipway fetches over http(s) only' },
    ];
    for (const c of cases) {
      const auth = c.token ? { username: 'x-access-token', token: c.token } : undefined;
      const err = await gitError(readRemoteHead({ url: c.url, branch: c.branch ?? 'main', ...(auth ? { auth } : {}) }));
      assert.equal(err.message, c.message, c.name);
      for (const secret of ['wrong-token-123', 'url-secret-99', TOKEN]) assert.ok(!err.message.includes(secret), c.name);
    }
  });

  it('says "cannot reach" when nothing listens', async () => {
    const url = await closedPortUrl();
    const err = await gitError(readRemoteHead({ url, branch: 'main' }));
    assert.equal(err.message, `cannot reach ${url}: ECONNREFUSED`);
  });
});

describe('maskUrl', () => {
  it('hides credentials and leaves other urls alone', () => {
    assert.equal(maskUrl('https://u:p@git.example.com/a.git'), 'https://***@git.example.com/a.git');
    assert.equal(maskUrl('https://tok@git.example.com/a.git'), 'https://***@git.example.com/a.git');
    assert.equal(maskUrl('https://git.example.com/a.git'), 'https://git.example.com/a.git');
  });
});
