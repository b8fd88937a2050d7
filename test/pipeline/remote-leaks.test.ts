// Two leaks of the remote scripts, run by a real sh: host variables with any bytes (a PEM from
// ${file:}) must reach a user command intact, and a repo's own REVISION symlink must not make the
// release writer overwrite the file it points to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import * as remote from '../../src/pipeline/remote-commands.ts';

test('a user command gets multi-line and odd-byte host variables exactly', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-env-'));
  try {
    await mkdir(join(dir, 'releases', 'r1'), { recursive: true });
    const env = {
      PEM: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n',
      ODD: "it's \\ \"q\" $(x) `y` \r\n\t ünï 🚀 \n\n",
      AFTER: 'still set',
    };
    const cmd = remote.userCommand(dir, 'r1', env, 'printf "%s" "$PEM" > pem; printf "%s" "$ODD" > odd; printf "%s" "$AFTER" > after');
    const ran = await execa('sh', ['-c', cmd.script], { input: cmd.stdin, reject: false, cwd: dir });
    assert.equal(ran.exitCode, 0, ran.stderr);
    const release = join(dir, 'releases', 'r1');
    assert.equal(await readFile(join(release, 'pem'), 'utf8'), env.PEM);
    assert.equal(await readFile(join(release, 'odd'), 'utf8'), env.ODD);
    assert.equal(await readFile(join(release, 'after'), 'utf8'), env.AFTER);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a REVISION symlink in the tree never makes the release writer follow it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-rev-'));
  try {
    const target = join(dir, 'authorized_keys');
    await writeFile(target, 'ssh-ed25519 AAAA the real key\n');
    const tree = join(dir, 'tree');
    await mkdir(tree);
    await writeFile(join(tree, 'app.js'), 'ok\n');
    await symlink(target, join(tree, 'REVISION'));
    const tar = await execa('tar', ['-C', tree, '-cf', '-', '.'], { encoding: 'buffer' });
    const commit = 'c'.repeat(40);
    const path = join(dir, 'app');
    const ran = await execa('sh', ['-c', remote.uploadScript(path, 'r1', commit)], { input: tar.stdout, reject: false });
    assert.equal(ran.exitCode, 0, String(ran.stderr));
    assert.equal(await readFile(target, 'utf8'), 'ssh-ed25519 AAAA the real key\n');
    const revision = join(path, 'releases', 'r1', 'REVISION');
    assert.equal((await lstat(revision)).isSymbolicLink(), false);
    assert.equal(await readFile(revision, 'utf8'), `${commit}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
