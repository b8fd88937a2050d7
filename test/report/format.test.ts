// compareNames (src/report/format.ts) sorts as localeCompare does: its code-unit shortcut for
// plain names (lowercase letters, digits, '.', '-') must never disagree with the collator.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { compareNames } from '../../src/report/format.ts';

it('compareNames orders as localeCompare, plain names or not', () => {
  // A fixed pseudo-random walk over names made of the plain alphabet, prefixes and one-offs.
  const alphabet = 'az09.-';
  let seed = 7;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const names = Array.from({ length: 400 }, () => Array.from({ length: next() % 6 }, () => alphabet[next() % alphabet.length]).join(''));
  names.push('web-10', 'web-9', 'web.9', 'web9', 'Web-1', 'web_1', 'wéb', 'a', '', 'zz', 'app', 'app-staging');
  for (const a of names) for (const b of names) assert.equal(Math.sign(compareNames(a, b)), Math.sign(a.localeCompare(b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
});
