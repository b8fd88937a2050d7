import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesBranch, otherBranches } from '../../src/git/branch-match.ts';

test('branch globs: * within a segment, ** across, ? one character, the rest literal', () => {
  const table: Array<[string, string, boolean]> = [
    ['feature/x', 'feature/*', true],
    ['feature/x/y', 'feature/*', false],
    ['feature/x/y', 'feature/**', true],
    ['feature', 'feature/*', false],
    ['release-1.2', 'release-?.?', true],
    ['release-1x2', 'release-1.2', false],
    ['main', 'main', true],
    ['mainline', 'main', false],
    ['a+b', 'a+b', true],
  ];
  for (const [branch, glob, expected] of table) assert.equal(matchesBranch(branch, [glob]), expected, `${branch} ~ ${glob}`);
});

test('otherBranches leaves out the deploy branch and sorts', () => {
  assert.deepEqual(otherBranches(['main', 'feature/b', 'other', 'feature/a'], ['main', 'feature/*'], 'main'), ['feature/a', 'feature/b']);
});
