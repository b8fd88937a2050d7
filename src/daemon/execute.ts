// What the queue runs: one job of one pipeline, with the config generation current when it
// starts. Every state write of a pipeline happens here, one job at a time: the superseded
// commits recorded, the run created, tested and deployed. Then notifications and retention.
import type { PipelineConfig } from '../config/types.ts';
import type { RunRecord } from '../state/types.ts';
import type { RunContext } from '../pipeline/context.ts';
import { createRun, executeRun, waitingEnvironment } from '../pipeline/run.ts';
import { supersede } from '../pipeline/recover.ts';
import { readCommitInfo, resolveCommit } from '../git/commit.ts';
import { readRun, readRuns, statePaths, writeRun } from '../state/store.ts';
import { applyRetention } from '../state/retention.ts';
import type { Dispatch, Job } from './queue.ts';
import type { Logger } from './log.ts';
import { buildPayload, eventsFor, sendNotifications, verdictOf } from './notify.ts';

export interface Generation {
  ctx: RunContext;
  pipeline(name: string): PipelineConfig | undefined;
  reportUrl?: string;
}

export interface ExecuteDeps {
  log: Logger;
  /** Verdict of each pipeline's last decided run, for `recovery` (filled lazily from the state). */
  verdicts: Map<string, 'good' | 'bad' | undefined>;
}

export async function executeJob(gen: Generation, d: Dispatch, deps: ExecuteDeps): Promise<void> {
  const { ctx } = gen;
  const { log } = deps;
  const pipeline = gen.pipeline(d.pipeline);
  if (!pipeline) {
    log.warn(`${d.pipeline}: no longer configured; its queued work is dropped`);
    return;
  }
  try {
    const run = await startRun(gen, pipeline, d, deps);
    if (!run) return;
    log.info(`${pipeline.name} #${run.number}: ${run.status}${run.error ? ` (${run.error})` : ''}`);
    await afterRun(gen, pipeline, run, deps);
  } catch (e) {
    // The one catch of the daemon's run loop: the run's own failures are recorded in it; this is
    // what could not even be recorded (a state file that fails validation, a full disk).
    log.error(`${pipeline.name}: ${d.job.kind} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function startRun(gen: Generation, pipeline: PipelineConfig, d: Dispatch, deps: ExecuteDeps): Promise<RunRecord | undefined> {
  const { ctx } = gen;
  const stateDir = ctx.config.settings.stateDir;
  const job = d.job;
  const now = ctx.now().toISOString();
  const winner = job.kind === 'commit' ? { commit: { id: job.commit } } : job.kind === 'queued' ? job.run : undefined;
  for (const old of d.superseded) {
    const record = await recordJob(ctx, pipeline, old);
    if (record.status === 'queued' && winner) await writeRun(stateDir, supersede(record, now, winner));
    deps.log.info(`${pipeline.name} #${record.number}: superseded by ${winner?.commit.id.slice(0, 7)}`);
  }
  if (job.kind === 'approve') {
    const run = await readRun(stateDir, pipeline.name, job.run);
    const environment = waitingEnvironment(run);
    if (run.status !== 'waiting' || !environment) {
      deps.log.warn(`${pipeline.name} #${job.run}: approval ignored: the run is ${run.status}, not waiting`);
      return undefined;
    }
    deps.log.info(`${pipeline.name} #${job.run}: approved by ${job.by}; deploying to ${environment}`);
    return executeRun(ctx, pipeline, run, { approve: { environment, by: job.by } });
  }
  const run = await recordJob(ctx, pipeline, job);
  deps.log.info(`${pipeline.name} #${run.number}: ${run.commit.id.slice(0, 7)} ${firstLine(run.commit.message)} (${run.trigger})`);
  return executeRun(ctx, pipeline, run);
}

/** The run record of a commit job (created now, `queued`), or the queued run it names. */
async function recordJob(ctx: RunContext, pipeline: PipelineConfig, job: Job): Promise<RunRecord> {
  if (job.kind === 'queued') return job.run;
  if (job.kind !== 'commit') throw new Error('an approval has no run to create');
  const gitdir = statePaths(ctx.config.settings.stateDir).git(pipeline.name);
  const commit = await readCommitInfo(gitdir, await resolveCommit(gitdir, job.commit));
  return createRun(ctx, pipeline, commit, job.trigger, job.branch ?? pipeline.branch);
}

async function afterRun(gen: Generation, pipeline: PipelineConfig, run: RunRecord, deps: ExecuteDeps): Promise<void> {
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
    const payload = buildPayload(event, run, { secrets: ctx.config.secrets, ...(gen.reportUrl ? { reportUrl: gen.reportUrl } : {}) });
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
