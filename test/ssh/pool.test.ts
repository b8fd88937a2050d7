import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SshPool } from '../../src/ssh/pool.ts';
import { createTestKeys, startTestHost, type TestHost, type TestKeys } from '../helpers/ssh-host.ts';
import { rejectsWith, waitFor } from './exec-suite.ts';

let keys: TestKeys;
let web1: TestHost;
let web2: TestHost;
let pool: SshPool;

before(async () => {
  keys = await createTestKeys();
  web1 = await startTestHost(keys, { name: 'web1' });
  web2 = await startTestHost(keys, { name: 'web2' });
  pool = new SshPool({
    hosts: { web1: web1.hostConfig(), web2: web2.hostConfig() },
    connect: { identity: keys.identityFile, knownHosts: keys.knownHostsFile, connectTimeoutMs: 10_000 },
  });
});
after(async () => {
  await pool?.closeAll();
  await web1?.stop();
  await web2?.stop();
});

/** The client's TCP port as the host sees it: one per SSH connection. */
async function clientPort(hostName: string): Promise<string> {
  const conn = await pool.get(hostName);
  // SSH_CONNECTION is "client-ip client-port server-ip server-port" (sshd sets it; the embedded server does not).
  const r = await conn.exec('echo "$SSH_CONNECTION"', { timeoutMs: 10_000 });
  assert.equal(r.code, 0);
  return r.stdout.split(' ')[1] ?? '';
}

test('one connection per host is reused; concurrent get() share one connect', async () => {
  const [a, b, c] = await Promise.all([pool.get('web1'), pool.get('web1'), pool.get('web1')]);
  assert.equal(a, b);
  assert.equal(b, c);
  assert.equal(await pool.get('web1'), a);
  const other = await pool.get('web2');
  assert.notEqual(other, a);
  assert.equal(other.host, 'web2');
  if (web1.kind === 'openssh') {
    const ports = await Promise.all(Array.from({ length: 5 }, () => clientPort('web1')));
    assert.equal(new Set(ports).size, 1, `one connection expected, saw client ports ${ports.join(', ')}`);
    assert.match(ports[0]!, /^\d+$/);
  }
});

test('a closed connection is replaced', async () => {
  const first = await pool.get('web1');
  const before = web1.kind === 'openssh' ? await clientPort('web1') : '';
  await first.close();
  assert.equal(first.closed, true);
  const second = await pool.get('web1');
  assert.notEqual(second, first);
  assert.equal((await second.exec('echo again', { timeoutMs: 10_000 })).stdout, 'again\n');
  if (web1.kind === 'openssh') assert.notEqual(await clientPort('web1'), before);
});

test('a connection lost with its host is replaced once the host is back', async () => {
  const first = await pool.get('web2');
  const marker = join(web2.root, 'started');
  const running = first.exec(`touch ${marker}; sleep 60`, { timeoutMs: 120_000 });
  const lost = rejectsWith(running, 'command', /connection lost/);
  await waitFor('the command to start', async () => (await readdir(web2.root)).includes('started'));
  await web2.stop();
  await lost;
  await waitFor('the connection to be closed', async () => first.closed);
  // A failed connect is not cached: the next get() tries again.
  await rejectsWith(pool.get('web2'), 'connect', /ECONNREFUSED/);
  await web2.start!();
  const second = await pool.get('web2');
  assert.notEqual(second, first);
  assert.equal((await second.exec('echo back', { timeoutMs: 10_000 })).stdout, 'back\n');
});

test('an unknown host name is an SshError', async () => {
  await rejectsWith(pool.get('nope'), 'connect', /no such host/);
});

test('closeAll closes every connection', async () => {
  const conns = await Promise.all([pool.get('web1'), pool.get('web2')]);
  await pool.closeAll();
  assert.ok(conns.every((c) => c.closed));
});
