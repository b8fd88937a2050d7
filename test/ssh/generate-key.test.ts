// ssh2's generateKeyPairSync('ed25519') strips leading zero bytes of the public key, so about one
// key in 256 cannot be parsed back (mscdex/ssh2#1390, #1513): `slipway demo` then died with
// "Cannot parse privateKey: Malformed OpenSSH private key". Every pair generateKeyPair hands out
// must parse, both halves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ssh2 from 'ssh2';
import { generateKeyPair } from '../../src/ssh/embedded-server.ts';

test('every generated key pair parses back, private and public (1,000 pairs: ~4 bad ones before the fix)', () => {
  for (let i = 0; i < 1000; i++) {
    const pair = generateKeyPair();
    const priv = ssh2.utils.parseKey(pair.privateKey);
    const pub = ssh2.utils.parseKey(pair.publicKey);
    assert.ok(!(priv instanceof Error), `pair ${i}: private key: ${priv instanceof Error ? priv.message : ''}`);
    assert.ok(!(pub instanceof Error), `pair ${i}: public key: ${pub instanceof Error ? pub.message : ''}`);
  }
});
