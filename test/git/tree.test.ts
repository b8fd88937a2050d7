import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fetchMirror } from '../../src/git/mirror.ts';
import { writeTree } from '../../src/git/tree.ts';
import { createRepo, git, type TestRepo } from '../helpers/git-repo.ts';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';

const IDENTITY = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t.invalid' };
const WEIRD = 'with space ü $(x) `y` ;z.txt';

describe('writeTree', () => {
  let server: GitServer;
  let repo: TestRepo;
  let temp: string;
  let gitdir: string;

  before(async () => {
    server = await startGitServer();
    repo = await createRepo(server, 'app', {
      'README.md': '# app\n',
      'bin/run': { content: '#!/bin/sh\necho run\n', mode: 0o755 },
      'link-to-readme': { content: 'README.md', mode: 0o120000 },
      'dangling': { content: '../../outside', mode: 0o120000 },
      'a/b/c/deep.txt': 'deep\n',
      'empty': '',
      [WEIRD]: 'weird\n',
      'binary.bin': Buffer.from([0, 1, 2, 255, 254, 0]),
    });
    temp = await mkdtemp(join(tmpdir(), 'slipway-tree-test-'));
    gitdir = join(temp, 'mirror.git');
    await fetchMirror({ remote: { url: repo.url, branch: 'main' }, gitdir });
  });
  after(async () => {
    await server.close();
    await rm(temp, { recursive: true, force: true });
  });

  it('reproduces files, exec bits, symlinks and nested folders, leaving the mirror alone', async () => {
    const headFile = await readFile(join(gitdir, 'HEAD'), 'utf8');
    const dir = join(temp, 'out');
    assert.deepEqual(await writeTree({ gitdir, sha: repo.head, dir }), { files: 8 });

    assert.equal(await readFile(join(dir, 'README.md'), 'utf8'), '# app\n');
    assert.equal(await readFile(join(dir, 'a/b/c/deep.txt'), 'utf8'), 'deep\n');
    assert.equal(await readFile(join(dir, 'empty'), 'utf8'), '');
    assert.equal(await readFile(join(dir, WEIRD), 'utf8'), 'weird\n');
    assert.deepEqual(await readFile(join(dir, 'binary.bin')), Buffer.from([0, 1, 2, 255, 254, 0]));
    assert.equal((await lstat(join(dir, 'bin/run'))).mode & 0o111, 0o111);
    assert.equal((await lstat(join(dir, 'README.md'))).mode & 0o111, 0);
    assert.ok((await lstat(join(dir, 'link-to-readme'))).isSymbolicLink());
    assert.equal(await readlink(join(dir, 'link-to-readme')), 'README.md');
    assert.equal(await readlink(join(dir, 'dangling')), '../../outside');
    assert.deepEqual((await readdir(dir)).sort(), ['README.md', 'a', 'bin', 'binary.bin', 'dangling', 'empty', 'link-to-readme', WEIRD].sort());

    assert.equal(await readFile(join(gitdir, 'HEAD'), 'utf8'), headFile);
    await assert.rejects(lstat(join(gitdir, 'index')), { code: 'ENOENT' });
  });

  it('matches native git file for file, also for two commits written at once', async () => {
    const first = repo.head;
    const second = await repo.commit({ 'README.md': '# v2\n', 'a/new.txt': 'new' }, 'v2');
    await fetchMirror({ remote: { url: repo.url, branch: 'main' }, gitdir });
    const [one, two] = [join(temp, 'one'), join(temp, 'two')];
    await Promise.all([writeTree({ gitdir, sha: first, dir: one }), writeTree({ gitdir, sha: second, dir: two })]);
    assert.equal(await readFile(join(one, 'README.md'), 'utf8'), '# app\n');
    assert.equal(await readFile(join(two, 'README.md'), 'utf8'), '# v2\n');
    // `git add` in a scratch repo hashes exactly what was written, modes and links included.
    for (const [dir, sha] of [[one, first], [two, second]] as const) {
      await git(dir, ['init', '-q']);
      await git(dir, ['add', '-A']);
      assert.equal(await git(dir, ['write-tree']), await git(gitdir, ['rev-parse', `${sha}^{tree}`]));
    }
  });

  it('reads packs made by native git gc, delta chains included', async () => {
    // Many small edits to one big file: gc stores them as chains of deltas against each other.
    const chains = await createRepo(server, 'chains', { 'a.txt': 'a' });
    let body = Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(i % 70)}`).join('\n');
    for (let i = 0; i < 12; i++) {
      body = body.replace(`line ${i * 30} `, `line ${i * 30} edited ${i} `);
      await chains.commit({ 'big.txt': `${body}\n`, [`n/${i}.txt`]: `${i}` }, `edit ${i}`);
    }
    await git(chains.bare, ['gc', '-q', '--aggressive']);
    const dir = join(temp, 'from-native-pack');
    await writeTree({ gitdir: chains.bare, sha: chains.head, dir });
    assert.equal(await readFile(join(dir, 'big.txt'), 'utf8'), `${body}\n`);
    await git(dir, ['init', '-q']);
    await git(dir, ['add', '-A']);
    assert.equal(await git(dir, ['write-tree']), await git(chains.bare, ['rev-parse', `${chains.head}^{tree}`]));
    // An older commit resolves through the same chains.
    const older = await git(chains.bare, ['rev-parse', `${chains.head}~6`]);
    const olderDir = join(temp, 'from-native-pack-older');
    await writeTree({ gitdir: chains.bare, sha: older, dir: olderDir });
    assert.equal(await readFile(join(olderDir, 'big.txt'), 'utf8'), `${await git(chains.bare, ['show', `${older}:big.txt`])}\n`);
    // Deltas that name their base by id (REF_DELTA) instead of by offset.
    await git(chains.bare, ['-c', 'repack.useDeltaBaseOffset=false', 'repack', '-a', '-d', '-f', '-q']);
    const refDir = join(temp, 'from-ref-delta-pack');
    await writeTree({ gitdir: chains.bare, sha: older, dir: refDir });
    assert.equal(await readFile(join(refDir, 'big.txt'), 'utf8'), await readFile(join(olderDir, 'big.txt'), 'utf8'));
  });

  it('refuses a folder that is not empty', async () => {
    const dir = join(temp, 'busy');
    await mkdir(dir);
    await writeFile(join(dir, 'keep'), 'x');
    await assert.rejects(writeTree({ gitdir, sha: repo.head, dir }), {
      name: 'GitError',
      message: `cannot write the tree into ${dir}: the folder is not empty`,
    });
  });

  it('refuses hostile paths before writing anything', async () => {
    await writeFile(join(temp, 'empty-file'), '');
    const blob = await git(gitdir, ['hash-object', '-w', join(temp, 'empty-file')]);
    const names = ['..', '.git', '.GIT', 'a/../../escape'];
    for (const name of names) {
      const tree = await mktree(gitdir, `100644 blob ${blob}\t${name}\n`);
      const nested = await mktree(gitdir, `040000 tree ${tree}\tsub\n`);
      const commit = await git(gitdir, ['commit-tree', nested, '-m', 'hostile'], IDENTITY);
      const dir = join(temp, `hostile-${names.indexOf(name)}`);
      await assert.rejects(writeTree({ gitdir, sha: commit, dir }), (err: Error) => {
        assert.equal(err.name, 'GitError', name);
        assert.match(err.message, /unsafe path|cannot read the tree/, name);
        return true;
      });
      assert.deepEqual(await readdir(dir).catch(() => []), [], name);
    }
    // The same name twice could turn a folder into a symlink.
    const dup = await mktree(gitdir, `100644 blob ${blob}\tx\n100644 blob ${blob}\tx\n`);
    const commit = await git(gitdir, ['commit-tree', dup, '-m', 'dup'], IDENTITY);
    await assert.rejects(writeTree({ gitdir, sha: commit, dir: join(temp, 'dup') }), {
      name: 'GitError',
      message: 'refusing to write duplicate path "x" in the top folder',
    });
  });
});

/** Writes a raw tree object (git mktree would refuse these names). */
async function mktree(gitdir: string, listing: string): Promise<string> {
  const body: Buffer[] = [];
  for (const line of listing.split('\n').filter(Boolean)) {
    const [head, name] = line.split('\t') as [string, string];
    const [mode, , oid] = head.split(' ') as [string, string, string];
    body.push(Buffer.from(`${mode.replace(/^0/, '')} ${name}\0`), Buffer.from(oid, 'hex'));
  }
  const file = join(gitdir, `tree-${Date.now()}-${Math.random()}`);
  await writeFile(file, Buffer.concat(body));
  try {
    return await git(gitdir, ['hash-object', '-t', 'tree', '-w', '--literally', file]);
  } finally {
    await rm(file);
  }
}
