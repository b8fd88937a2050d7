// planDeploy and planRollback pinned for every situation: what runs on which host, in which
// order and batch, what undoes it, and how many SSH execs it costs (issue 13: ≤ 4 per host).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseRelease, planDeploy, planRollback, type DeployPlanInput } from '../../src/pipeline/deploy-plan.ts';
import type { DeploySpec, EnvironmentConfig } from '../../src/config/types.ts';
import type { HostFacts } from '../../src/pipeline/host-facts.ts';
import { A, B, C, LOCK, NEW, OLD, PREV, env, execsOf, fresh, label, pipeline, planHost, running, shape } from './plan-fixture.ts';

function input(e: EnvironmentConfig, facts: Record<string, HostFacts>, over: Partial<DeployPlanInput> = {}): DeployPlanInput {
  return { pipeline: pipeline(e), env: e, hosts: e.hosts.map((h) => planHost(h, facts[h] ?? running)), commit: C, release: NEW, run: { number: 7 }, at: 'T', actor: 'ops', ...over };
}

const cases: Array<{ name: string; env: EnvironmentConfig; facts?: Record<string, HostFacts>; over?: Partial<DeployPlanInput>; shape: string[][][]; execs?: number }> = [
  {
    name: 'first deploy, one host: release, switch+restart, health (+unlock); a first deploy rolls back to no current',
    env: env(['web1']),
    facts: { web1: fresh },
    shape: [[['web1:release (undo rollback)', 'web1:switch (undo rollback)', 'web1:health+unlock (undo rollback)']]],
    execs: 4,
  },
  {
    name: 'redeploy, one host, no health check: the unlock goes with the switch',
    env: env(['web1'], { healthCheck: undefined } as Partial<DeploySpec>),
    shape: [[['web1:release (undo rollback)', 'web1:switch+unlock (undo rollback)']]],
    execs: 3,
  },
  {
    name: 'three hosts at once: each keeps its lock until every host is healthy',
    env: env(['web1', 'web2', 'web3']),
    shape: [[['web1:release (undo rollback)', 'web1:switch (undo rollback)', 'web1:health (undo rollback)', 'web2:release (undo rollback)', 'web2:switch (undo rollback)', 'web2:health (undo rollback)', 'web3:release (undo rollback)', 'web3:switch (undo rollback)', 'web3:health (undo rollback)']]],
    execs: 5,
  },
  {
    name: 'batch: 1 with user steps: one host per batch, steps before the switch',
    env: env(['web1', 'web2'], { steps: ['npm ci'] }, 1),
    shape: [[['web1:release (undo rollback)', 'web1:step-1 (undo rollback)', 'web1:switch (undo rollback)', 'web1:health (undo rollback)']], [['web2:release (undo rollback)', 'web2:step-1 (undo rollback)', 'web2:switch (undo rollback)', 'web2:health (undo rollback)']]],
  },
  {
    name: 'once steps: the first batch staged, the once step on its first host, then every host switches',
    env: env(['web1', 'web2'], { onceSteps: ['npm run migrate'] }),
    shape: [[['web1:release (undo rollback)', 'web2:release (undo rollback)'], ['web1:once-1 (undo rollback)'], ['web1:switch (undo rollback)', 'web1:health (undo rollback)', 'web2:switch (undo rollback)', 'web2:health (undo rollback)']]],
  },
  {
    name: 'source: upload: the tree as a tar on stdin',
    env: env(['web1'], { source: 'upload', restart: undefined, healthCheck: undefined } as Partial<DeploySpec>),
    over: { uploadDir: '/state/work/app/upload-7-prod' },
    shape: [[['web1:upload (undo rollback)', 'web1:switch+unlock (undo rollback)']]],
    execs: 3,
  },
  {
    name: 'source: artifact: the packed file on stdin, shared links in the same exec',
    env: env(['web1'], { source: 'artifact', shared: ['.env'] }),
    over: { run: { number: 7, artifact: { sha256: 'f'.repeat(64), bytes: 10, files: 1, run: 5 } }, artifactFile: '/state/artifacts/app/5.tar.gz' },
    shape: [[['web1:artifact (undo rollback)', 'web1:switch (undo rollback)', 'web1:health+unlock (undo rollback)']]],
    execs: 4,
  },
  {
    name: 'a lock that is not ours: refused, nothing planned',
    env: env(['web1', 'web2']),
    facts: { web2: { ...running, lock: { ageSeconds: 3, holder: 'state=x run=other#9' } } },
    shape: [],
  },
  {
    name: 'a current we do not understand: refused',
    env: env(['web1']),
    facts: { web1: { ...fresh, foreignCurrent: '/opt/elsewhere' } },
    shape: [],
  },
];

for (const c of cases) {
  test(`planDeploy: ${c.name}`, () => {
    const plan = planDeploy(input(c.env, c.facts ?? {}, c.over));
    assert.deepEqual(shape(plan), c.shape);
    if (c.execs !== undefined) for (const h of c.env.hosts) assert.equal(1 + execsOf(plan, h), c.execs, `SSH execs on ${h} (connect+lock+facts, then the plan)`);
    if (!c.shape.length) assert.ok(plan.refusals.length > 0, 'refused with a reason');
    else assert.deepEqual(plan.refusals, []);
  });
}

test('planDeploy: the exact steps of a pull redeploy, and what undoes them', () => {
  const e = env(['web1'], { shared: ['.env'], keepReleases: 1 });
  const plan = planDeploy(input(e, {}));
  const [release, sw, health] = plan.batches[0]![0]![0]!.steps;
  assert.equal(release!.name, `web1: fetch ccccccc as release ${NEW}, link shared .env`);
  assert.match(release!.script, /^set -e; export GIT_TERMINAL_PROMPT=0; .* git --git-dir=\/srv\/app\/repo archive --format=tar c{40} \| tar -x -C .*ln -s \/srv\/app\/shared\/.env /);
  assert.equal(release!.cause, 'infrastructure');
  assert.equal(release!.undo![0]!.name, `web1: remove release ${NEW} (never switched to)`);
  assert.equal(sw!.name, 'web1: switch current and restart');
  assert.equal(sw!.error, 'switch');
  assert.deepEqual(sw!.then, { marker: `switched current to releases/${NEW}`, error: 'restart' });
  assert.ok(sw!.script.includes(`printf '%s\\n' 'T ${NEW} ${C} run=app#7 by=ops' >> /srv/app/revisions.log`), sw!.script);
  // keepReleases 1: everything but the new release and the one it replaces goes, by name.
  assert.deepEqual(plan.pruned.web1, [OLD]);
  assert.ok(!sw!.script.includes(`rm -rf -- /srv/app/releases/${OLD}`), 'nothing is pruned before the host is healthy');
  assert.ok(health!.retry!.script.includes(`( rm -rf -- /srv/app/releases/${OLD} ) || echo 'slipway: pruning old releases failed; they stay' >&2; t=`), health!.retry!.script);
  assert.equal(plan.finish.web1!.name, 'web1: keep 1 releases, release deploy lock');
  assert.ok(sw!.script.endsWith('./restart.sh'), 'the restart is the last part');
  assert.equal(Buffer.from(sw!.stdin!.kind === 'bytes' ? sw!.stdin!.data : '').toString().includes(`SLIPWAY_PREVIOUS='${PREV}'`), true, 'variables on stdin, never in the script');
  assert.ok(!sw!.script.includes('SLIPWAY_'), 'no variable values in the script');
  assert.equal(health!.retry!.timeoutMs, 10_000);
  assert.ok(health!.retry!.script.includes('/srv/app/.slipway-lock') && health!.retry!.script.includes('curl -fsS localhost/health'));
  const back = health!.undo![0]!;
  assert.equal(back.name, `web1: roll back to ${PREV}`);
  assert.match(back.script, new RegExp(`^\\( set -e; cd /srv/app; ln -sfn releases/${PREV} .current.${PREV}.tmp; mv -T .current.${PREV}.tmp current \\) \\|\\| exit \\$\\?; rm -rf /srv/app/releases/${NEW}`));
  assert.equal(back.retry?.release, PREV, 'a rollback ends when the previous release is healthy again');
  assert.deepEqual(Object.keys(plan.unlock), ['web1']);
});

test('planDeploy: a first deploy undoes to no current at all', () => {
  const plan = planDeploy(input(env(['web1']), { web1: fresh }));
  const back = plan.batches[0]![0]![0]!.steps[1]!.undo![0]!;
  assert.equal(back.name, 'web1: roll back');
  assert.equal(back.script, `rm -f /srv/app/current && rm -rf /srv/app/releases/${NEW} /srv/app/releases/.${NEW}.partial`);
});

test('planDeploy: an artifact-less run is refused at its first step, with what to do', () => {
  const plan = planDeploy(input(env(['web1'], { source: 'artifact' }), {}));
  assert.match(plan.batches[0]![0]![0]!.steps[0]!.refuse ?? '', /this run has no artifact .*run the commit again to build one/);
});

test('chooseRelease: a name a host already has moves on by a second', () => {
  const at = new Date('2026-01-03T00:00:00Z');
  assert.equal(chooseRelease(C, at, []), NEW);
  assert.equal(chooseRelease(C, at, [NEW]), '20260103000001-ccccccc');
});

const rollbacks: Array<{ name: string; hosts: Record<string, HostFacts>; shape: string[][][]; refusal?: RegExp }> = [
  { name: 'every host back one release, forward again as its undo', hosts: { web1: running, web2: running }, shape: [[['web1:rollback+unlock (undo roll-forward)'.replace('+unlock', ''), 'web2:rollback (undo roll-forward)']]] },
  { name: 'one host alone: the unlock goes with its switch', hosts: { web1: running }, shape: [[['web1:rollback+unlock (undo roll-forward)']]] },
  { name: 'a host with no release before its current one: refused before anything changes', hosts: { web1: running, web2: { ...running, releases: [PREV] } }, shape: [], refusal: new RegExp(`web2: no release before ${PREV} on this host`) },
  { name: 'a host with nothing deployed: refused', hosts: { web1: fresh }, shape: [], refusal: /web1: nothing deployed on this host/ },
];

for (const c of rollbacks) {
  test(`planRollback: ${c.name}`, () => {
    const e = env(Object.keys(c.hosts));
    const plan = planRollback({ pipeline: pipeline(e), env: e, hosts: e.hosts.map((h) => planHost(h, c.hosts[h]!)), run: { number: 8 }, at: 'T', actor: 'ops' });
    assert.deepEqual(shape(plan), c.shape);
    if (c.refusal) assert.match(plan.refusals.map((r) => `${r.host}: ${r.error}`).join('; '), c.refusal);
    else assert.deepEqual(plan.release, Object.fromEntries(e.hosts.map((h) => [h, OLD])));
  });
}

test('planRollback: the exact step — switch, revisions.log, restart with the old release variables, health of the old release', () => {
  const e = env(['web1']);
  const plan = planRollback({ pipeline: pipeline(e), env: e, hosts: [planHost('web1', running)], run: { number: 8 }, at: 'T', actor: 'ops' });
  const step = plan.batches[0]![0]![0]!.steps[0]!;
  assert.equal(step.name, `web1: switch to ${OLD}`);
  assert.ok(step.script.includes(`'T ${OLD} ${A} rollback=app#8 by=ops'`), step.script);
  const vars = step.stdin?.kind === 'bytes' ? step.stdin.data.toString() : '';
  assert.ok(vars.includes(`SLIPWAY_RELEASE='${OLD}'`) && vars.includes(`SLIPWAY_COMMIT='${A}'`), vars);
  assert.equal(step.retry?.release, OLD);
  assert.equal(step.retry?.error, 'health check');
  assert.equal(step.undo![0]!.name, `web1: switch to ${PREV}`);
  assert.ok(step.undo![0]!.script.includes(`rollback=app#8`));
  assert.equal(label(step), 'web1:rollback+unlock (undo roll-forward)');
  assert.ok(LOCK.length > 0);
});
