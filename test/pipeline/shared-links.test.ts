import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readlink, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { sharedLinksScript } from '../../src/pipeline/shared-links.ts';

test('sharedLinksScript is pinned', () => {
  assert.equal(
    sharedLinksScript('/srv/app', 'r1', ['.env', 'storage/']),
    `set -e; [ -f /srv/app/shared/.env ] || { echo "shared file "/srv/app/shared/.env" is missing on this host; create it (it is linked into every release as .env)" >&2; exit 1; }; ` +
      `rm -rf /srv/app/releases/r1/.env; ln -s /srv/app/shared/.env /srv/app/releases/r1/.env; echo "linked .env -> shared/.env"; ` +
      `mkdir -p /srv/app/shared/storage; rm -rf /srv/app/releases/r1/storage; ln -s /srv/app/shared/storage /srv/app/releases/r1/storage; echo "linked storage -> shared/storage"`,
  );
});

test('run by sh: the shared copy replaces what the release brought; a missing shared file is refused', async () => {
  const home = await mkdtemp(join(tmpdir(), 'slipway-shared-'));
  try {
    await mkdir(join(home, 'app', 'releases', 'r1', 'storage'), { recursive: true });
    await writeFile(join(home, 'app', 'releases', 'r1', 'storage', 'from-repo'), 'x');
    const missing = await execa('sh', ['-c', sharedLinksScript('~/app', 'r1', ['.env'])], { env: { HOME: home }, reject: false });
    assert.equal(missing.exitCode, 1);
    assert.match(missing.stderr, /shared file .*\/app\/shared\/\.env is missing on this host; create it/);
    await mkdir(join(home, 'app', 'shared'), { recursive: true });
    await writeFile(join(home, 'app', 'shared', '.env'), 'A=1\n');
    const ok = await execa('sh', ['-c', sharedLinksScript('~/app', 'r1', ['.env', 'storage/', 'a/b/'])], { env: { HOME: home }, reject: false });
    assert.equal(ok.exitCode, 0, ok.stderr);
    assert.equal(await readFile(join(home, 'app', 'releases', 'r1', '.env'), 'utf8'), 'A=1\n');
    assert.equal(await readlink(join(home, 'app', 'releases', 'r1', 'storage')), join(home, 'app', 'shared', 'storage'));
    assert.equal(await readlink(join(home, 'app', 'releases', 'r1', 'a', 'b')), join(home, 'app', 'shared', 'a', 'b'));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
