import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GitError } from '../../src/errors.ts';
import { fetchMirror } from '../../src/git/mirror.ts';
import { indexPack } from '../../src/git/pack-index.ts';
import { writeTree } from '../../src/git/tree.ts';
import { createRepo, git, isolatedGitEnv, type TestRepo } from '../helpers/git-repo.ts';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';

/** A text that changes a little per version, so git stores most versions as deltas. */
function version(n: number): string {
  const lines = Array.from({ length: 400 }, (_, i) => `line ${i} of a file that git will delta-compress`);
  lines[n % 400] = `changed in version ${n}`;
  return `${lines.join('\n')}\n`;
}

/** What native git's index-pack writes for the same pack: the .idx must match byte for byte. */
function nativeIdx(pack: string, out: string): Buffer {
  execFileSync('git', ['index-pack', '-o', out, pack], { env: isolatedGitEnv, stdio: 'ignore' });
  return execFileSync('cat', [out]);
}

describe('fetch streamed to disk and indexed by slipway', () => {
  let server: GitServer;
  let repo: TestRepo;
  let temp: string;

  before(async () => {
    server = await startGitServer();
    temp = await mkdtemp(join(tmpdir(), 'slipway-pack-test-'));
    repo = await createRepo(server, 'deltas', { 'big.txt': version(0), 'bin.dat': Buffer.alloc(70_000, 7) });
    for (let n = 1; n <= 12; n++) await repo.commit({ 'big.txt': version(n) }, `v${n}`);
    await git(repo.bare, ['gc', '-q', '--aggressive']);
  });
  after(async () => {
    await server.close();
    await rm(temp, { recursive: true, force: true });
  });

  it('writes the same .idx as git index-pack for an ofs-delta pack, then fetches increments', async () => {
    const gitdir = join(temp, 'm.git');
    await fetchMirror({ remote: { url: repo.url, branch: 'main' }, gitdir });
    const packDir = join(gitdir, 'objects', 'pack');
    const names = await readdir(packDir);
    assert.equal(names.filter((n) => n.endsWith('.pack')).length, 1);
    assert.ok(!names.some((n) => n.startsWith('tmp-')), 'no temporary files left');
    const pack = join(packDir, names.find((n) => n.endsWith('.pack'))!);
    const verify = await git(gitdir, ['verify-pack', '-v', pack.replace(/\.pack$/, '.idx')]);
    assert.match(verify, /chain length = \d+/, 'the pack really holds deltas');
    assert.deepEqual(await readFile(pack.replace(/\.pack$/, '.idx')), nativeIdx(pack, join(temp, 'native.idx')));

    const sha = await repo.commit({ 'big.txt': version(99) }, 'v99');
    assert.deepEqual(await fetchMirror({ remote: { url: repo.url, branch: 'main' }, gitdir }), { head: sha, fetched: true });
    await git(gitdir, ['fsck', '--no-progress', '--no-dangling']);
    const dir = join(temp, 'tree');
    await writeTree({ gitdir, sha, dir });
    assert.equal(await readFile(join(dir, 'big.txt'), 'utf8'), version(99));
  });

  it('indexes a ref-delta pack as git does', async () => {
    const out = join(temp, 'refdelta');
    // Without --delta-base-offset, pack-objects writes REF_DELTA entries.
    const list = execFileSync('git', ['rev-list', '--objects', '--all'], { cwd: repo.bare, env: isolatedGitEnv });
    execFileSync('git', ['pack-objects', '-q', '--window=50', out], { cwd: repo.bare, env: isolatedGitEnv, input: list });
    const pack = (await readdir(temp)).find((n) => n.startsWith('refdelta-') && n.endsWith('.pack'))!;
    const index = await indexPack(join(temp, pack));
    assert.deepEqual(index.idx, await readFile(join(temp, pack.replace(/\.pack$/, '.idx'))));
    assert.ok(index.has(repo.head));
  });

  it('refuses a corrupt pack with a GitError', async () => {
    const packDir = join(temp, 'm.git', 'objects', 'pack');
    const name = (await readdir(packDir)).find((n) => n.endsWith('.pack'))!;
    const bytes = await readFile(join(packDir, name));
    const bad = join(temp, 'bad.pack');
    const flipped = Buffer.from(bytes);
    flipped[200] = flipped[200]! ^ 0xff;
    await writeFile(bad, flipped);
    await assert.rejects(indexPack(bad), (err: unknown) => err instanceof GitError && /is corrupt: its checksum does not match/.test(err.message));
    await writeFile(bad, bytes.subarray(0, bytes.length - 100));
    await assert.rejects(indexPack(bad), (err: unknown) => err instanceof GitError && /is corrupt/.test(err.message));
  });
});
