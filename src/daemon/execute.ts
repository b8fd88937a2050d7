// What the queue runs: one job of one pipeline, with the config generation current when it
// starts. Every state write of a pipeline happens here, one job at a time: the superseded
// commits recorded, the run created, tested and deployed. Then notifications and retention.
import type { PipelineConfig } from '../config/types.ts';
import type { RunRecord } from '../state/types.ts';
import type { RunContext } from '../pipeline/context.ts';
import { createRun, executeRollback, executeRun } from '../pipeline/run.ts';
import { readApproval } from '../pipeline/approval.ts';
import { supersede } from '../pipeline/recover.ts';
import { commitRunRefusal } from '../pipeline/poll.ts';
import { readCommitInfo, resolveCommit } from '../git/commit.ts';
import { readRun, readRuns, statePaths, writeRun } from '../state/store.ts';
import { applyRetention } from '../state/retention.ts';
import type { Dispatch, Job, Reply } from './queue.ts';
import { errorMessage } from '../pipeline/failure.ts';
import { prepareDeploy, prepareRollback } from '../pipeline/deploy-request.ts';
import type { Logger } from './log.ts';
import { readFailureTail } from '../state/failure-tail.ts';
import { buildPayload, eventsFor, sendNotifications, verdictOf } from './notify.ts';
import { runKey } from './run-key.ts';

export interface Generation {
  ctx: RunContext;
  pipeline(name: string): PipelineConfig | undefined;
  reportUrl?: string;
}

export interface ExecuteDeps {
  log: Logger;
  /** Verdict of each pipeline's last decided run, for `recovery` (filled lazily from the state). */
  verdicts: Map<string, 'good' | 'bad' | undefined>;
  metrics?: { observeRun(run: RunRecord): void };
  /** Runs this daemon is carrying out now, by "PIPELINE#N": `slipway cancel` aborts them. */
  active: Map<string, AbortController>;
}

function replyOf(job: Job): Reply | undefined {
  return 'reply' in job ? job.reply : undefined;
}

export async function executeJob(gen: Generation, d: Dispatch, deps: ExecuteDeps): Promise<void> {
  const { ctx } = gen;
  const { log } = deps;
  const pipeline = gen.pipeline(d.pipeline);
  const reply = replyOf(d.job);
  if (!pipeline) {
    log.warn(`${d.pipeline}: no longer configured; its queued work is dropped`);
    await reply?.refused(`pipeline ${d.pipeline} is no longer configured`);
    return;
  }
  if (d.job.kind === 'heal') return (await import('./heal-job.ts')).executeHealJob(gen, pipeline, d.job, deps);
  let run: RunRecord | undefined;
  try {
    run = await startRun(gen, pipeline, d, deps);
    if (!run) return;
    if (run.finishedAt !== undefined) deps.metrics?.observeRun(run);
    log.info(`${pipeline.name} #${run.number}: ${run.status}${run.error ? ` (${run.error})` : ''}`);
    await afterRun(gen, pipeline, run, deps);
  } catch (e) {
    // The one catch of the daemon's run loop: the run's own failures are recorded in it; this is
    // what could not even be recorded (a state file that fails validation, a full disk).
    const message = errorMessage(e);
    log.error(`${pipeline.name}: ${d.job.kind} failed: ${message}`);
    if (!run) await reply?.refused(message, 1).catch(() => undefined);
  } finally {
    if (run) await reply?.done({ pipeline: pipeline.name, run: run.number }).catch(() => undefined);
  }
}

async function startRun(gen: Generation, pipeline: PipelineConfig, d: Dispatch, deps: ExecuteDeps): Promise<RunRecord | undefined> {
  const { ctx } = gen;
  const stateDir = ctx.config.settings.stateDir;
  const job = d.job;
  const now = ctx.now().toISOString();
  const winner = job.kind === 'commit' ? { commit: { id: job.commit } } : job.kind === 'queued' ? job.run : undefined;
  for (const old of d.superseded) {
    const by = winner?.commit.id.slice(0, 7);
    if (old.kind === 'commit' && (await commitRunRefusal(ctx, pipeline, { commit: old.commit, trigger: old.trigger }))) {
      await old.reply?.refused(`superseded by ${by} before it started`, 0);
      continue;
    }
    const record = await recordJob(ctx, pipeline, old);
    if (record.status === 'queued' && winner) await writeRun(stateDir, supersede(record, now, winner));
    deps.log.info(`${pipeline.name} #${record.number}: superseded by ${by}`);
    await replyOf(old)?.done({ pipeline: pipeline.name, run: record.number });
  }
  const reply = replyOf(job);
  const track = async (run: RunRecord, body: (c: RunContext) => Promise<RunRecord>): Promise<RunRecord> => {
    await reply?.started(pipeline.name, run.number);
    const controller = new AbortController();
    deps.active.set(runKey(pipeline.name, run.number), controller);
    try {
      const signal = ctx.signal ? AbortSignal.any([ctx.signal, controller.signal]) : controller.signal;
      return await body({ ...ctx, signal });
    } finally {
      deps.active.delete(runKey(pipeline.name, run.number));
    }
  };
  if (job.kind === 'deploy' || job.kind === 'rollback') {
    let prepared;
    try {
      prepared = job.kind === 'deploy' ? await prepareDeploy(ctx, pipeline, job.environment, job.commit) : await prepareRollback(ctx, pipeline, job.environment);
    } catch (e) {
      deps.log.warn(`${pipeline.name}: ${job.kind} by ${job.by} refused: ${errorMessage(e)}`);
      await reply?.refused(errorMessage(e), 1);
      return undefined;
    }
    const by = { ...ctx, actor: job.by };
    if ('tested' in prepared) {
      const { env, tested } = prepared;
      deps.log.info(`${pipeline.name}: deploy of ${tested.commit.id.slice(0, 7)} (tested in run #${tested.number}) to ${env.name} by ${job.by}`);
      const run = await createRun(by, pipeline, tested.commit, 'deploy');
      return track(run, (c) => executeRun({ ...c, actor: job.by }, pipeline, run, { environments: [env.name], testedIn: tested.number, approve: { environment: env.name, by: job.by } }));
    }
    const { env, commit } = prepared;
    deps.log.info(`${pipeline.name}: rollback of ${env.name} to ${commit.id.slice(0, 7)} by ${job.by}`);
    const run = await createRun(by, pipeline, commit, 'rollback');
    return track(run, (c) => executeRollback({ ...c, actor: job.by }, pipeline, run, env.name));
  }
  if (job.kind === 'approve') {
    // The same rule as `slipway approve` in-process: never an older commit over a newer one.
    const check = await readApproval(stateDir, pipeline.name, job.run);
    if (!check.ok) {
      deps.log.warn(`${pipeline.name} #${job.run}: approval by ${job.by} refused: ${check.message}`);
      await reply?.refused(check.message, check.kind === 'not-waiting' ? 2 : 1);
      return undefined;
    }
    const { run, environment } = check;
    deps.log.info(`${pipeline.name} #${job.run}: approved by ${job.by}; deploying to ${environment}`);
    return track(run, (c) => executeRun(c, pipeline, run, { approve: { environment, by: job.by } }));
  }
  if (job.kind === 'commit') {
    // The one place every poll, webhook, trigger and recovery of the daemon goes through.
    const refused = await commitRunRefusal(ctx, pipeline, { commit: job.commit, trigger: job.trigger, ...(job.explicit ? { explicit: true } : {}) });
    if (refused) {
      deps.log.info(`${pipeline.name}: ${job.trigger} not run: ${refused}`);
      await reply?.refused(`nothing to run: ${refused}`, 0);
      return undefined;
    }
  }
  if (job.kind === 'queued') {
    // Cancelled (or otherwise ended) while it waited in the queue.
    const now = await readRun(stateDir, pipeline.name, job.run.number).catch(() => job.run);
    if (now.status !== 'queued') return undefined;
  }
  const run = await recordJob(ctx, pipeline, job);
  deps.log.info(`${pipeline.name} #${run.number}: ${run.commit.id.slice(0, 7)} ${firstLine(run.commit.message)} (${run.trigger})`);
  return track(run, (c) => executeRun(c, pipeline, run));
}

/** The run record of a commit job (created now, `queued`), or the queued run it names. */
async function recordJob(ctx: RunContext, pipeline: PipelineConfig, job: Job): Promise<RunRecord> {
  if (job.kind === 'queued') return job.run;
  if (job.kind !== 'commit') throw new Error('an approval has no run to create');
  const gitdir = statePaths(ctx.config.settings.stateDir).git(pipeline.name);
  const commit = await readCommitInfo(gitdir, await resolveCommit(gitdir, job.commit));
  return createRun(ctx, pipeline, commit, job.trigger, job.branch ?? pipeline.branch);
}

export async function afterRun(gen: Generation, pipeline: PipelineConfig, run: RunRecord, deps: ExecuteDeps): Promise<void> {
  const { ctx } = gen;
  const stateDir = ctx.config.settings.stateDir;
  if (!deps.verdicts.has(pipeline.name)) {
    const earlier = (await readRuns(stateDir, pipeline.name, { last: 30 })).find((r) => r.number !== run.number && verdictOf(r));
    deps.verdicts.set(pipeline.name, earlier ? verdictOf(earlier) : undefined);
  }
  const events = eventsFor(run, deps.verdicts.get(pipeline.name));
  const verdict = verdictOf(run);
  if (verdict) deps.verdicts.set(pipeline.name, verdict);
  const notify = ctx.config.settings.notify;
  for (const event of events) {
    if (!notify.some((t) => t.on.includes(event))) continue;
    const failure = event === 'failure' ? await readFailureTail(stateDir, run) : undefined;
    const payload = buildPayload(event, run, { secrets: ctx.config.secrets, ...(gen.reportUrl ? { reportUrl: gen.reportUrl } : {}), ...(failure ? { failure } : {}) });
    await sendNotifications(notify, event, payload, { secrets: ctx.config.secrets, log: (level, line) => deps.log[level](line) });
  }
  if (pipeline.retention) {
    const removed = await applyRetention(stateDir, pipeline.name, pipeline.retention, ctx.now());
    if (removed.length > 0) {
      deps.log.info(`${pipeline.name}: retention removed ${removed.length} old run${removed.length === 1 ? '' : 's'} (#${removed[0]}${removed.length > 1 ? `…#${removed.at(-1)}` : ''})`);
      await ctx.report();
    }
  }
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}
