// StreamMasker against the one-shot masker, seeded: whatever the chunking (bytes cut inside UTF-8
// characters, one byte at a time, whole), a stream's masked output is exactly maskSecrets of its
// whole text; with stdout and stderr interleaved, no secret written to one stream shows.
// SLIPWAY_SEED=N reproduces a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamMasker, maskSecrets } from '../../src/exec/mask.ts';
import { seededRandom } from '../helpers/prng.ts';

const SEED = Number(process.env.SLIPWAY_SEED ?? 7);

const random = seededRandom;

const CHARS = [...'abcXYZ0189 -_=+/', '\n', '"', "'", '\\', '$', 'é', 'ß', '漢', '🚀', 'ж'];

function makeSecrets(rnd: () => number): string[] {
  const word = (n: number) => Array.from({ length: n }, () => CHARS[Math.floor(rnd() * CHARS.length)]).join('');
  return [
    `tok${word(5 + Math.floor(rnd() * 20))}`,
    `${word(3)}\n${word(12)}\n${word(12)}`, // multi-line
    `ü${word(4)}🚀`,
    word(300 + Math.floor(rnd() * 600)), // very long
  ];
}

function chunked(bytes: Buffer, rnd: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(rnd() * (rnd() < 0.4 ? 3 : 400));
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

test(`seed ${SEED}: streamed masking equals masking the whole text, for any chunking`, () => {
  const rnd = random(SEED);
  for (let round = 0; round < 150; round++) {
    const secrets = makeSecrets(rnd);
    const parts: string[] = [];
    for (let i = 0; i < 12; i++) parts.push(rnd() < 0.5 ? secrets[Math.floor(rnd() * secrets.length)]! : `noise ${i} ünï\n`);
    const text = parts.join(rnd() < 0.5 ? '' : '\n');
    let out = '';
    const masker = new StreamMasker(secrets, (t) => (out += t));
    for (const chunk of chunked(Buffer.from(text), rnd)) masker.write(chunk, 'stdout');
    masker.flush();
    assert.equal(out, maskSecrets(text, secrets), `round ${round}`);
  }
});

test(`seed ${SEED}: stdout and stderr interleaved at random never let a secret through`, () => {
  const rnd = random(SEED + 1);
  for (let round = 0; round < 100; round++) {
    const secrets = makeSecrets(rnd);
    const streams = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    for (const name of ['stdout', 'stderr'] as const) {
      const text = Array.from({ length: 6 }, () => `${secrets[Math.floor(rnd() * secrets.length)]} and `).join('');
      streams[name] = chunked(Buffer.from(text), rnd);
    }
    let out = '';
    const masker = new StreamMasker(secrets, (t) => (out += t));
    while (streams.stdout.length || streams.stderr.length) {
      const name = streams.stdout.length && (!streams.stderr.length || rnd() < 0.5) ? 'stdout' : 'stderr';
      masker.write(streams[name].shift()!, name);
    }
    masker.flush();
    for (const secret of secrets) assert.ok(!out.includes(secret), `round ${round}: ${JSON.stringify(secret.slice(0, 30))} shows`);
    assert.ok(!out.includes('\ufffd'), `round ${round}: a character was torn`);
  }
});
