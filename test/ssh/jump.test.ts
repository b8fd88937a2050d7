// proxyJump: a host reached through another host's connection (ssh -J), on real sshd.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { SshPool } from '../../src/ssh/pool.ts';
import { SshError } from '../../src/errors.ts';
import { createTestKeys, startTestHost, type TestHost } from '../helpers/ssh-host.ts';

const hosts: TestHost[] = [];
after(async () => {
  for (const h of hosts) await h.stop();
});

test('a host with proxyJump is reached through the jump host, with its own key verified', { skip: !process.env.SLIPWAY_REQUIRE_SSHD && !(await import('node:fs')).existsSync('/usr/sbin/sshd') ? 'no sshd: the embedded server does not forward TCP' : false }, async () => {
  const keys = await createTestKeys();
  const bastion = await startTestHost(keys, { name: 'bastion' });
  const inner = await startTestHost(keys, { name: 'inner' });
  hosts.push(bastion, inner);
  const pool = new SshPool({
    hosts: { bastion: bastion.hostConfig(), inner: inner.hostConfig({ proxyJump: 'bastion' }) },
    connect: { identity: keys.identityFile, knownHosts: keys.knownHostsFile, connectTimeoutMs: 5000 },
  });
  try {
    const conn = await pool.get('inner');
    const r = await conn.exec('echo "$HOME"', { timeoutMs: 10_000 });
    assert.equal(r.stdout.trim(), inner.root, 'the command ran on the inner host');
    // With the jump host down, the inner host cannot be reached although it is up: proof that
    // the connection really went through the jump host.
    await pool.closeAll();
    await bastion.stop();
    await assert.rejects(pool.get('inner'), (e: unknown) => e instanceof SshError && e.host === 'bastion' && e.phase === 'connect');
  } finally {
    await pool.closeAll();
  }
});
