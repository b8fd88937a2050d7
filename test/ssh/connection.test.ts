import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { before, test } from 'node:test';
import { buildRemoteCommand, connectHost } from '../../src/ssh/connection.ts';
import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestKeys, startSilentTcpServer, startTestHost, type TestKeys } from '../helpers/ssh-host.ts';
import { registerExecSuite, rejectsWith } from './exec-suite.ts';
import type { HostConfig } from '../../src/config/types.ts';

// The real thing: OpenSSH sshd (the helper falls back to the embedded server only without it,
// and refuses to when SLIPWAY_REQUIRE_SSHD=1).
registerExecSuite();

let keys: TestKeys;
before(async () => {
  keys = await createTestKeys();
});

const hostAt = (port: number): HostConfig => ({ name: 'h1', address: '127.0.0.1', port, user: 'deploy', env: {} });

test('buildRemoteCommand: the exact command the host receives', () => {
  assert.equal(buildRemoteCommand('echo hi', { timeoutMs: 600_000 }), `exec timeout -k 5 600s sh -c 'echo hi'`);
  assert.equal(
    buildRemoteCommand(`echo "it's"`, { timeoutMs: 1500, cwd: '/srv/my app', env: { A: 'x y', B: '$(z)' } }),
    `exec timeout -k 5 2s sh -c 'cd '\\''/srv/my app'\\'' && export A='\\''x y'\\'' B='\\''$(z)'\\''; echo "it'\\''s"'`,
  );
  assert.equal(buildRemoteCommand('true', { timeoutMs: 1, cwd: '~' }), `exec timeout -k 5 1s sh -c 'cd "$HOME" && true'`);
  assert.equal(
    buildRemoteCommand('true', { timeoutMs: 1000, cwd: '~/app dir' }),
    `exec timeout -k 5 1s sh -c 'cd "$HOME"/'\\''app dir'\\'' && true'`,
  );
  assert.throws(() => buildRemoteCommand('true', { timeoutMs: 1000, env: { 'A-B': 'x' } }), /invalid environment variable name/);
});

test('a closed port fails in phase connect', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const err = await rejectsWith(
    connectHost(hostAt(port), { identity: keys.identityFile, knownHosts: keys.knownHostsFile, connectTimeoutMs: 5000 }),
    'connect',
    /ECONNREFUSED/,
  );
  assert.equal(err.message, `h1: connect: cannot connect to 127.0.0.1:${port}: ECONNREFUSED`);
});

test('a peer that accepts TCP but never speaks SSH fails in phase handshake', async () => {
  const silent = await startSilentTcpServer();
  try {
    const started = Date.now();
    const err = await rejectsWith(
      connectHost(hostAt(silent.port), { identity: keys.identityFile, knownHosts: keys.knownHostsFile, connectTimeoutMs: 700 }),
      'handshake',
      /no SSH handshake completed within 0\.7s/,
    );
    assert.equal(
      err.message,
      `h1: handshake: 127.0.0.1:${silent.port} accepted the connection but no SSH handshake completed within 0.7s`,
    );
    // Bounded by connectTimeout, not by a TCP or ssh2 default (that would be minutes).
    assert.ok(Date.now() - started < 30_000);
  } finally {
    await silent.close();
  }
});

test('an invalid hostKey pin fails in phase host key before connecting', async () => {
  await rejectsWith(
    connectHost({ ...hostAt(1), hostKey: 'not a key' }, { connectTimeoutMs: 1000 }),
    'host key',
    /neither a public key line/,
  );
});

test('an identity file replaced on disk is used from the next connect (the parsed key is cached per content)', async () => {
  const host = await startTestHost(keys, { name: 'rotated' });
  try {
    const identity = join(await mkdtemp(join(tmpdir(), 'slipway-identity-')), 'id');
    const connect = () => connectHost(host.hostConfig(), { identity, knownHosts: keys.knownHostsFile, connectTimeoutMs: 10_000 });
    await copyFile(keys.identityFile, identity);
    await (await connect()).close();
    const stranger = await createTestKeys();
    await copyFile(stranger.identityFile, identity);
    await rejectsWith(connect(), 'auth', /refused with key/);
    await copyFile(keys.identityFile, identity);
    const again = await connect();
    assert.equal((await again.exec('echo back', { timeoutMs: 10_000 })).stdout, 'back\n');
    await again.close();
  } finally {
    await host.stop();
  }
});
