// A heal run's deploy stage (trigger: heal): hosts that drifted from what the environment
// should run are put back — switched to the desired release when it is still whole on the host,
// redeployed (a fresh release of the desired commit) when it is gone, restarted when only the
// health check fails. Locks are taken as a deploy takes them, so a heal never races a deploy;
// what to do is decided again from facts read under the lock (the observer's may be stale).
// The run's commit is the environment's desired commit (the caller makes the run so).
import type { EnvironmentConfig, PipelineConfig } from '../config/types.ts';
import type { StageRecord } from '../state/types.ts';
import { readHostState, writeHostState, readPipelineState, statePaths } from '../state/store.ts';
import { appendAudit } from '../state/audit.ts';
import { hostEntry, setHostEntry } from '../state/host-key.ts';
import { SlipwayError } from '../errors.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import { healthCommand, type HostFacts } from './host-facts.ts';
import { chooseRelease } from './deploy-plan.ts';
import { planHealHosts, type DesiredState, type HealAction } from './heal-plan.ts';
import { connectPlanApply, type Applied } from './env-apply.ts';
import { hostOutcome, nextHostAfterDeploy, nextHostAfterHeal } from './host-record.ts';
import { errorMessage } from './failure.ts';

export { planHeal, planHealHosts, describeHeal, type HealAction, type DesiredState } from './heal-plan.ts';

/** True when every given host runs the desired commit healthy at the end. */
export async function healHosts(
  ctx: RunContext,
  rec: RunRecorder,
  pipeline: PipelineConfig,
  env: EnvironmentConfig,
  stage: StageRecord,
  hosts: Array<{ host: string; facts: HostFacts }>,
): Promise<boolean> {
  const stateDir = ctx.config.settings.stateDir;
  const names = hosts.map((h) => h.host);
  stage.status = 'running';
  stage.startedAt ??= rec.now();
  stage.hosts = names.map((host) => ({ host, status: 'pending' }));
  await rec.save();
  let applied: Applied | undefined;
  let actions: Record<string, HealAction | undefined> = {};
  let thrown: unknown;
  try {
    const readDesired = async (): Promise<DesiredState> => {
      const recorded = (await readPipelineState(stateDir, pipeline.name)).environments[env.name];
      if (!recorded) throw new SlipwayError(`${env.name} has no recorded deploy to heal back to`);
      return { commit: recorded.commit, release: recorded.release };
    };
    const first = await readDesired();
    let desired = first;
    const artifact = rec.run.artifact;
    applied = await connectPlanApply(ctx, rec, stage, env, {
      hosts: names,
      undo: 'host',
      // Is it healthy now, serving the desired commit? Asked under the lock, in the same exec.
      extra: (host) => {
        const vars = { ...ctx.config.hosts[host]?.env, SLIPWAY_COMMIT: desired.commit, SLIPWAY_RELEASE: desired.release, SLIPWAY_PREVIOUS: '', SLIPWAY_ENV: env.name, SLIPWAY_HOST: host, SLIPWAY_PIPELINE: pipeline.name };
        const command = healthCommand(env, vars);
        return command ? { health: { command, env: vars } } : {};
      },
      decide: async (planHosts) => {
        // Read again holding the locks: a deploy we waited for may have changed what is desired.
        desired = await readDesired();
        if (desired.commit !== first.commit) throw new SlipwayError(`${env.name} now should run ${desired.commit.slice(0, 7)}, not ${first.commit.slice(0, 7)}: a deploy came first; nothing healed`);
        const made = planHealHosts({
          pipeline,
          env,
          hosts: planHosts,
          desired,
          commit: desired.commit,
          release: chooseRelease(desired.commit, ctx.now(), planHosts.flatMap((h) => h.facts.releases)),
          run: { number: rec.run.number, ...(artifact ? { artifact } : {}) },
          at: rec.now(),
          actor: ctx.actor,
          ...(artifact ? { artifactFile: statePaths(rec.stateDir).artifact(rec.run.pipeline, artifact.run) } : {}),
        });
        actions = made.actions;
        return made.plan;
      },
    });
    await recordHealed(ctx, rec, pipeline, env, applied, actions, desired);
  } catch (e) {
    thrown = e;
  }
  const outcomes = names.map((host) => {
    const hold = applied?.holds.find((h) => h.host === host);
    return hostOutcome(host, hold?.facts, applied?.plan, applied?.results[host], hold?.error);
  });
  stage.hosts = outcomes;
  // A host with nothing to heal (it came back by itself) is fine: `untouched`, no error.
  const ok = thrown === undefined && applied?.plan !== undefined && outcomes.every((o) => o.status === 'deployed' || (o.status === 'untouched' && !o.error && !actions[o.host]));
  stage.status = ok ? 'passed' : 'failed';
  if (!ok) {
    const errors = outcomes.filter((o) => o.error).map((o) => `${o.host}: ${o.error}`);
    if (thrown !== undefined) errors.push(errorMessage(thrown));
    stage.error = rec.mask(errors.join('; ') || 'heal failed');
  }
  stage.finishedAt = rec.now();
  await rec.save();
  await appendAudit(stateDir, {
    version: 1,
    time: rec.now(),
    action: 'heal',
    pipeline: pipeline.name,
    environment: env.name,
    run: rec.run.number,
    commit: rec.run.commit.id,
    hosts: names,
    by: ctx.actor,
    result: ok ? 'ok' : 'failed',
    ...(stage.error ? { error: stage.error } : {}),
  });
  return ok;
}

/** STATE/hosts: a healed host runs the desired commit; one whose heal failed is recorded as a failed deploy leaves it. */
async function recordHealed(ctx: RunContext, rec: RunRecorder, pipeline: PipelineConfig, env: EnvironmentConfig, applied: Applied, actions: Record<string, HealAction | undefined>, desired: DesiredState): Promise<void> {
  const stateDir = ctx.config.settings.stateDir;
  const now = rec.now();
  for (const hold of applied.holds) {
    const action = actions[hold.host];
    const result = applied.results[hold.host];
    const release = applied.plan?.release[hold.host];
    if (!action || !hold.facts || !release || !result) continue;
    const hs = await readHostState(stateDir, hold.host);
    const { pipeline: _p, ...before } = { pipeline: '', ...(hostEntry(hs, pipeline.name, env.deploy.path) ?? { releases: [] }) };
    if (action.kind === 'redeploy') {
      const outcome = hostOutcome(hold.host, hold.facts, applied.plan, result);
      const pruned = applied.plan?.pruned[hold.host] ?? [];
      setHostEntry(hs, pipeline.name, env.deploy.path, nextHostAfterDeploy({ before, facts: hold.facts, outcome, switched: result.switched, pruned, commit: desired.commit, run: rec.run.number, now }));
    } else if (result.status === 'deployed') {
      setHostEntry(hs, pipeline.name, env.deploy.path, nextHostAfterHeal(before, hold.facts, release, desired.commit, rec.run.number, now));
    } else continue;
    await writeHostState(stateDir, hs);
  }
}
