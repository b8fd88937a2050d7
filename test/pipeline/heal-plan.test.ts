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

// The steps each heal becomes (planHealHosts), one host per case, and what it costs.
import { planHealHosts } from '../../src/pipeline/heal-plan.ts';
import { NEW, OLD, PREV, env as envOf, execsOf, pipeline as pipelineOf, planHost, running, shape, LOCK, B } from './plan-fixture.ts';

const healDesired = { commit: B, release: PREV };
const lockOnly = { lock: { ageSeconds: 0, holder: LOCK } };
const healCases: Array<{ name: string; facts: HostFacts; shape: string[][][]; execs?: number; refused?: boolean }> = [
  { name: 'switched by hand: switch back and restart, then health', facts: { ...running, current: OLD, revision: 'a'.repeat(40) }, shape: [[['web1:heal-switch', 'web1:health+unlock']]], execs: 3 },
  { name: 'desired release deleted: a fresh release of the desired commit, undone on failure', facts: { releases: [OLD], commits: { [OLD]: 'a'.repeat(40) }, current: OLD, revision: 'a'.repeat(40), ...lockOnly }, shape: [[['web1:release (undo rollback)', 'web1:switch (undo rollback)', 'web1:health+unlock (undo rollback)']]], execs: 4 },
  { name: 'dangling current: redeployed', facts: { releases: [OLD], commits: { [OLD]: 'a'.repeat(40) }, current: PREV, dangling: true, ...lockOnly }, shape: [[['web1:release (undo rollback)', 'web1:switch (undo rollback)', 'web1:health+unlock (undo rollback)']]] },
  { name: 'health failing on the right commit: restart, then health', facts: { ...running, health: { ok: false, exitCode: 7, output: '' } }, shape: [[['web1:restart', 'web1:health+unlock']]], execs: 3 },
  { name: 'synced: nothing to do', facts: running, shape: [] },
  { name: 'a deploy holds the lock: refused, left alone', facts: { ...running, current: OLD, lock: { ageSeconds: 1, holder: 'state=s run=app#9' } }, shape: [], refused: true },
];

for (const c of healCases) {
  test(`planHealHosts: ${c.name}`, () => {
    const e = envOf(['web1']);
    const { plan } = planHealHosts({ pipeline: pipelineOf(e), env: e, hosts: [planHost('web1', c.facts)], desired: healDesired, commit: B, release: NEW, run: { number: 9 }, at: 'T', actor: 'observer' });
    assert.deepEqual(shape(plan), c.shape);
    assert.equal(plan.refusals.length > 0, c.refused === true);
    if (c.execs !== undefined) assert.equal(1 + execsOf(plan, 'web1'), c.execs);
  });
}

test('planHealHosts: the switch back names the release and writes a heal line in revisions.log', () => {
  const e = envOf(['web1']);
  const { plan } = planHealHosts({ pipeline: pipelineOf(e), env: e, hosts: [planHost('web1', { ...running, current: OLD, revision: 'a'.repeat(40) })], desired: healDesired, commit: B, release: NEW, run: { number: 9 }, at: 'T', actor: 'observer' });
  const sw = plan.batches[0]![0]![0]!.steps[0]!;
  assert.equal(sw.name, `web1: switch back to ${PREV}`);
  assert.ok(sw.script.includes(`'T ${PREV} ${B} heal=app#9 by=observer'`), sw.script);
  assert.equal(sw.retry, undefined, 'health is its own step');
  assert.equal(plan.release.web1, PREV);
});
