import type { PipelineConfig } from '../config/types.ts';
import type { CommitInfo, RunRecord, StageRecord } from '../state/types.ts';
import { STATE_VERSION } from '../state/types.ts';
import { listRunNumbers, readPipelineState, readRun, writePipelineState, writeRun } from '../state/store.ts';
import type { RunContext } from './context.ts';
import { RunRecorder } from './recorder.ts';
import { runTestStage } from './test-stage.ts';
import { deployEnvironment } from './deploy-env.ts';
import { appendAudit } from '../state/audit.ts';
import { rollbackEnvironment } from './rollback-env.ts';
import { StateError } from '../errors.ts';
import { supersedeWaiting } from './waiting.ts';
import { CancelRequest } from './cancel.ts';
import { diskFullAt, errorMessage } from './failure.ts';
import { postRunStatus } from '../forge/run-status.ts';
import { recordSeen } from './branch-poll.ts';
import { statePaths } from '../state/paths.ts';
import { moveRun } from './run-status.ts';
import { recordDeployedFiles } from './observe-hosts.ts';

/**
 * A new run, `queued`. Its number comes from the pipeline state, but never below what is on
 * disk: a crash between writing a run and the pipeline state must not reuse a number.
 */
export async function createRun(ctx: RunContext, pipeline: PipelineConfig, commit: CommitInfo, trigger: string, branch = pipeline.branch): Promise<RunRecord> {
  const stateDir = ctx.config.settings.stateDir;
  const state = await readPipelineState(stateDir, pipeline.name);
  const numbers = await listRunNumbers(stateDir, pipeline.name);
  const number = Math.max(state.nextRunNumber, (numbers.at(-1) ?? 0) + 1);
  const run: RunRecord = {
    version: STATE_VERSION,
    pipeline: pipeline.name,
    number,
    status: 'queued',
    commit,
    branch,
    trigger,
    createdAt: ctx.now().toISOString(),
    stages: [],
  };
  await writeRun(stateDir, run);
  state.nextRunNumber = number + 1;
  if (trigger === 'poll') await recordSeen(state, { gitdir: statePaths(stateDir).git(pipeline.name), deployBranch: pipeline.branch, branch, commit: commit.id });
  await writePipelineState(stateDir, state);
  await ctx.report({ pipeline: pipeline.name, run: number });
  return run;
}

export interface ExecuteOptions {
  /** The environment whose manual gate this call opens (from `slipway approve`, or `slipway deploy` itself). */
  approve?: { environment: string; by: string };
  /** Deploy only to these environments (`slipway deploy --env`). */
  environments?: string[];
  /** The commit already passed its tests in this run: no test stage again. */
  testedIn?: number;
}

/**
 * Test, then each environment in order (a later environment only gets a commit the earlier one
 * took healthy). Stops `waiting` at a manual gate; an approval resumes at that environment.
 */
export async function executeRun(ctx: RunContext, pipeline: PipelineConfig, run: RunRecord, opts: ExecuteOptions = {}): Promise<RunRecord> {
  return endOnError(ctx, run, () => executeRunStages(ctx, pipeline, run, opts));
}

/**
 * An unexpected error (a state file that cannot be written, a mirror that cannot be read) must not
 * leave a run `running` for ever: it ends `failed` with the error, and the caller carries on.
 */
async function endOnError(ctx: RunContext, run: RunRecord, body: () => Promise<RunRecord>): Promise<RunRecord> {
  try {
    return await body();
  } catch (e) {
    if (run.status !== 'running' && run.status !== 'queued') throw e;
    const rec = new RunRecorder(ctx.config.settings.stateDir, run, { secrets: ctx.config.secrets, now: ctx.now, onChange: ctx.report });
    rec.noteFailure('infrastructure');
    if (e instanceof StateError || (e as NodeJS.ErrnoException).code !== undefined) rec.saveFailed = true;
    return finishRun(rec, ctx.signal?.aborted ? 'interrupted' : 'failed', `slipway error: ${errorMessage(e)}`);
  }
}

async function executeRunStages(ctx: RunContext, pipeline: PipelineConfig, run: RunRecord, opts: ExecuteOptions): Promise<RunRecord> {
  const rec = new RunRecorder(ctx.config.settings.stateDir, run, { secrets: ctx.config.secrets, now: ctx.now, onChange: ctx.report });
  moveRun(run, 'running');
  run.startedAt ??= rec.now();
  await rec.save();
  // After the daemon's shutdown grace its steps are killed: that failure is an interruption.
  const finish = (r: RunRecorder, status: RunRecord['status'], error?: string): Promise<RunRecord> => {
    if (!ctx.signal?.aborted || status !== 'failed') return finishRun(r, status, error);
    const reason: unknown = ctx.signal.reason;
    if (reason instanceof CancelRequest) return finishRun(r, 'cancelled', `cancelled by ${reason.by} (${error})`);
    return finishRun(r, 'interrupted', `interrupted: slipway stopped during the run (${error})`);
  };

  const alreadyTested = rec.stage('test')?.status === 'passed';
  const testing = !alreadyTested && opts.testedIn === undefined;
  if (testing) postRunStatus(ctx, pipeline, run, 'pending');
  const tested = alreadyTested || (opts.testedIn !== undefined ? await recordTested(rec, opts.testedIn) : await runTestStage(ctx, rec, pipeline));
  if (testing) postRunStatus(ctx, pipeline, run, tested ? 'success' : 'failure');
  // Only the deploy branch deploys: other branches' runs end after test and build.
  if (tested && run.branch !== pipeline.branch) return finish(rec, 'passed');
  if (!tested) return finish(rec, 'failed', rec.stage('build')?.status === 'failed' ? 'build failed' : 'tests failed');

  for (const env of pipeline.environments) {
    if (ctx.signal?.aborted) return finish(rec, 'failed', `before deploying to ${env.name}`);
    if (opts.environments && !opts.environments.includes(env.name)) continue;
    const name = `deploy:${env.name}`;
    const existing = rec.stage(name);
    if (existing?.status === 'passed') continue;
    const stage = existing ?? rec.addStage({ name, kind: 'deploy', environment: env.name, status: 'pending', steps: [] });
    if (env.approval === 'manual') {
      if (opts.approve?.environment !== env.name) {
        stage.status = 'waiting';
        moveRun(run, 'waiting');
        await rec.save();
        const settled = await supersedeWaiting(ctx.config.settings.stateDir, pipeline.name, env.name, ctx.now());
        if (settled.length) void ctx.report({ pipeline: pipeline.name });
        const self = settled.find((r) => r.number === run.number);
        if (self) {
          Object.assign(run, self);
          ctx.progress(`${pipeline.name} #${run.number} ${run.error}`);
          return run;
        }
        ctx.progress(`${pipeline.name} #${run.number} waiting for approval to deploy to ${env.name}: slipway approve ${pipeline.name} ${run.number}`);
        return run;
      }
      const step = rec.addStep(stage, { id: `${env.name}-approval`, name: `approved by ${opts.approve.by}` });
      step.status = 'passed';
      step.startedAt = step.finishedAt = rec.now();
      await appendAudit(ctx.config.settings.stateDir, {
        version: 1, time: rec.now(), action: 'approve', pipeline: pipeline.name, environment: env.name,
        run: run.number, commit: run.commit.id, hosts: env.hosts, by: opts.approve.by, result: 'ok',
      });
    }
    const deployed = await deployEnvironment(ctx, rec, pipeline, env, stage);
    postRunStatus(ctx, pipeline, run, deployed ? 'success' : 'failure', env.name);
    if (!deployed) {
      return finish(rec, 'failed', deployFailure(env.name, stage));
    }
    await recordDeployedFiles(ctx, pipeline, env); // observe.files: the baseline drift is measured against
    // Runs waiting at this environment's gate for this commit or an older one have nothing left to do.
    if ((await supersedeWaiting(ctx.config.settings.stateDir, pipeline.name, env.name, ctx.now())).length) void ctx.report({ pipeline: pipeline.name });
  }
  const deployedAny = run.stages.some((s) => s.kind === 'deploy' && s.status === 'passed');
  return finish(rec, deployedAny ? 'deployed' : 'passed');
}

/** What a failed deploy did, in words: refused before any change, or rolled back. */
export function deployFailure(environment: string, stage: StageRecord): string {
  const detail = stage.error ? `: ${stage.error}` : '';
  const hosts = stage.hosts ?? [];
  if (hosts.some((h) => h.status === 'rolled-back')) return `deploy to ${environment} failed and was rolled back${detail}`;
  if (/refused: deploy lock held/.test(stage.error ?? '')) return `deploy to ${environment} refused: lock held, nothing changed${detail}`;
  if (hosts.some((h) => h.status === 'failed' && /rollback failed/.test(h.error ?? ''))) return `deploy to ${environment} failed and its rollback failed too${detail}`;
  return `deploy to ${environment} failed; nothing was changed${detail}`;
}

/** A test stage that points at the run that tested this commit. */
async function recordTested(rec: RunRecorder, testedIn: number): Promise<boolean> {
  const stage = rec.addStage({ name: 'test', kind: 'test', status: 'passed', startedAt: rec.now(), finishedAt: rec.now(), steps: [] });
  const step = rec.addStep(stage, { id: 'test-earlier', name: `tested in run #${testedIn}` });
  // Promotion and deploy --commit ship the artifact that run built: never rebuilt.
  const earlier = await readRun(rec.stateDir, rec.run.pipeline, testedIn).catch(() => undefined);
  if (earlier?.artifact) rec.run.artifact = { ...earlier.artifact };
  step.status = 'passed';
  step.startedAt = step.finishedAt = rec.now();
  await rec.save();
  return true;
}

async function finishRun(rec: RunRecorder, status: RunRecord['status'], error?: string): Promise<RunRecord> {
  moveRun(rec.run, status);
  rec.run.finishedAt = rec.now();
  let why = error;
  if (status === 'failed') {
    const full = rec.saveFailed || rec.firstFailure !== 'infrastructure' ? await diskFullAt(rec.stateDir) : undefined;
    rec.run.cause = rec.saveFailed || full ? 'infrastructure' : (rec.firstFailure ?? 'commit');
    if (full) why = `${full}${error ? `; ${error}` : ''}`;
    else if (rec.saveFailed && rec.saveError) why = `${rec.saveError}${error ? `; ${error}` : ''}`;
  }
  if (why) rec.run.error = rec.mask(why);
  try {
    await rec.save();
  } catch (e) {
    rec.persistLater();
    throw new StateError(`${rec.run.pipeline} #${rec.run.number} ended ${status} but its record could not be written (${errorMessage(e)}); slipway keeps trying`, { cause: e });
  }
  return rec.run;
}

/** The environment a `waiting` run is held at. */
export function waitingEnvironment(run: RunRecord): string | undefined {
  return run.stages.find((s) => s.status === 'waiting')?.environment;
}

/** A `slipway rollback` run: one stage that switches the environment back to its previous release. */
export async function executeRollback(ctx: RunContext, pipeline: PipelineConfig, run: RunRecord, environment: string): Promise<RunRecord> {
  return endOnError(ctx, run, () => executeRollbackStage(ctx, pipeline, run, environment));
}

async function executeRollbackStage(ctx: RunContext, pipeline: PipelineConfig, run: RunRecord, environment: string): Promise<RunRecord> {
  const env = pipeline.environments.find((e) => e.name === environment);
  const rec = new RunRecorder(ctx.config.settings.stateDir, run, { secrets: ctx.config.secrets, now: ctx.now, onChange: ctx.report });
  moveRun(run, 'running');
  run.startedAt ??= rec.now();
  const stage = rec.addStage({ name: `rollback:${environment}`, kind: 'deploy', environment, status: 'pending', steps: [] });
  await rec.save();
  const finish = finishRun;
  if (!env) return finish(rec, 'failed', `no environment ${environment}`);
  const ok = await rollbackEnvironment(ctx, rec, pipeline, env, stage);
  return ok ? finish(rec, 'deployed') : finish(rec, 'failed', `rollback of ${environment} failed${stage.error ? `: ${stage.error}` : ''}`);
}
