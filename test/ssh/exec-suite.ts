// The connection tests that every kind of test host must pass: run by connection.test.ts against
// OpenSSH sshd and by embedded-server.test.ts against the embedded ssh2 server.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { SshError } from '../../src/errors.ts';
import { connectHost, type SshConnection } from '../../src/ssh/connection.ts';
import { fingerprintSha256 } from '../../src/ssh/known-hosts.ts';
import { createTestKeys, startTestHost, type TestHost, type TestKeys } from '../helpers/ssh-host.ts';

export async function waitFor(what: string, check: () => Promise<boolean>, deadlineMs = 15_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Pids whose command line matches; pgrep leaves itself out. */
export function pgrep(pattern: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('pgrep', ['-f', pattern], (err, stdout) => {
      if (err && (err as { code?: unknown }).code !== 1) return reject(err);
      resolve(stdout.split('\n').filter(Boolean));
    });
  });
}

export function fingerprintOfLine(line: string): string {
  return fingerprintSha256(Buffer.from(line.split(' ')[1]!, 'base64'));
}

export async function rejectsWith(promise: Promise<unknown>, phase: string, message: RegExp): Promise<SshError> {
  const err = await promise.then(
    () => assert.fail('expected an SshError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SshError, `not an SshError: ${String(err)}`);
  assert.equal(err.phase, phase, err.message);
  assert.match(err.message, message);
  return err;
}

/** `kind` undefined: whatever startTestHost picks (OpenSSH sshd when it exists). */
export function registerExecSuite(kind?: 'openssh' | 'embedded'): void {
  describe(`SSH exec against ${kind ?? 'the default test host'}`, () => {
    let keys: TestKeys;
    let host: TestHost;
    let conn: SshConnection;
    const connect = (overrides = {}): Promise<SshConnection> =>
      connectHost(host.hostConfig(overrides), {
        identity: keys.identityFile,
        knownHosts: keys.knownHostsFile,
        connectTimeoutMs: 10_000,
      });

    before(async () => {
      keys = await createTestKeys();
      host = await startTestHost(keys, { kind, name: 'suite-host' });
      conn = await connect();
    });
    after(async () => {
      await conn?.close();
      await host?.stop();
    });

    test('exec returns stdout, stderr and the exit code', async () => {
      const r = await conn.exec('echo out; echo err >&2; exit 3', { timeoutMs: 10_000 });
      assert.deepEqual(r, { code: 3, timedOut: false, stdout: 'out\n', stderr: 'err\n' });
      assert.equal(conn.host, 'suite-host');
      assert.equal((await conn.exec('true', { timeoutMs: 10_000 })).code, 0);
    });

    test('a command killed by a signal reports it', async () => {
      const r = await conn.exec('kill -KILL $$', { timeoutMs: 10_000 });
      assert.equal(r.code, null);
      assert.equal(r.signal, 'SIGKILL');
      assert.equal(r.timedOut, false);
    });

    test('env and cwd apply, values arrive exactly', async () => {
      const cwd = join(host.root, 'dir with space');
      await mkdir(cwd);
      const value = `it's "$HOME" \`x\` ; \n ü`;
      const r = await conn.exec('pwd; printf "%s|%s" "$A" "$B_2"', { timeoutMs: 10_000, cwd, env: { A: value, B_2: '' } });
      assert.equal(r.stdout, `${cwd}\n${value}|`);
      const home = await conn.exec('pwd; echo "$HOME"', { timeoutMs: 10_000, cwd: '~' });
      const [pwd, homeVar] = home.stdout.split('\n');
      assert.equal(pwd, homeVar);
      const sub = await conn.exec('pwd', { timeoutMs: 10_000, cwd: `~/${randomUUID()}` });
      assert.notEqual(sub.code, 0, 'a missing cwd fails the command instead of running elsewhere');
    });

    test('$(...) and backticks in env values and cwd execute nothing', async () => {
      const id = randomUUID();
      const marker = join(host.root, `pwned-${id}`);
      const evil = [`$(touch ${marker}1)`, `\`touch ${marker}2\``, `'; touch ${marker}3; '`, `"; touch ${marker}4; "`];
      // A folder name cannot hold '/', so these would touch relative to the shell's folder ($HOME).
      const cwd = join(host.root, `$(touch pwned-${id}5)`, `\`touch pwned-${id}6\``);
      await mkdir(cwd, { recursive: true });
      const env = Object.fromEntries(evil.map((v, i) => [`V${i}`, v]));
      const r = await conn.exec('pwd; printf "%s\\n" "$V0" "$V1" "$V2" "$V3"', { timeoutMs: 10_000, cwd, env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, [cwd, ...evil, ''].join('\n'));
      assert.deepEqual((await readdir(host.root)).filter((f) => f.startsWith('pwned')), []);
      const inHome = await conn.exec(`ls -a | grep -c -x 'pwned-${id}[0-9]' || true`, { timeoutMs: 10_000, cwd: '~' });
      assert.equal(inHome.stdout, '0\n');
    });

    test('stdin is piped, from a Buffer or a stream; without it stdin is empty', async () => {
      assert.equal((await conn.exec('cat', { timeoutMs: 10_000, stdin: Buffer.from('from buffer\n') })).stdout, 'from buffer\n');
      const stream = Readable.from([Buffer.from('from '), Buffer.from('stream')]);
      assert.equal((await conn.exec('cat', { timeoutMs: 10_000, stdin: stream })).stdout, 'from stream');
      assert.equal((await conn.exec('cat; echo done', { timeoutMs: 10_000 })).stdout, 'done\n');
    });

    test('output streams to callbacks and the result keeps the last captureLimit bytes', async () => {
      const seenOut: Buffer[] = [];
      const seenErr: Buffer[] = [];
      const r = await conn.exec('seq 1 20000; echo bye >&2', {
        timeoutMs: 10_000,
        captureLimit: 10,
        onStdout: (c) => seenOut.push(c),
        onStderr: (c) => seenErr.push(c),
      });
      const all = Buffer.concat(seenOut).toString();
      assert.equal(all.split('\n').length, 20001);
      assert.ok(all.endsWith('19999\n20000\n'));
      assert.equal(r.stdout, '999\n20000\n');
      assert.equal(Buffer.concat(seenErr).toString(), 'bye\n');
      assert.equal(r.stderr, 'bye\n');
    });

    test('a command past its timeout is killed on the host, its children too', async () => {
      // A unique duration makes the sleep findable by its command line.
      const marker = `300.${randomInt(1e8, 1e9)}`;
      const r = await conn.exec(`sleep ${marker}; echo not reached`, { timeoutMs: 1000 });
      assert.equal(r.timedOut, true);
      assert.equal(r.code, 124);
      assert.equal(r.stdout, '');
      await waitFor('the remote sleep to be gone', async () => (await pgrep(marker)).length === 0);
    });

    test('a command that leaves a background process holding the channel ends with its shell', async () => {
      // `restart: nohup node server.js &`: the server keeps stdout open, the shell has exited.
      const marker = `301.${randomInt(1e8, 1e9)}`;
      const started = Date.now();
      const r = await conn.exec(`nohup sleep ${marker} & echo started`, { timeoutMs: 60_000 });
      try {
        assert.equal(r.code, 0);
        assert.equal(r.timedOut, false);
        assert.equal(r.stdout, 'started\n');
        assert.ok(Date.now() - started < 10_000, `ended by the exit status, not at the timeout (${Date.now() - started} ms)`);
        // sshd leaves it running (as a real host does); the embedded server ends a closed channel's group.
        if (kind !== 'embedded') assert.equal((await pgrep(marker)).length > 0, true, 'the background process still runs');
      } finally {
        await conn.exec(`pkill -f ${marker}; true`, { timeoutMs: 10_000 });
      }
    });

    test('12 concurrent execs on one connection all succeed', async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => conn.exec(`sleep 0.2; echo ${i}`, { timeoutMs: 20_000 })),
      );
      results.forEach((r, i) => assert.deepEqual(r, { code: 0, timedOut: false, stdout: `${i}\n`, stderr: '' }));
    });

    test('a key hashed in known_hosts by ssh-keygen -H is accepted', async () => {
      const hashedKeys = await createTestKeys();
      const hashed = await startTestHost(hashedKeys, { kind, hashKnownHosts: true });
      try {
        assert.match(await readFile(hashedKeys.knownHostsFile, 'utf8'), /^\|1\|/);
        const c = await connectHost(hashed.hostConfig(), {
          identity: hashedKeys.identityFile,
          knownHosts: hashedKeys.knownHostsFile,
          connectTimeoutMs: 10_000,
        });
        assert.equal((await c.exec('echo ok', { timeoutMs: 10_000 })).stdout, 'ok\n');
        await c.close();
        assert.equal(c.closed, true);
      } finally {
        await hashed.stop();
      }
    });

    test('a pinned key line or fingerprint is accepted', async () => {
      for (const hostKey of [host.hostKeyLine, fingerprintOfLine(host.hostKeyLine)]) {
        const c = await connect({ hostKey });
        assert.equal((await c.exec('echo pinned', { timeoutMs: 10_000 })).stdout, 'pinned\n');
        await c.close();
      }
    });

    test('a wrong pinned key is refused, showing both fingerprints; nothing runs', async () => {
      const other = (await createTestKeys()).publicKey;
      const err = await rejectsWith(connect({ hostKey: other }), 'host key', /host key mismatch/);
      const expected = fingerprintOfLine(other);
      const offered = fingerprintOfLine(host.hostKeyLine);
      assert.equal(
        err.message,
        `suite-host: host key: host key mismatch: expected ${expected} (from hostKey), offered ${offered}; ` +
          'if the host was reinstalled, update hostKey',
      );
    });

    test('a changed key in known_hosts is refused, showing both fingerprints', async () => {
      const file = join(host.root, 'known_hosts.changed');
      const other = (await createTestKeys()).publicKey.split(' ').slice(0, 2).join(' ');
      await writeFile(file, `[127.0.0.1]:${host.port} ${other}\n`);
      const err = await rejectsWith(
        connectHost(host.hostConfig(), { identity: keys.identityFile, knownHosts: file, connectTimeoutMs: 10_000 }),
        'host key',
        /host key mismatch/,
      );
      assert.equal(
        err.message,
        `suite-host: host key: host key mismatch: expected ${fingerprintOfLine(other)} (from known_hosts ${file}), ` +
          `offered ${fingerprintOfLine(host.hostKeyLine)}; if the host was reinstalled, update known_hosts`,
      );
    });

    test('an unknown host is refused', async () => {
      const empty = join(host.root, 'known_hosts.empty');
      await writeFile(empty, '');
      for (const knownHosts of [empty, undefined]) {
        const err = await rejectsWith(
          connectHost(host.hostConfig(), { identity: keys.identityFile, knownHosts, connectTimeoutMs: 10_000 }),
          'host key',
          /no known host key/,
        );
        assert.equal(
          err.message,
          `suite-host: host key: no known host key for 127.0.0.1:${host.port} ` +
            `(offered ${fingerprintOfLine(host.hostKeyLine)}); add it to known_hosts or set hostKey`,
        );
      }
    });

    test('a key the host does not authorize fails in phase auth', async () => {
      const stranger = await createTestKeys();
      await rejectsWith(connect({ identity: stranger.identityFile }), 'auth', /refused with key/);
      await rejectsWith(connect({ identity: join(host.root, 'no-such-key') }), 'auth', /cannot read identity .*ENOENT/);
      const garbage = join(host.root, 'garbage-key');
      await writeFile(garbage, 'not a private key\n');
      await rejectsWith(connect({ identity: garbage }), 'auth', /cannot use identity .*garbage-key/);
    });

    test('a lost connection rejects the running exec with phase command', async () => {
      const keys2 = await createTestKeys();
      const doomed = await startTestHost(keys2, { kind });
      const c = await connectHost(doomed.hostConfig(), {
        identity: keys2.identityFile,
        knownHosts: keys2.knownHostsFile,
        connectTimeoutMs: 10_000,
      });
      const marker = join(doomed.root, 'started');
      const running = c.exec(`touch ${marker}; sleep 60`, { timeoutMs: 120_000 }).then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
      await waitFor('the command to start', async () => (await readdir(doomed.root)).includes('started'));
      await doomed.stop();
      const err = await running;
      assert.ok(err instanceof SshError);
      assert.equal(err.phase, 'command');
      assert.match(err.message, /connection lost/);
      await waitFor('the connection to be closed', async () => c.closed);
      await rejectsWith(c.exec('true', { timeoutMs: 1000 }), 'command', /connection lost/);
      await c.close();
    });
  });
}
