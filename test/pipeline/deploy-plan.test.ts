// planDeploy and planRollback pinned for every situation: what runs on which host, in which
// order and batch, what undoes it, and how many SSH execs it costs (issue 13: ≤ 4 per host).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseRelease, planDeploy, planRollback, type DeployPlanInput } from '../../src/pipeline/deploy-plan.ts';
import { releaseLockScript, relockScript } from '../../src/pipeline/lock-scripts.ts';
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
    name: 'three hosts at once: each prunes and releases its lock in its own health exec, as one host does',
    env: env(['web1', 'web2', 'web3']),
    shape: [[['web1:release (undo rollback)', 'web1:switch (undo rollback)', 'web1:health+unlock (undo rollback)', 'web2:release (undo rollback)', 'web2:switch (undo rollback)', 'web2:health+unlock (undo rollback)', 'web3:release (undo rollback)', 'web3:switch (undo rollback)', 'web3:health+unlock (undo rollback)']]],
    execs: 4,
  },
  {
    name: 'ten hosts at once, no health check: the unlock goes with each switch',
    env: env(Array.from({ length: 10 }, (_, n) => `web${n + 1}`), { healthCheck: undefined } as Partial<DeploySpec>),
    shape: [[Array.from({ length: 10 }, (_, n) => [`web${n + 1}:release (undo rollback)`, `web${n + 1}:switch+unlock (undo rollback)`]).flat()]],
    execs: 3,
  },
  {
    name: 'batch: 1 with user steps: one host per batch, steps before the switch',
    env: env(['web1', 'web2'], { steps: ['npm ci'] }, 1),
    shape: [[['web1:release (undo rollback)', 'web1:step-1 (undo rollback)', 'web1:switch (undo rollback)', 'web1:health+unlock (undo rollback)']], [['web2:release (undo rollback)', 'web2:step-1 (undo rollback)', 'web2:switch (undo rollback)', 'web2:health+unlock (undo rollback)']]],
    execs: 5,
  },
  {
    name: 'once steps: the first batch staged, the once step on its first host, then every host switches',
    env: env(['web1', 'web2'], { onceSteps: ['npm run migrate'] }),
    shape: [[['web1:release (undo rollback)', 'web2:release (undo rollback)'], ['web1:once-1 (undo rollback)'], ['web1:switch (undo rollback)', 'web1:health+unlock (undo rollback)', 'web2:switch (undo rollback)', 'web2:health+unlock (undo rollback)']]],
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
  // The undo takes the lock back first (the host released it when healthy), then switches back.
  assert.ok(back.script.startsWith(`${relockScript('/srv/app', LOCK)}; ( set -e; cd /srv/app; ln -sfn releases/${PREV} .current.${PREV}.tmp; mv -T .current.${PREV}.tmp current ) || exit $?; rm -rf /srv/app/releases/${NEW}`), back.script);
  assert.deepEqual(back.relock, { path: '/srv/app', lock: LOCK });
  assert.equal(back.retry?.release, PREV, 'a rollback ends when the previous release is healthy again');
  assert.deepEqual(Object.keys(plan.unlock), ['web1']);
});

test('planDeploy: three hosts — each host\'s undo takes its lock back first, in the same exec, and releases it when healthy again', () => {
  const e = env(['web1', 'web2', 'web3'], { restart: undefined, healthCheck: undefined } as Partial<DeploySpec>);
  const plan = planDeploy(input(e, {}));
  const take =
    `slipway_was=; { IFS= read -r slipway_was < /srv/app/.slipway-lock/info; } 2>/dev/null; if [ "$slipway_was" != '${LOCK}' ]; then ( [ -d /srv/app ] || mkdir -p /srv/app || exit 1; new=/srv/app/.slipway-lock.new.$$; if [ -e "$new" ] || [ -L "$new" ]; then rm -rf "$new"; fi; mkdir "$new" || exit 1; ` +
    `printf '%s\\n' '${LOCK}' > "$new/info" || { rm -rf "$new"; exit 1; }; if mv -T "$new" /srv/app/.slipway-lock 2>/dev/null; then exit 0; fi; rm -rf "$new"; ` +
    `{ age=$(( $(date +%s) - $(stat -c %Y /srv/app/.slipway-lock 2>/dev/null || date +%s) )); slipway_holder=; { IFS= read -r slipway_holder < /srv/app/.slipway-lock/info; } 2>/dev/null; printf 'held=%s %s\\n' "$age" "$slipway_holder"; exit 75; } ) </dev/null || ` +
    `{ slipway_rc=$?; [ "$slipway_rc" -ne 75 ] || printf 'runs=%s\\n' "$(readlink /srv/app/current 2>/dev/null)"; exit "$slipway_rc"; }; fi`;
  assert.equal(relockScript('/srv/app', LOCK), take);
  const release =
    `t=/srv/app/.slipway-lock/info.release.$$; if mv /srv/app/.slipway-lock/info "$t" 2>/dev/null; then slipway_was=; { IFS= read -r slipway_was < "$t"; } 2>/dev/null; if [ "$slipway_was" = '${LOCK}' ]; then rm -rf /srv/app/.slipway-lock; else mv "$t" /srv/app/.slipway-lock/info; fi; fi; true`;
  assert.equal(releaseLockScript('/srv/app', LOCK), release);
  for (const [n, h] of e.hosts.entries()) {
    const [, sw] = plan.batches[0]![0]![n]!.steps;
    assert.equal(sw!.unlocks, true, `${h}: the switch releases the lock`);
    const back = sw!.undo![0]!;
    assert.equal(back.name, `${h}: roll back to ${PREV}`);
    assert.equal(
      back.script,
      `( ${take}; ( set -e; cd /srv/app; ln -sfn releases/${PREV} .current.${PREV}.tmp; mv -T .current.${PREV}.tmp current ) || exit $?; rm -rf /srv/app/releases/${NEW} /srv/app/releases/.${NEW}.partial || exit $? ) && { ${release}; }`,
    );
    assert.deepEqual({ relock: back.relock, unlocks: back.unlocks, retry: back.retry }, { relock: { path: '/srv/app', lock: LOCK }, unlocks: true, retry: undefined });
  }
  // With a health check the lock goes with the check of the previous release, the undo's last exec.
  const healthy = planDeploy(input(env(['web1', 'web2', 'web3']), {}));
  const back = healthy.batches[0]![0]![1]!.steps[2]!.undo![0]!;
  assert.ok(back.script.startsWith(`${take}; `), back.script);
  assert.ok(back.retry!.script.endsWith(`) && { ${release}; }`), back.retry!.script);
  assert.equal(back.retry!.release, PREV);
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

const rollbacks: Array<{ name: string; hosts: Record<string, HostFacts>; shape: string[][][]; refusal?: RegExp; execs?: number }> = [
  { name: 'every host back one release, unlocked in its health exec, forward again as its undo', hosts: { web1: running, web2: running, web3: running }, shape: [[['web1:rollback+unlock (undo roll-forward)', 'web2:rollback+unlock (undo roll-forward)', 'web3:rollback+unlock (undo roll-forward)']]], execs: 3 },
  { name: 'one host alone: the unlock goes with its switch', hosts: { web1: running }, shape: [[['web1:rollback+unlock (undo roll-forward)']]], execs: 3 },
  { name: 'a host with no release before its current one: refused before anything changes', hosts: { web1: running, web2: { ...running, releases: [PREV] } }, shape: [], refusal: new RegExp(`web2: no release before ${PREV} on this host`) },
  { name: 'a host with nothing deployed: refused', hosts: { web1: fresh }, shape: [], refusal: /web1: nothing deployed on this host/ },
];

for (const c of rollbacks) {
  test(`planRollback: ${c.name}`, () => {
    const e = env(Object.keys(c.hosts));
    const plan = planRollback({ pipeline: pipeline(e), env: e, hosts: e.hosts.map((h) => planHost(h, c.hosts[h]!)), run: { number: 8 }, at: 'T', actor: 'ops' });
    assert.deepEqual(shape(plan), c.shape);
    if (c.execs !== undefined) for (const h of e.hosts) assert.equal(1 + execsOf(plan, h), c.execs, `SSH execs on ${h}`);
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
  assert.ok(step.undo![0]!.script.startsWith(relockScript('/srv/app', LOCK)), 'the roll-forward takes the lock back first');
  assert.ok(step.undo![0]!.script.includes(`rollback=app#8`));
  assert.equal(label(step), 'web1:rollback+unlock (undo roll-forward)');
  assert.ok(LOCK.length > 0);
});
