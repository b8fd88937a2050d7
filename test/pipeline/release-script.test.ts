// The pull-mode release scripts (fetchScript + exportScript) run by a real sh against a real git
// server over smart HTTP, with every git process they start logged by a `git` first on PATH: the
// release lands as before while the processes issue 13 cut stay cut.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { exportScript, fetchScript, gcIfDue } from '../../src/pipeline/remote-commands.ts';
import { createRepo, git, type TestRepo } from '../helpers/git-repo.ts';
import { startGitServer, type GitServer } from '../helpers/git-server.ts';

describe('release scripts on a real sh and git server', () => {
  let server: GitServer;
  let repo: TestRepo;
  let temp: string;
  let log: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    server = await startGitServer();
    repo = await createRepo(server, 'app', { 'a.txt': 'one\n', 'src/b.js': 'b\n' });
    temp = await mkdtemp(join(tmpdir(), 'slipway-release-script-'));
    log = join(temp, 'git.log');
    const bin = join(temp, 'bin');
    const realGit = (await execa('sh', ['-c', 'command -v git'])).stdout.trim();
    await execa('mkdir', ['-p', bin]);
    // git starts its helpers (remote-http, unpack-objects, rev-list, maintenance) as `git X`
    // through PATH, so this wrapper sees those too.
    await writeFile(join(bin, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realGit}' "$@"\n`);
    await chmod(join(bin, 'git'), 0o755);
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  });
  after(async () => {
    await server.close();
    await rm(temp, { recursive: true, force: true });
  });

  const release = async (path: string, commit: string, name: string) => {
    await writeFile(log, '');
    const script = `${fetchScript({ path, repo: repo.url, branch: 'main', commit, withAuth: false })}; ${exportScript(path, name, commit)}`;
    const r = await execa('sh', ['-c', script], { env, reject: false });
    const gits = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
    return { ...r, gits };
  };
  const ran = (gits: string[], sub: string) => gits.some((l) => l.split(' ').includes(sub));

  it('fetches the branch head and unpacks it without cat-file or auto maintenance, first deploy and redeploy', async () => {
    const path = join(temp, 'host1');
    const first = await release(path, repo.head, 'r1');
    assert.equal(first.exitCode, 0, first.stderr);
    assert.equal(await readFile(join(path, 'releases', 'r1', 'a.txt'), 'utf8'), 'one\n');
    assert.equal(await readFile(join(path, 'releases', 'r1', 'REVISION'), 'utf8'), `${repo.head}\n`);
    const c2 = await repo.commit({ 'a.txt': 'two\n' }, 'two');
    const second = await release(path, c2, 'r2');
    assert.equal(second.exitCode, 0, second.stderr);
    assert.equal(await readFile(join(path, 'releases', 'r2', 'a.txt'), 'utf8'), 'two\n');
    assert.equal(await readFile(join(path, 'releases', 'r2', 'REVISION'), 'utf8'), `${c2}\n`);
    assert.deepEqual((await readdir(join(path, 'releases'))).sort(), ['r1', 'r2'], 'no partial folder left');
    for (const r of [first, second]) {
      assert.ok(ran(r.gits, 'fetch') && ran(r.gits, 'archive'), r.gits.join('\n'));
      assert.ok(!ran(r.gits, 'cat-file'), `the ref file named the commit: ${r.gits.join(' | ')}`);
      assert.ok(!ran(r.gits, 'maintenance') && !ran(r.gits, 'gc'), `no auto maintenance with nothing to do: ${r.gits.join(' | ')}`);
    }
  });

  it('an older commit of the branch is found by cat-file; a commit the server does not have fails the step and leaves no release', async () => {
    const path = join(temp, 'host2');
    const old = repo.head;
    await repo.commit({ 'a.txt': 'three\n' }, 'three');
    const r = await release(path, old, 'old');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(await readFile(join(path, 'releases', 'old', 'REVISION'), 'utf8'), `${old}\n`);
    assert.ok(ran(r.gits, 'cat-file'), r.gits.join('\n'));
    const missing = await release(path, 'f'.repeat(40), 'missing');
    assert.notEqual(missing.exitCode, 0);
    assert.ok(!existsSync(join(path, 'releases', 'missing')) && !existsSync(join(path, 'releases', '.missing.partial')));
  });

  it('a tree REVISION that is a symlink is replaced by a file, the target untouched', async () => {
    const path = join(temp, 'host3');
    const target = join(temp, 'victim');
    await writeFile(target, 'keep\n');
    const c = await repo.commit({ REVISION: { content: target, mode: 0o120000 } }, 'evil REVISION');
    const r = await release(path, c, 'evil');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(await readFile(join(path, 'releases', 'evil', 'REVISION'), 'utf8'), `${c}\n`);
    assert.equal(await readFile(target, 'utf8'), 'keep\n');
  });

  it('gcIfDue starts git gc --auto once objects/17 holds more than 27 entries, and not before', async () => {
    const path = join(temp, 'host4');
    assert.equal((await release(path, repo.head, 'r1')).exitCode, 0);
    const gitdir = join(path, 'repo');
    await git(gitdir, ['config', 'gc.autoDetach', 'false']);
    // Blobs whose ids start with 17, as git's own estimate of the loose objects counts them.
    const blobs: string[] = [];
    for (let i = 0; blobs.length < 28; i++) {
      const body = `slipway gc ${i}\n`;
      if (createHash('sha1').update(`blob ${Buffer.byteLength(body)}\0${body}`).digest('hex').startsWith('17')) blobs.push(body);
    }
    const loose = async () => (await readdir(join(gitdir, 'objects', '17')).catch(() => [])).length;
    const existing = await loose();
    for (const body of blobs.slice(0, Math.max(0, 27 - existing))) await execa('git', ['--git-dir', gitdir, 'hash-object', '-w', '--stdin'], { input: body });
    await writeFile(log, '');
    assert.equal((await execa('sh', ['-c', gcIfDue(path)], { env })).exitCode, 0);
    assert.equal(await loose(), 27);
    assert.equal((await readFile(log, 'utf8')).trim(), '', '27 entries: no gc');
    for (const body of blobs.slice(0, 28)) await execa('git', ['--git-dir', gitdir, 'hash-object', '-w', '--stdin'], { input: body });
    assert.ok((await loose()) > 27);
    assert.equal((await execa('sh', ['-c', gcIfDue(path)], { env })).exitCode, 0);
    assert.match(await readFile(log, 'utf8'), /gc --auto --quiet/);
    // gc ran (in the foreground here): refs packed.
    assert.ok(existsSync(join(gitdir, 'packed-refs')), 'git gc packed the refs');
  });
});
