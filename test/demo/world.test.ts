// The demo's world (a git server and SSH hosts on 127.0.0.1) is made of listening servers: when
// making it fails half-way, the servers already started must be closed, or `npm run demo` prints
// its error and then hangs with the servers keeping the process alive (seen once after a key
// generation error). Each case runs in a child process that must end by itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

const CHILD = new URL('./world-fails-child.ts', import.meta.url).pathname;

for (const [name, blocked] of [
  ['at its first host (after the git server and the keys)', 'staging'],
  ['at its second host (after the git server and one SSH host)', 'production'],
] as const) {
  test(`a world that fails ${name} leaves nothing listening`, async () => {
    const root = await mkdtemp(join(tmpdir(), 'slipway-demo-world-'));
    try {
      // hosts/NAME is a file: that host's home cannot be made.
      await mkdir(join(root, 'hosts'), { recursive: true });
      await writeFile(join(root, 'hosts', blocked), 'not a folder');
      const res = await execa(process.execPath, ['--import', 'tsx', CHILD, root, 'staging,production'], { timeout: 30_000, reject: false });
      assert.equal(res.timedOut, false, 'the process did not end by itself: a server was left listening');
      assert.match(res.stdout, /^failed: EEXIST/m);
      assert.equal(res.exitCode, 0);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
}
