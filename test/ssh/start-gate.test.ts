// Connection starts are capped so that a fleet does not storm sshd's MaxStartups. Against a real
// sshd that drops every unauthenticated connection beyond 3 (MaxStartups 3), twelve host entries
// on that one sshd all connect when the pool lets two handshakes run at a time (one below the
// limit: sshd counts a login a moment after the client sees it). Uncapped, the same loses some.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HostConfig } from '../../src/config/types.ts';
import { SshPool } from '../../src/ssh/pool.ts';
import { MAX_STARTS, MAX_STARTS_PER_ADDRESS, StartGate } from '../../src/ssh/start-gate.ts';
import { createTestKeys, startTestHost, type TestHost, type TestKeys } from '../helpers/ssh-host.ts';

let keys: TestKeys;
let host: TestHost;

before(async () => {
  keys = await createTestKeys();
  host = await startTestHost(keys, { name: 'crowded', sshdOptions: ['MaxStartups 3'] });
});
after(async () => {
  await host?.stop();
});

test('twelve host entries on one sshd with MaxStartups 3 all connect through a capped pool', async (t) => {
  if (host.kind !== 'openssh') return t.skip('needs the real OpenSSH sshd');
  const hosts: Record<string, HostConfig> = {};
  for (let i = 0; i < 12; i++) hosts[`h${i}`] = host.hostConfig({ name: `h${i}` });
  const starts = new StartGate({ total: 30, perAddress: 2 });
  const pool = new SshPool({ hosts, starts, connect: { identity: keys.identityFile, knownHosts: keys.knownHostsFile, connectTimeoutMs: 10_000 } });
  try {
    const conns = await Promise.all(Object.keys(hosts).map((h) => pool.get(h)));
    const outs = await Promise.all(conns.map((c) => c.exec('echo ok', { timeoutMs: 10_000 })));
    assert.deepEqual(outs.map((o) => o.stdout), Array(12).fill('ok\n'));
    assert.equal(new Set(conns).size, 12, 'one connection per host entry');
    assert.equal(starts.peak, 2, 'never more than two handshakes at once');
  } finally {
    await pool.closeAll();
  }
});

test('the gate starts queued handshakes in order, per address and in all', async () => {
  const gate = new StartGate({ total: 3, perAddress: 2 });
  const open = new Map<string, number>();
  let most = 0;
  const releases: Array<() => void> = [];
  const started: string[] = [];
  const jobs = ['a', 'a', 'a', 'b', 'b', 'c'].map((key, i) =>
    gate.run(key, async () => {
      started.push(`${key}${i}`);
      open.set(key, (open.get(key) ?? 0) + 1);
      most = Math.max(most, open.get(key)!);
      await new Promise<void>((resolve) => releases.push(resolve));
      open.set(key, open.get(key)! - 1);
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  // a0, a1 (a is full at 2), then b3: three in all; a2 waits although it was queued first.
  assert.deepEqual(started, ['a0', 'a1', 'b3']);
  releases.shift()!();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, ['a0', 'a1', 'b3', 'a2']);
  while (started.length < 6 || releases.length > 0) {
    releases.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(jobs);
  assert.equal(most, 2);
  assert.equal(gate.peak, 3);
  assert.deepEqual([MAX_STARTS, MAX_STARTS_PER_ADDRESS], [30, 8]);
});
