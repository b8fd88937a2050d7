import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readCommitInfo } from '../../src/git/commit.ts';
import { readingMirror } from '../../src/git/mirror-lease.ts';
import { fetchMirror } from '../../src/git/mirror.ts';
import { compactMirror, listPacks } from '../../src/git/pack-compact.ts';
import { writeTree } from '../../src/git/tree.ts';
import { createRepo, git, isolatedGitEnv } from '../helpers/git-repo.ts';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';
import { waitFor } from '../helpers/wait.ts';

const FETCHES = 6;

describe('compactMirror', () => {
  let server: GitServer;
  let temp: string;
  const shas: string[] = [];

  /** A mirror with one pack per fetched commit, as months of polling leave it. */
  async function pileUp(name: string): Promise<string> {
    const gitdir = join(temp, `${name}.git`);
    const source = await createRepo(server, name, { 'README.md': 'start\n' });
    await fetchMirror({ remote: { url: source.url, branch: 'main' }, gitdir });
    for (let i = 0; i < FETCHES; i++) {
      shas.push(await source.commit({ 'app.txt': `${'common text '.repeat(200)}\nversion ${i}\n`, [`f${i}.txt`]: `${i}\n` }, `c${i}`));
      await fetchMirror({ remote: { url: source.url, branch: 'main' }, gitdir });
    }
    return gitdir;
  }

  before(async () => {
    server = await startGitServer();
    temp = await mkdtemp(join(tmpdir(), 'slipway-compact-test-'));
  });
  after(async () => {
    await server.close();
    await rm(temp, { recursive: true, force: true });
  });

  it('joins the packs into one that git reads and indexes the same way', async () => {
    const gitdir = await pileUp('app');
    const before = await listPacks(gitdir);
    assert.equal(before.length, FETCHES + 1);
    assert.equal(await compactMirror({ gitdir, minPacks: FETCHES + 2 }), null, 'below the threshold nothing happens');

    const result = await compactMirror({ gitdir, minPacks: 4 });
    assert.equal(result?.packs, FETCHES + 1);
    const after = await listPacks(gitdir);
    assert.equal(after.length, 1);
    assert.deepEqual((await readdir(join(gitdir, 'objects', 'pack'))).sort(), [`${after[0]}.idx`, `${after[0]}.pack`]);
    await git(gitdir, ['fsck', '--no-progress', '--no-dangling', '--strict']);
    const pack = join(gitdir, 'objects', 'pack', `${after[0]}.pack`);
    execFileSync('git', ['index-pack', '-o', join(temp, 'native.idx'), pack], { env: isolatedGitEnv, stdio: 'ignore' });
    assert.deepEqual(await readFile(join(gitdir, 'objects', 'pack', `${after[0]}.idx`)), await readFile(join(temp, 'native.idx')));

    const head = shas[shas.length - 1]!;
    assert.equal((await readCommitInfo(gitdir, head)).message, `c${FETCHES - 1}\n`);
    await writeTree({ gitdir, sha: head, dir: join(temp, 'tree') });
    assert.equal(await readFile(join(temp, 'tree', 'f0.txt'), 'utf8'), '0\n');
  });

  it('keeps the old packs while a checkout reads the mirror, removes them when it is done', async () => {
    const gitdir = await pileUp('busy');
    const before = await listPacks(gitdir);
    let release!: () => void;
    let checkout!: Promise<unknown>;
    const reading = readingMirror(gitdir, async () => {
      await new Promise<void>((resolve) => (release = resolve));
      // The reader still sees the packs it listed: none was removed under it.
      checkout = writeTree({ gitdir, sha: shas[shas.length - 1]!, dir: join(temp, 'busy-tree') });
    });
    await waitFor(() => release !== undefined, { timeoutMs: 5000, what: 'the reader to start' });

    const result = await compactMirror({ gitdir, minPacks: 2 });
    assert.equal(result?.packs, before.length);
    const names = await readdir(join(gitdir, 'objects', 'pack'));
    for (const p of before) assert.ok(names.includes(`${p}.pack`) && names.includes(`${p}.idx`), `${p} removed under a reader`);

    release();
    await reading;
    await checkout;
    await waitFor(async () => (await listPacks(gitdir)).length === 1, { timeoutMs: 5000, what: 'the old packs to go' });
    await git(gitdir, ['fsck', '--no-progress', '--no-dangling']);
  });
});
