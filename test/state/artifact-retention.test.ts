import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planArtifactRemoval } from '../../src/state/artifact-retention.ts';

const art = (run: number) => ({ sha256: 'a'.repeat(64), bytes: 1, files: 1, run });

test('an artifact goes with its run unless a kept run ships it (a promotion or deploy --commit)', () => {
  const runs = [
    { number: 1, artifact: art(1) },
    { number: 2, artifact: art(2) },
    { number: 3, artifact: art(1) }, // deploy --commit of run 1's commit: still on a host
    { number: 4 },
    { number: 5, artifact: art(5) },
  ];
  assert.deepEqual(planArtifactRemoval(runs, [1, 2, 4]), [2]);
  assert.deepEqual(planArtifactRemoval(runs, [1, 2, 3, 4]), [1, 2]);
  assert.deepEqual(planArtifactRemoval(runs, []), []);
});
