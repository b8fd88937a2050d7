// The exact scripts slipway runs on hosts (STYLE: "tests pin the exact command"), and proof that
// hostile values stay data when a real sh runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, mkdir, writeFile, readlink, stat, utimes } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import * as locks from '../../src/pipeline/lock-scripts.ts';
import * as remote from '../../src/pipeline/remote-commands.ts';
import { factsScript, parseFacts } from '../../src/pipeline/host-facts.ts';
import { planBatches, decidePoll } from '../../src/pipeline/plan.ts';

test('remotePath keeps ~ outside the quotes and quotes the rest', () => {
  assert.equal(remote.remotePath('/srv/app', 'releases', 'x y'), "'/srv/app/releases/x y'");
  assert.equal(remote.remotePath('~/app', 'current'), '"$HOME"/app/current');
  assert.equal(remote.remotePath('~/my app', 'current'), `"$HOME"/'my app/current'`);
  assert.equal(remote.remotePath('~', 'app'), `"$HOME"/app`);
});

test('releaseName is a UTC stamp and the short commit', () => {
  assert.equal(remote.releaseName('0123456789abcdef0123456789abcdef01234567', new Date('2026-11-26T05:04:03.999Z')), '20261126050403-0123456');
});

test('the scripts are pinned exactly', () => {
  assert.equal(remote.switchScript('/srv/app', '20261126050403-0123456'), "set -e; cd /srv/app; ln -sfn releases/20261126050403-0123456 .current.20261126050403-0123456.tmp; mv -T .current.20261126050403-0123456.tmp current");
  assert.equal(remote.unlinkCurrentScript('~/app'), 'rm -f "$HOME"/app/current');
  assert.equal(remote.healthUrlCommand('http://127.0.0.1:3001/health?a=1&b=2', 2.5), "curl -fsS -o /dev/null --max-time 3 'http://127.0.0.1:3001/health?a=1&b=2'");
  assert.deepEqual(remote.userCommand('/srv/app', 'r1', { SLIPWAY_ENV: 'prod', X: "it's" }, 'npm ci'), {
    script:
      '[ ! -d /srv/app/.slipway-lock ] || { : > /srv/app/.slipway-lock/.renewed.$$; } 2>/dev/null; cd /srv/app/releases/r1 || exit 1; ' +
      'slipway_env=; while IFS= read -r slipway_line; do slipway_env="$slipway_env$slipway_line\n"; done; slipway_env="$slipway_env$slipway_line"; unset slipway_line; ' +
      'eval "$slipway_env"; unset slipway_env; npm ci',
    stdin: Buffer.from("export SLIPWAY_ENV='prod' X='it'\\''s'; \n"),
  });
  assert.equal(
    remote.fetchScript({ path: '/srv/app', repo: 'https://git.example.com/a.git', branch: 'main', commit: 'c0ffee', withAuth: false }),
    'set -e; export GIT_TERMINAL_PROMPT=0; [ -d /srv/app/releases ] && [ -d /srv/app/shared ] || mkdir -p /srv/app/releases /srv/app/shared; [ -d /srv/app/repo ] || git init -q --bare /srv/app/repo; ' +
      'git -c maintenance.auto=0 --git-dir=/srv/app/repo fetch -q --no-tags https://git.example.com/a.git +refs/heads/main:refs/heads/main; ' +
      'slipway_tip=; { IFS= read -r slipway_tip < /srv/app/repo/refs/heads/main; } 2>/dev/null || true; ' +
      `[ "$slipway_tip" = c0ffee ] || git -c maintenance.auto=0 --git-dir=/srv/app/repo cat-file -e 'c0ffee^{commit}' 2>/dev/null || ` +
      "{ git -c maintenance.auto=0 --git-dir=/srv/app/repo fetch -q --no-tags https://git.example.com/a.git c0ffee; git -c maintenance.auto=0 --git-dir=/srv/app/repo cat-file -e 'c0ffee^{commit}'; }; " +
      'slipway_n=0; for slipway_o in /srv/app/repo/objects/17/*; do slipway_n=$((slipway_n + 1)); done; ' +
      'slipway_p=0; for slipway_o in /srv/app/repo/objects/pack/*.pack; do slipway_p=$((slipway_p + 1)); done; ' +
      '{ [ "$slipway_n" -le 27 ] && [ "$slipway_p" -le 50 ]; } || git --git-dir=/srv/app/repo gc --auto --quiet || true',
  );
  assert.equal(
    remote.exportScript('/srv/app', 'r1', 'c0ffee'),
    'set -e; if [ -e /srv/app/releases/.r1.partial ] || [ -L /srv/app/releases/.r1.partial ]; then rm -rf /srv/app/releases/.r1.partial; fi; mkdir -p /srv/app/releases/.r1.partial; ' +
      'git --git-dir=/srv/app/repo archive --format=tar c0ffee | tar -x -C /srv/app/releases/.r1.partial; ' +
      "if [ -e /srv/app/releases/.r1.partial/REVISION ] || [ -L /srv/app/releases/.r1.partial/REVISION ]; then rm -rf /srv/app/releases/.r1.partial/REVISION; fi; printf '%s\\n' c0ffee > /srv/app/releases/.r1.partial/REVISION; " +
      '[ ! -e /srv/app/releases/r1 ] || { echo "release folder already exists" >&2; exit 1; }; mv /srv/app/releases/.r1.partial /srv/app/releases/r1',
  );
  assert.match(remote.fetchScript({ path: '/p', repo: 'https://h/r.git', branch: 'main', commit: 'c', withAuth: true }), /^set -e; IFS= read -r slipway_header; export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader GIT_CONFIG_VALUE_0="\$slipway_header"; /);
});

test('expandVars fills $NAME and ${NAME} from the host variables only', () => {
  assert.equal(remote.expandVars('http://127.0.0.1:$PORT/h?x=${PORT}&y=$OTHER', { PORT: '3001' }), 'http://127.0.0.1:3001/h?x=3001&y=$OTHER');
});

test('planBatches and decidePoll', () => {
  assert.deepEqual(planBatches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(planBatches([1, 2, 3], undefined), [[1, 2, 3]]);
  assert.deepEqual(decidePoll({ version: 1, pipeline: 'p', nextRunNumber: 1, environments: {}, lastSeenCommit: 'abc1234' }, 'abc1234'), { action: 'none', reason: 'no new commit (abc1234 already seen)' });
  assert.deepEqual(decidePoll({ version: 1, pipeline: 'p', nextRunNumber: 1, environments: {} }, 'abc1234'), { action: 'run', commit: 'abc1234' });
});

test('on a real sh: facts, switch, lock, prune and revisions with hostile names execute nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-remote-'));
  const marker = join(dir, 'pwned');
  const path = join(dir, `app $(touch ${marker}) \`touch ${marker}\``);
  const sh = (script: string) => execa('sh', ['-c', script], { reject: false });
  try {
    for (const [r, c] of [['20260101000000-aaaaaaa', 'a'], ['20260102000000-bbbbbbb', 'b'], ['20260103000000-ccccccc', 'c']] as const) {
      await mkdir(join(path, 'releases', r), { recursive: true });
      await writeFile(join(path, 'releases', r, 'REVISION'), c.repeat(40) + '\n');
    }
    assert.equal((await sh(remote.switchScript(path, '20260102000000-bbbbbbb'))).exitCode, 0);
    assert.equal(await readlink(join(path, 'current')), 'releases/20260102000000-bbbbbbb');
    const facts = parseFacts((await sh(factsScript({ path }).script)).stdout);
    assert.equal(facts.current, '20260102000000-bbbbbbb');
    assert.equal(facts.revision, 'b'.repeat(40));
    assert.deepEqual(facts.releases, ['20260101000000-aaaaaaa', '20260102000000-bbbbbbb', '20260103000000-ccccccc']);

    const info = `run=app#1 by=$(touch ${marker})`;
    assert.equal((await sh(locks.acquireLockScript(path, info))).exitCode, 0);
    const locked = parseFacts((await sh(factsScript({ path }).script)).stdout).lock;
    assert.equal(locked?.holder, info, 'host facts show the lock and its holder');
    const held = await sh(locks.acquireLockScript(path, 'someone else'));
    assert.equal(held.exitCode, locks.LOCK_HELD_EXIT);
    const parsed = locks.parseHeld(held.stdout);
    assert.equal(parsed?.holder, info);
    // Taken a moment ago: whole seconds on the host's clock, so 0 or 1 across a second boundary.
    assert.ok(parsed !== undefined && parsed.ageSeconds >= 0 && parsed.ageSeconds <= 1, `age ${parsed?.ageSeconds}`);
    assert.equal((await sh(locks.releaseLockScript(path, 'someone else'))).exitCode, 0);
    assert.ok(existsSync(join(path, '.slipway-lock', 'info')), 'only the holder releases the lock');
    await sh(locks.releaseLockScript(path, info));
    assert.ok(!existsSync(join(path, '.slipway-lock')));

    await sh(remote.revisionLogScript(path, `t r c by=$(touch ${marker})`));
    assert.match(await readFile(join(path, 'revisions.log'), 'utf8'), /by=\$\(touch /);
    assert.equal((await sh(remote.pruneScript(path, 1, ['20260102000000-bbbbbbb']))).exitCode, 0);
    assert.deepEqual((await readdir(join(path, 'releases'))).sort(), ['20260102000000-bbbbbbb', '20260103000000-ccccccc']);
    // A user command gets its variables from stdin, hostile values included, and runs in the release.
    const cmd = remote.userCommand(path, '20260103000000-ccccccc', { SECRET: `s3cr3t $(touch ${marker})`, N: "it's" }, 'printf "%s|%s|%s" "$SECRET" "$N" "$(basename "$PWD")"');
    const ran = await execa('sh', ['-c', cmd.script], { input: cmd.stdin, reject: false });
    assert.equal(ran.stdout, `s3cr3t $(touch ${marker})|it's|20260103000000-ccccccc`);
    assert.ok(!cmd.script.includes('s3cr3t'), 'the value is not on the command line');
    assert.ok(!existsSync(marker), 'nothing executed');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('on a real sh: a user command reads all of stdin, renews the lock folder\'s age, and makes no lock where there is none', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-usercmd-'));
  try {
    await mkdir(join(dir, 'releases', 'r1'), { recursive: true });
    const lock = join(dir, '.slipway-lock');
    await mkdir(lock);
    await writeFile(join(lock, 'info'), 'me\n');
    const old = new Date(Date.now() - 3600_000);
    await utimes(lock, old, old);
    const pem = '-----BEGIN KEY-----\nline one\n\n  line three  \n-----END KEY-----\n';
    const cmd = remote.userCommand(dir, 'r1', { PEM: pem, Q: "a'b" }, 'printf "%s|%s" "$PEM" "$Q"');
    const ran = await execa('sh', ['-c', cmd.script], { input: cmd.stdin, reject: false });
    assert.equal(ran.exitCode, 0, ran.stderr);
    assert.equal(ran.stdout, `${pem}|a'b`, 'every line and byte of the value');
    assert.ok((await stat(lock)).mtimeMs > old.getTime() + 3000_000, 'the lock is young again');
    assert.equal(await readFile(join(lock, 'info'), 'utf8'), 'me\n', 'the holder is untouched');
    // The last line without a newline still counts.
    const partial = await execa('sh', ['-c', `${remote.readStdinScript()}; eval "$slipway_env"; printf %s "$A"`], { input: "export A='x\ny'", reject: false });
    assert.equal(partial.stdout, 'x\ny');
    await rm(lock, { recursive: true });
    assert.equal((await execa('sh', ['-c', cmd.script], { input: cmd.stdin, reject: false })).exitCode, 0);
    assert.ok(!existsSync(lock), 'no lock file or folder made');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
