import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readCommitInfo, resolveCommit } from '../../src/git/commit.ts';
import { fetchMirror } from '../../src/git/mirror.ts';
import { createRepo, git, type TestRepo } from '../helpers/git-repo.ts';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';

const MESSAGE = [
  'Fix "quoted" and \'single\' things; $(rm -rf /) `id`',
  '',
  'Ünïcödé ✓ 日本語 🚀',
  '  indented line with trailing spaces   ',
  '# a line git would strip without --cleanup=verbatim',
  '<script>alert(1)</script>',
  '',
].join('\n');

describe('readCommitInfo and resolveCommit', () => {
  let server: GitServer;
  let repo: TestRepo;
  let temp: string;
  let gitdir: string;
  let sha: string;

  before(async () => {
    server = await startGitServer();
    repo = await createRepo(server, 'app', { 'a.txt': 'a' });
    sha = await repo.commit({ 'b.txt': 'b' }, MESSAGE, { author: { name: 'Zoë "Z" Ångström', email: 'zoe@example.invalid' } });
    temp = await mkdtemp(join(tmpdir(), 'slipway-commit-test-'));
    gitdir = join(temp, 'mirror.git');
    await fetchMirror({ remote: { url: repo.url, branch: 'main' }, gitdir });
  });
  after(async () => {
    await server.close();
    await rm(temp, { recursive: true, force: true });
  });

  it('keeps the message exactly as git stores it', async () => {
    const info = await readCommitInfo(gitdir, sha);
    assert.equal(info.id, sha);
    assert.equal(info.message, MESSAGE);
    const raw = await git(gitdir, ['cat-file', 'commit', sha]);
    assert.equal(`${raw}\n`.slice(raw.indexOf('\n\n') + 2), MESSAGE);
    assert.deepEqual(info.author, { name: 'Zoë "Z" Ångström', email: 'zoe@example.invalid' });
    const authorTime = Number(await git(gitdir, ['log', '-1', '--format=%at', sha]));
    assert.equal(info.time, new Date(authorTime * 1000).toISOString());
  });

  it('resolves a prefix to the full id', async () => {
    assert.equal(await resolveCommit(gitdir, sha.slice(0, 7)), sha);
    assert.equal(await resolveCommit(gitdir, sha.toUpperCase()), sha);
  });

  it('refuses ids that are unknown, malformed or not commits', async () => {
    const tree = await git(gitdir, ['rev-parse', `${sha}^{tree}`]);
    const cases: Array<[string, string]> = [
      ['0000000', `commit 0000000 not found in the mirror ${gitdir}`],
      ['f'.repeat(40), `commit ${'f'.repeat(40)} not found in the mirror ${gitdir}`],
      ['main', '"main" is not a commit id (4 to 40 hex digits)'],
      ['abc', '"abc" is not a commit id (4 to 40 hex digits)'],
      [tree, `${tree} is not a commit`],
    ];
    for (const [input, message] of cases) {
      await assert.rejects(resolveCommit(gitdir, input), { name: 'GitError', message }, input);
    }
  });
});
