import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterHeal, classifyHost, healDue, healStoppedLine, nextHostSync, syncEvent, type ClassifyInput, type Classification } from '../../src/pipeline/observe.ts';
import type { HostFacts } from '../../src/pipeline/host-facts.ts';
import type { HostSync } from '../../src/state/types.ts';

const want = 'a'.repeat(40);
const other = 'b'.repeat(40);
const desired = { commit: want, release: '20260101000000-aaaaaaa' };
const old = '20250101000000-bbbbbbb';
const both = { releases: [old, desired.release], commits: { [old]: other, [desired.release]: want } };
const runs: HostFacts = { ...both, current: desired.release, revision: want };
const hashA = '1'.repeat(64);
const hashB = '2'.repeat(64);

const cases: Array<{ name: string; input: ClassifyInput; want: Classification | undefined }> = [
  { name: 'desired commit, no health check: synced', input: { desired, observed: { facts: runs } }, want: { sync: 'synced', reasons: [] } },
  { name: 'desired commit, healthy: synced', input: { desired, observed: { facts: { ...runs, health: { ok: true, exitCode: 0, output: 'ok' } } } }, want: { sync: 'synced', reasons: [] } },
  { name: 'never deployed: nothing desired, not drift', input: { desired: undefined, observed: { facts: runs } }, want: undefined },
  { name: 'unreachable: unknown', input: { desired, observed: { error: 'connect ECONNREFUSED 127.0.0.1:1' } }, want: { sync: 'unknown', reasons: ['cannot read the host: connect ECONNREFUSED 127.0.0.1:1'] } },
  { name: 'unreachable and never deployed: still unknown', input: { desired: undefined, observed: { error: 'timed out' } }, want: { sync: 'unknown', reasons: ['cannot read the host: timed out'] } },
  {
    name: 'switched by hand to another commit: out-of-sync',
    input: { desired, observed: { facts: { ...both, current: old, revision: other } } },
    want: { sync: 'out-of-sync', reasons: [`current is ${old} (bbbbbbb), git says aaaaaaa`] },
  },
  { name: 'current missing: out-of-sync', input: { desired, observed: { facts: { ...both } } }, want: { sync: 'out-of-sync', reasons: ['current is missing'] } },
  {
    name: 'current dangling (its release deleted): out-of-sync',
    input: { desired, observed: { facts: { releases: [old], commits: { [old]: other }, current: desired.release, dangling: true } } },
    want: { sync: 'out-of-sync', reasons: [`current points at releases/${desired.release}, which does not exist`] },
  },
  {
    name: 'current outside releases/: out-of-sync',
    input: { desired, observed: { facts: { ...both, foreignCurrent: '/opt/app' } } },
    want: { sync: 'out-of-sync', reasons: ['current points outside releases/: /opt/app'] },
  },
  {
    name: 'release without REVISION: out-of-sync',
    input: { desired, observed: { facts: { releases: [desired.release], commits: {}, current: desired.release } } },
    want: { sync: 'out-of-sync', reasons: [`current is ${desired.release}, which has no REVISION (an incomplete release)`] },
  },
  {
    name: 'health failing: degraded with the exit code and the last line',
    input: { desired, observed: { facts: { ...runs, health: { ok: false, exitCode: 7, output: 'curl: (7) Failed\nconnection refused' } } } },
    want: { sync: 'degraded', reasons: ['health check failed: exit 7: connection refused'] },
  },
  {
    name: 'health failing without output',
    input: { desired, observed: { facts: { ...runs, health: { ok: false, exitCode: 1, output: '' } } } },
    want: { sync: 'degraded', reasons: ['health check failed: exit 1'] },
  },
  {
    name: 'wrong commit and health failing: out-of-sync wins',
    input: { desired, observed: { facts: { ...both, current: old, revision: other, health: { ok: false, exitCode: 7, output: '' } } } },
    want: { sync: 'out-of-sync', reasons: [`current is ${old} (bbbbbbb), git says aaaaaaa`] },
  },
  {
    name: 'a tracked file changed: out-of-sync',
    input: { desired, files: { '/etc/app.env': hashA }, observed: { facts: { ...runs, files: { '/etc/app.env': hashB } } } },
    want: { sync: 'out-of-sync', reasons: [`/etc/app.env changed since the deploy (sha256 ${hashB.slice(0, 12)}, was ${hashA.slice(0, 12)})`] },
  },
  {
    name: 'a tracked file removed: out-of-sync',
    input: { desired, files: { '/etc/app.env': hashA }, observed: { facts: { ...runs, files: { '/etc/app.env': null } } } },
    want: { sync: 'out-of-sync', reasons: ['/etc/app.env is missing (it was there at the deploy)'] },
  },
  {
    name: 'tracked files unchanged: synced',
    input: { desired, files: { '/etc/app.env': hashA, '/etc/gone': null }, observed: { facts: { ...runs, files: { '/etc/app.env': hashA, '/etc/gone': null } } } },
    want: { sync: 'synced', reasons: [] },
  },
  {
    name: 'unit not active: degraded',
    input: { desired, service: 'app.service', observed: { facts: { ...runs, service: { activeState: 'failed', subState: 'failed', restarts: 3 } } } },
    want: { sync: 'degraded', reasons: ['app.service is failed (failed)'] },
  },
  {
    name: 'unit unknown to systemd: degraded',
    input: { desired, service: 'app.service', observed: { facts: { ...runs, service: {} } } },
    want: { sync: 'degraded', reasons: ['app.service is unknown to systemd'] },
  },
  { name: 'unit active: synced', input: { desired, service: 'app.service', observed: { facts: { ...runs, service: { activeState: 'active', subState: 'running' } } } }, want: { sync: 'synced', reasons: [] } },
];

for (const c of cases) {
  test(`classifyHost: ${c.name}`, () => {
    assert.deepEqual(classifyHost(c.input), c.want);
  });
}

const at = (now: string) => ({ pipeline: 'app', environment: 'prod', now });
const out: Classification = { sync: 'out-of-sync', reasons: ['current is missing'] };
const ok: Classification = { sync: 'synced', reasons: [] };

test('nextHostSync: since moves only when the sync state changes; drifted counts observations in a row; history keeps transitions', () => {
  const a = nextHostSync(undefined, ok, at('t1'));
  assert.deepEqual(a, { pipeline: 'app', environment: 'prod', sync: 'synced', reasons: [], since: 't1', observedAt: 't1', drifted: 0, history: [{ sync: 'synced', reasons: [], at: 't1' }] });
  const b = nextHostSync(a, out, at('t2'));
  assert.equal(b.since, 't2');
  assert.equal(b.drifted, 1);
  const c = nextHostSync(b, { sync: 'out-of-sync', reasons: ['other words'] }, at('t3'));
  assert.equal(c.since, 't2', 'same sync state: since stays');
  assert.equal(c.drifted, 2);
  assert.equal(c.observedAt, 't3');
  assert.equal(c.history.length, 2);
  const d = nextHostSync(c, { sync: 'unknown', reasons: ['down'] }, at('t4'));
  assert.equal(d.drifted, 2, 'unknown neither counts nor resets');
  const e = nextHostSync(d, ok, at('t5'));
  assert.equal(e.drifted, 0);
  assert.deepEqual(e.history.map((h) => h.sync), ['synced', 'out-of-sync', 'unknown', 'synced']);
});

test('nextHostSync: the history is bounded to the last 50 transitions', () => {
  let s: HostSync | undefined;
  for (let i = 0; i < 120; i++) s = nextHostSync(s, i % 2 ? out : ok, at(`t${i}`));
  assert.equal(s!.history.length, 50);
  assert.equal(s!.history.at(-1)!.at, 't119');
});

test('syncEvent: drift when a host leaves synced (first observation too), synced when it is back, nothing otherwise', () => {
  const synced = nextHostSync(undefined, ok, at('t1'));
  const drifted = nextHostSync(synced, out, at('t2'));
  assert.equal(syncEvent(undefined, nextHostSync(undefined, out, at('t1'))), 'drift');
  assert.equal(syncEvent(undefined, synced), undefined);
  assert.equal(syncEvent(synced, drifted), 'drift');
  assert.equal(syncEvent(drifted, nextHostSync(drifted, out, at('t3'))), undefined);
  assert.equal(syncEvent(drifted, nextHostSync(drifted, ok, at('t3'))), 'synced');
});

test('healDue: on, two drifted observations in a row, no lock, not stopped; never unknown', () => {
  const one = nextHostSync(undefined, out, at('t1'));
  const two = nextHostSync(one, out, at('t2'));
  assert.equal(healDue(one, { selfHeal: true, locked: false }), false);
  assert.equal(healDue(two, { selfHeal: true, locked: false }), true);
  assert.equal(healDue(two, { selfHeal: false, locked: false }), false);
  assert.equal(healDue(two, { selfHeal: true, locked: true }), false);
  const down = nextHostSync(nextHostSync(undefined, { sync: 'unknown', reasons: ['x'] }, at('t1')), { sync: 'unknown', reasons: ['x'] }, at('t2'));
  assert.equal(healDue(down, { selfHeal: true, locked: false }), false);
});

test('afterHeal: two failed heals of the same drift stop self-heal until the drift changes', () => {
  const two = nextHostSync(nextHostSync(undefined, out, at('t1')), out, at('t2'));
  const first = afterHeal(two, { ok: false, run: 5, now: 't3' });
  assert.equal(first.stopped, false);
  assert.equal(first.sync.drifted, 0, 'the next heal waits for two more observations');
  const again = nextHostSync(nextHostSync(first.sync, out, at('t4')), out, at('t5'));
  assert.equal(healDue(again, { selfHeal: true, locked: false }), true);
  const second = afterHeal(again, { ok: false, run: 6, now: 't6' });
  assert.equal(second.stopped, true);
  assert.equal(healStoppedLine(second.sync), 'self-heal stopped after 2 failed heals: current is missing');
  const still = nextHostSync(nextHostSync(second.sync, out, at('t7')), out, at('t8'));
  assert.equal(healDue(still, { selfHeal: true, locked: false }), false, 'stopped while the drift stays');
  const changed = nextHostSync(still, { sync: 'degraded', reasons: ['health check failed: exit 7'] }, at('t9'));
  assert.equal(changed.heal, undefined, 'another drift: healing resumes');
  assert.equal(healStoppedLine(nextHostSync(second.sync, ok, at('t10'))), undefined);
});
