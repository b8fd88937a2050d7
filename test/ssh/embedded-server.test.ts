import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import ssh2, { type ParsedKey, type PublicKeyAuthMethod } from 'ssh2';
import { generateKeyPair, startEmbeddedSshServer } from '../../src/ssh/embedded-server.ts';
import { createTestKeys } from '../helpers/ssh-host.ts';
import { registerExecSuite } from './exec-suite.ts';

// The same connection tests as against OpenSSH.
registerExecSuite('embedded');

test('generateKeyPair gives an OpenSSH private key and a public key line', () => {
  const pair = generateKeyPair();
  assert.match(pair.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
  assert.match(pair.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/]+=* slipway$/);
  assert.notEqual(generateKeyPair().publicKey, pair.publicKey);
});

/** Authenticates with `key`'s public half but signs with `signer`: a client without the private key. */
function tryLogin(port: number, key: ParsedKey, signer: ParsedKey): Promise<'ready' | string> {
  const forged = Object.assign(Object.create(Object.getPrototypeOf(key)), key, {
    sign: (data: Buffer, algo?: string) => signer.sign(data, algo),
  }) as ParsedKey;
  const methods: PublicKeyAuthMethod[] = [{ type: 'publickey', username: 'anyone', key: forged }];
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    client.on('ready', () => {
      client.end();
      resolve('ready');
    });
    client.on('error', (err) => resolve(err.message));
    client.connect({
      host: '127.0.0.1',
      port,
      username: 'anyone',
      authHandler: methods,
      hostVerifier: () => true, // this test is about client auth, not the host key
    });
  });
}

test('public-key auth verifies the signature, not just the offered key', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-'));
  const keys = await createTestKeys(dir);
  const server = await startEmbeddedSshServer({
    hostKey: generateKeyPair().privateKey,
    authorizedKeys: [keys.publicKey],
    home: dir,
  });
  try {
    const authorized = ssh2.utils.parseKey(await readFile(keys.identityFile)) as ParsedKey;
    const stranger = ssh2.utils.parseKey(generateKeyPair().privateKey) as ParsedKey;
    assert.equal(await tryLogin(server.port, authorized, authorized), 'ready');
    assert.match(await tryLogin(server.port, authorized, stranger), /authentication methods failed/);
    assert.match(await tryLogin(server.port, stranger, stranger), /authentication methods failed/);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
