import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, symlink, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { factsScript, parseFacts, currentComplete, previousRelease, type FactsRequest } from '../../src/pipeline/host-facts.ts';

// The facts script on a real sh (what sshd runs it with): one read-only exec that says what runs.
async function read(req: FactsRequest) {
  const { script, stdin } = factsScript(req);
  const r = await execa('sh', ['-c', script], { reject: false, ...(stdin ? { input: stdin } : {}) });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /end=1$/);
  return parseFacts(r.stdout, req);
}

test('facts: current, revision, completeness, dangling link, files, health now; hostile names run nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-facts-'));
  const marker = join(dir, 'pwned');
  const path = join(dir, `app $(touch ${marker})`);
  try {
    const a = 'a'.repeat(40);
    assert.deepEqual(await read({ path }), { releases: [], commits: {} }, 'a fresh host: nothing, and no error');
    await mkdir(join(path, 'releases', 'r1'), { recursive: true });
    await writeFile(join(path, 'releases', 'r1', 'REVISION'), `${a}\n`);
    await mkdir(join(path, 'releases', 'r2'), { recursive: true });
    await symlink('releases/r1', join(path, 'current'));
    const unit = join(path, 'shared', 'unit `id`.env');
    await mkdir(join(path, 'shared'));
    await writeFile(unit, 'X=1\n');
    const facts = await read({ path, files: [unit, join(dir, 'missing')], health: { command: 'printf "%s\\n" "$GREETING"; test -n "$GREETING"', env: { GREETING: "hi $(x) it's" } } });
    assert.equal(facts.current, 'r1');
    assert.equal(facts.revision, a);
    assert.deepEqual(facts.releases, ['r1', 'r2']);
    assert.equal(currentComplete(facts), true);
    assert.match(facts.files?.[unit] ?? '', /^[0-9a-f]{64}$/);
    assert.equal(facts.files?.[join(dir, 'missing')], null);
    assert.deepEqual(facts.health, { ok: true, exitCode: 0, output: "hi $(x) it's" });

    const failing = await read({ path, health: { command: 'echo down >&2; exit 7', env: {} } });
    assert.deepEqual(failing.health, { ok: false, exitCode: 7, output: 'down' });

    await rm(join(path, 'current'));
    await symlink('releases/r2', join(path, 'current'));
    assert.equal(currentComplete(await read({ path })), false, 'a release without REVISION is not complete');
    await rm(join(path, 'current'));
    await symlink('releases/gone', join(path, 'current'));
    const dangling = await read({ path, health: { command: 'true', env: {} } });
    assert.equal(dangling.dangling, true);
    assert.equal(dangling.health, undefined, 'no health check without a release to run it in');
    assert.equal(currentComplete(dangling), false);
    assert.equal(existsSync(marker), false, 'no name ever ran as a command');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// Moved from remote-commands.test.ts with the old factsScript: host-facts.ts is the one reader now.
test('parseFacts reads current, its revision and every release with its commit', () => {
  const a = 'a'.repeat(40);
  const b = 'b'.repeat(40);
  const facts = parseFacts(`current=releases/r2\nrevision=${b}\nrelease=r2 ${b}\nrelease=r1 ${a}\nrelease=.r3.partial \n`);
  assert.deepEqual(facts, { current: 'r2', revision: b, releases: ['r1', 'r2'], commits: { r1: a, r2: b } });
  assert.equal(previousRelease(facts), 'r1');
  assert.deepEqual(parseFacts('current=\nrevision=\n'), { releases: [], commits: {} });
});

