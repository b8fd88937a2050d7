import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planHeal, type HealAction } from '../../src/pipeline/heal.ts';
import type { HostFacts } from '../../src/pipeline/host-facts.ts';

// Each drift kind a host can show, and what a heal does about it.
const want = 'a'.repeat(40);
const other = 'b'.repeat(40);
const desired = { commit: want, release: '20260101000000-aaaaaaa' };
const both = { releases: ['20250101000000-bbbbbbb', desired.release], commits: { '20250101000000-bbbbbbb': other, [desired.release]: want } };

const cases: Array<{ name: string; facts: HostFacts; action: HealAction | undefined }> = [
  { name: 'synced and healthy: nothing', facts: { ...both, current: desired.release, revision: want, health: { ok: true, exitCode: 0, output: '' } }, action: undefined },
  { name: 'synced, health not asked: nothing', facts: { ...both, current: desired.release, revision: want }, action: undefined },
  { name: 'switched by hand to an older release: switch back', facts: { ...both, current: '20250101000000-bbbbbbb', revision: other }, action: { kind: 'switch', release: desired.release } },
  { name: 'desired release deleted: redeploy', facts: { releases: ['20250101000000-bbbbbbb'], commits: { '20250101000000-bbbbbbb': other }, current: '20250101000000-bbbbbbb', revision: other }, action: { kind: 'redeploy' } },
  { name: 'dangling current (its release deleted): redeploy', facts: { releases: ['20250101000000-bbbbbbb'], commits: { '20250101000000-bbbbbbb': other }, current: desired.release, dangling: true }, action: { kind: 'redeploy' } },
  { name: 'desired release without REVISION (incomplete): redeploy', facts: { releases: [desired.release], commits: {}, current: desired.release }, action: { kind: 'redeploy' } },
  { name: 'no current at all, desired release whole: switch', facts: { ...both }, action: { kind: 'switch', release: desired.release } },
  { name: 'right commit, health failing: restart', facts: { ...both, current: desired.release, revision: want, health: { ok: false, exitCode: 7, output: 'refused' } }, action: { kind: 'restart' } },
  { name: 'right commit under another release name (a heal redeployed it), healthy: nothing', facts: { releases: ['20260102000000-aaaaaaa'], commits: { '20260102000000-aaaaaaa': want }, current: '20260102000000-aaaaaaa', revision: want }, action: undefined },
];

for (const c of cases) {
  test(`planHeal: ${c.name}`, () => {
    assert.deepEqual(planHeal(c.facts, desired), c.action);
  });
}
