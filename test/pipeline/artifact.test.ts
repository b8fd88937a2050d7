// Packing the artifact: deterministic bytes, links stored (never followed), paths through a link
// refused; and the host script checks the sha256 before unpacking (run here by a real sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, readdir, rm, symlink, utimes, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { packArtifact } from '../../src/pipeline/artifact.ts';
import { artifactScript, ARTIFACT_MISMATCH_EXIT } from '../../src/pipeline/artifact-commands.ts';

async function tree(root: string, mtime: number): Promise<void> {
  await mkdir(join(root, 'dist', 'deep', 'x'.repeat(120)), { recursive: true });
  await writeFile(join(root, 'dist', 'b.txt'), 'bee\n');
  await writeFile(join(root, 'dist', 'a.sh'), '#!/bin/sh\necho a\n');
  await chmod(join(root, 'dist', 'a.sh'), 0o700);
  await writeFile(join(root, 'dist', 'deep', 'x'.repeat(120), 'long.txt'), 'long name\n');
  await symlink('/etc', join(root, 'dist', 'planted'));
  await writeFile(join(root, 'secret-outside'), 'not packed\n');
  for (const f of ['dist', 'dist/b.txt', 'dist/a.sh']) await utimes(join(root, f), mtime, mtime);
}

test('the same tree packs to the same bytes whatever its mtimes and modes; links are stored as links', async () => {
  const work = await mkdtemp(join(tmpdir(), 'slipway-artifact-'));
  try {
    await tree(join(work, 'one'), 1_000_000);
    await tree(join(work, 'two'), 2_000_000);
    const a = await packArtifact(join(work, 'one'), ['dist'], join(work, 'out', '1.tar.gz'));
    const b = await packArtifact(join(work, 'two'), ['dist/'], join(work, 'out', '2.tar.gz'));
    assert.equal(a.sha256, b.sha256);
    assert.equal(a.files, 4);
    const out = join(work, 'x');
    await mkdir(out);
    await execa('tar', ['-xzf', join(work, 'out', '1.tar.gz'), '-C', out]);
    const listed = (await execa('tar', ['-tvzf', join(work, 'out', '1.tar.gz')])).stdout;
    assert.match(listed, /planted -> \/etc/);
    assert.match(listed, /-rwxr-xr-x 0\/0 .* dist\/a\.sh/);
    assert.equal(await readFile(join(out, 'dist', 'deep', 'x'.repeat(120), 'long.txt'), 'utf8'), 'long name\n');
    assert.deepEqual((await readdir(join(work, 'out'))).sort(), ['1.tar.gz', '2.tar.gz'], 'no partial file left');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('a path through a planted symlink or a missing path is refused with what to do', async () => {
  const work = await mkdtemp(join(tmpdir(), 'slipway-artifact-'));
  try {
    await symlink('/', join(work, 'dist'));
    await assert.rejects(packArtifact(work, ['dist/etc/passwd'], join(work, 'o.tar.gz')), {
      message: 'artifact path dist/etc/passwd: dist is a symlink; slipway packs only what is inside the workspace',
    });
    await assert.rejects(packArtifact(work, ['build/out'], join(work, 'o.tar.gz')), {
      message: 'artifact path build/out: build does not exist in the workspace; did build produce it?',
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('artifactScript is pinned', () => {
  assert.equal(
    artifactScript('~/app', '20260101000000-abcdef0', 'c0ffee', 'ab'.repeat(32)),
    `set -e; mkdir -p "$HOME"/app/releases "$HOME"/app/shared; rm -rf "$HOME"/app/releases/.20260101000000-abcdef0.partial "$HOME"/app/releases/.20260101000000-abcdef0.tar.gz; ` +
      `cat > "$HOME"/app/releases/.20260101000000-abcdef0.tar.gz; got=$(sha256sum "$HOME"/app/releases/.20260101000000-abcdef0.tar.gz | cut -d ' ' -f 1); ` +
      `if [ "$got" != ${'ab'.repeat(32)} ]; then rm -f "$HOME"/app/releases/.20260101000000-abcdef0.tar.gz; echo "artifact sha256 is $got on this host, expected "${'ab'.repeat(32)}"; the upload was cut or altered, nothing was unpacked" >&2; exit 76; fi; ` +
      `mkdir -p "$HOME"/app/releases/.20260101000000-abcdef0.partial; tar -xz --no-same-owner -C "$HOME"/app/releases/.20260101000000-abcdef0.partial -f "$HOME"/app/releases/.20260101000000-abcdef0.tar.gz; rm -f "$HOME"/app/releases/.20260101000000-abcdef0.tar.gz; ` +
      `rm -rf "$HOME"/app/releases/.20260101000000-abcdef0.partial/REVISION "$HOME"/app/releases/.20260101000000-abcdef0.partial/ARTIFACT; ` +
      `printf '%s\\n' c0ffee > "$HOME"/app/releases/.20260101000000-abcdef0.partial/REVISION; printf '%s\\n' ${'ab'.repeat(32)} > "$HOME"/app/releases/.20260101000000-abcdef0.partial/ARTIFACT; ` +
      `[ ! -e "$HOME"/app/releases/20260101000000-abcdef0 ] || { echo "release folder already exists" >&2; exit 1; }; mv "$HOME"/app/releases/.20260101000000-abcdef0.partial "$HOME"/app/releases/20260101000000-abcdef0`,
  );
});

test('the host refuses an artifact whose sha256 differs and unpacks nothing', async () => {
  const work = await mkdtemp(join(tmpdir(), 'slipway-artifact-'));
  try {
    await mkdir(join(work, 'ws', 'dist'), { recursive: true });
    await writeFile(join(work, 'ws', 'dist', 'f'), 'x');
    const info = await packArtifact(join(work, 'ws'), ['dist'], join(work, 'a.tar.gz'));
    const input = await readFile(join(work, 'a.tar.gz'));
    const env = { HOME: join(work, 'home') };
    const bad = await execa('sh', ['-c', artifactScript('~/app', 'r1', 'c1', 'f'.repeat(64))], { input, env, reject: false });
    assert.equal(bad.exitCode, ARTIFACT_MISMATCH_EXIT);
    assert.match(bad.stderr, new RegExp(`artifact sha256 is ${info.sha256} on this host, expected f{64}`));
    assert.deepEqual(await readdir(join(work, 'home', 'app', 'releases')), []);
    const good = await execa('sh', ['-c', artifactScript('~/app', 'r1', 'c1', info.sha256)], { input, env, reject: false });
    assert.equal(good.exitCode, 0, good.stderr);
    assert.equal(await readFile(join(work, 'home', 'app', 'releases', 'r1', 'ARTIFACT'), 'utf8'), `${info.sha256}\n`);
    assert.equal(await readFile(join(work, 'home', 'app', 'releases', 'r1', 'dist', 'f'), 'utf8'), 'x');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
