import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { generateKeyPair } from '../../src/ssh/embedded-server.ts';
import {
  findKnownKeys,
  findRevokedKeys,
  fingerprintSha256,
  makeHostVerifier,
} from '../../src/ssh/known-hosts.ts';

const run = promisify(execFile);
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** "ssh-ed25519 AAAA..." without the comment, and its blob. */
function newKey(): { line: string; blob: Buffer } {
  const [type, base64] = generateKeyPair().publicKey.split(' ');
  return { line: `${type} ${base64}`, blob: Buffer.from(base64!, 'base64') };
}

async function hashWithSshKeygen(text: string): Promise<string> {
  const file = join(dir, `kh-${Math.random().toString(36).slice(2)}`);
  await writeFile(file, text);
  await run('ssh-keygen', ['-H', '-f', file]);
  return readFile(file, 'utf8');
}

test('fingerprintSha256 equals ssh-keygen -lf', async () => {
  for (const type of ['ed25519', 'ecdsa', 'rsa']) {
    const file = join(dir, `key-${type}`);
    await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
    const pub = await readFile(`${file}.pub`, 'utf8');
    const { stdout } = await run('ssh-keygen', ['-lf', `${file}.pub`]);
    const want = stdout.split(' ')[1];
    assert.match(want!, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.equal(fingerprintSha256(Buffer.from(pub.split(' ')[1]!, 'base64')), want, type);
  }
});

test('findKnownKeys: plain entries, ports, lists, wildcards, negation', () => {
  const k = newKey();
  const cases: Array<{ entry: string; address: string; port: number; match: boolean }> = [
    { entry: '10.0.0.1', address: '10.0.0.1', port: 22, match: true },
    { entry: '10.0.0.1', address: '10.0.0.1', port: 2222, match: false },
    { entry: '[10.0.0.1]:2222', address: '10.0.0.1', port: 2222, match: true },
    { entry: '[10.0.0.1]:2222', address: '10.0.0.1', port: 22, match: false },
    { entry: '[10.0.0.1]:22', address: '10.0.0.1', port: 22, match: true },
    { entry: '[10.0.0.1]:2223', address: '10.0.0.1', port: 2222, match: false },
    { entry: 'web1,10.0.0.1', address: '10.0.0.1', port: 22, match: true },
    { entry: 'web1,10.0.0.2', address: '10.0.0.1', port: 22, match: false },
    { entry: 'Web1.Example.com', address: 'web1.example.com', port: 22, match: true },
    { entry: '*.example.com', address: 'web1.example.com', port: 22, match: true },
    { entry: '*.example.com', address: 'example.com', port: 22, match: false },
    { entry: '10.0.0.?', address: '10.0.0.7', port: 22, match: true },
    { entry: '10.0.0.?', address: '10.0.0.17', port: 22, match: false },
    { entry: '*.example.com,!bad.example.com', address: 'bad.example.com', port: 22, match: false },
    { entry: '*.example.com,!bad.example.com', address: 'ok.example.com', port: 22, match: true },
    { entry: '[*.example.com]:2222', address: 'a.example.com', port: 2222, match: true },
    { entry: '10.0.0.1.', address: '10.0.0.1', port: 22, match: false },
    { entry: '10a0a0a1', address: '10.0.0.1', port: 22, match: false },
  ];
  for (const c of cases) {
    const found = findKnownKeys(`${c.entry} ${k.line} comment here\n`, c.address, c.port);
    assert.equal(found.length, c.match ? 1 : 0, `${c.entry} vs ${c.address}:${c.port}`);
    if (c.match) {
      assert.equal(found[0]!.type, 'ssh-ed25519');
      assert.deepEqual(found[0]!.blob, k.blob);
    }
  }
});

test('findKnownKeys: entries hashed by ssh-keygen -H, on port 22 and others', async () => {
  const a = newKey();
  const b = newKey();
  const hashed = await hashWithSshKeygen(`10.0.0.1 ${a.line}\n[10.0.0.1]:2222 ${b.line}\n`);
  assert.match(hashed, /^\|1\|/);
  assert.doesNotMatch(hashed, /10\.0\.0\.1/);
  assert.deepEqual(findKnownKeys(hashed, '10.0.0.1', 22).map((key) => key.blob), [a.blob]);
  assert.deepEqual(findKnownKeys(hashed, '10.0.0.1', 2222).map((key) => key.blob), [b.blob]);
  assert.deepEqual(findKnownKeys(hashed, '10.0.0.2', 22), []);
});

test('findKnownKeys: skips comments, markers and broken lines safely', () => {
  const good = newKey();
  const other = newKey();
  const [, otherB64] = other.line.split(' ');
  const text = [
    '# 10.0.0.1 ' + other.line,
    '',
    '   ',
    '@cert-authority 10.0.0.1 ' + other.line,
    '@revoked 10.0.0.1 ' + other.line,
    '@unknown 10.0.0.1 ' + other.line,
    '10.0.0.1 ssh-rsa ' + otherB64, // the blob says ssh-ed25519: corrupt
    '10.0.0.1 ssh-ed25519 not*base64',
    '10.0.0.1 ssh-ed25519',
    '10.0.0.1',
    '|1|bad|hash ' + other.line,
    '|1|' + Buffer.alloc(20).toString('base64') + '|' + Buffer.alloc(20).toString('base64') + ' ' + other.line,
    '10.0.0.1 ' + good.line + '\r',
  ].join('\n');
  assert.deepEqual(findKnownKeys(text, '10.0.0.1', 22).map((key) => key.blob), [good.blob]);
  assert.deepEqual(findRevokedKeys(text, '10.0.0.1', 22).map((key) => key.blob), [other.blob]);
});

test('makeHostVerifier: known_hosts accepts only the listed key', async () => {
  const k = newKey();
  const stranger = newKey();
  const file = join(dir, 'known_hosts-1');
  await writeFile(file, `[127.0.0.1]:2222 ${k.line}\n`);
  const v = makeHostVerifier({ address: '127.0.0.1', port: 2222, knownHostsFile: file });
  assert.deepEqual(v.expected, [fingerprintSha256(k.blob)]);
  assert.equal(v.source, file);
  assert.deepEqual(v.keyTypes, ['ssh-ed25519']);
  assert.equal(v.verify(stranger.blob), false);
  assert.equal(v.offered, fingerprintSha256(stranger.blob));
  assert.equal(v.verify(k.blob), true);
  assert.equal(v.offered, fingerprintSha256(k.blob));
});

test('makeHostVerifier: nothing known refuses every key (no trust on first use)', async () => {
  const k = newKey();
  for (const knownHostsFile of [undefined, join(dir, 'missing-file'), join(dir, 'known_hosts-1')]) {
    const v = makeHostVerifier({ address: '127.0.0.1', port: 2299, knownHostsFile });
    assert.deepEqual(v.expected, []);
    assert.equal(v.verify(k.blob), false);
  }
});

test('makeHostVerifier: @revoked refuses even a key that is also listed or pinned', async () => {
  const k = newKey();
  const file = join(dir, 'known_hosts-revoked');
  await writeFile(file, `10.0.0.1 ${k.line}\n@revoked 10.0.0.1 ${k.line}\n`);
  const v = makeHostVerifier({ address: '10.0.0.1', port: 22, knownHostsFile: file });
  assert.equal(v.verify(k.blob), false);
  assert.equal(v.revoked, true);
  const pinned = makeHostVerifier({ address: '10.0.0.1', port: 22, knownHostsFile: file, pinned: k.line });
  assert.equal(pinned.verify(k.blob), false);
});

test('makeHostVerifier: a pin (key line or fingerprint) wins over known_hosts', async () => {
  const k = newKey();
  const listed = newKey();
  const file = join(dir, 'known_hosts-pin');
  await writeFile(file, `10.0.0.1 ${listed.line}\n`);
  const fp = fingerprintSha256(k.blob);
  for (const pinned of [k.line, `${k.line} some comment`, fp, `${fp}=`, `  ${fp}  `]) {
    const v = makeHostVerifier({ address: '10.0.0.1', port: 22, knownHostsFile: file, pinned });
    assert.deepEqual(v.expected, [fp], pinned);
    assert.equal(v.source, 'hostKey');
    assert.equal(v.verify(k.blob), true, pinned);
    assert.equal(v.verify(listed.blob), false, pinned);
  }
  assert.deepEqual(makeHostVerifier({ address: 'h', port: 22, pinned: fp }).keyTypes, []);
  assert.deepEqual(makeHostVerifier({ address: 'h', port: 22, pinned: k.line }).keyTypes, ['ssh-ed25519']);
});

test('makeHostVerifier: a pin that is neither a key line nor a fingerprint is an error', () => {
  for (const pinned of ['ssh-ed25519', 'AAAA', 'md5:aa:bb', 'ssh-rsa ' + newKey().line.split(' ')[1]]) {
    assert.throws(() => makeHostVerifier({ address: 'h', port: 22, pinned }), /neither a public key line/, pinned);
  }
});

test('makeHostVerifier: a known_hosts file edited between connects counts from the next verifier (its lines are compiled once per content)', async () => {
  const file = join(dir, 'kh-edited');
  const a = newKey();
  const b = newKey();
  await writeFile(file, `[10.0.0.9]:2222 ${a.line}\n`);
  const first = makeHostVerifier({ address: '10.0.0.9', port: 2222, knownHostsFile: file });
  assert.equal(first.verify(a.blob), true);
  assert.equal(first.verify(b.blob), false);
  await writeFile(file, `[10.0.0.9]:2222 ${b.line}\n@revoked [10.0.0.9]:2222 ${a.line}\n`);
  const second = makeHostVerifier({ address: '10.0.0.9', port: 2222, knownHostsFile: file });
  assert.equal(second.verify(b.blob), true);
  assert.equal(second.verify(a.blob), false);
  assert.equal(second.revoked, true);
});
