// The one applier: carries out a plan of deploy-plan.ts or heal-plan.ts. Batches in order; in a
// wave, hosts at once and each host's steps in order, stopping at its first failure; a failed
// wave stops the plan. Then the undos: of every touched host (undo: 'environment', a deploy or
// rollback is undone as a whole) or of each failed host only (undo: 'host', a heal). Then every
// lock no step released. Every step is recorded through runStep; nothing here decides.
import type { StageRecord } from '../state/types.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import type { HostResult, Plan, PlanStep } from './plan-types.ts';
import { runStep, type StepOutcome } from './step.ts';
import { execWithInput, retryUntilOk } from './remote-exec.ts';
import { lockWasHeld, retakeHeldLock, type RelockOutcome } from './relock.ts';

export interface ApplyInput {
  ctx: RunContext;
  rec: RunRecorder;
  stage: StageRecord;
  plan: Plan;
  /** Bound of each exec. */
  timeoutMs: number;
  /** Another state folder's lock older than this may be taken over (a relocking undo). */
  lockTimeoutMs: number;
  undo: 'environment' | 'host';
}

interface HostRun {
  result: HostResult;
  /** The last started step that has an undo: its undo takes the host back to how it was. */
  undo?: PlanStep[];
}

/** Runs the plan; per host what happened. Never throws for a step's failure. */
export async function applyPlan(a: ApplyInput): Promise<Record<string, HostResult>> {
  const runs = new Map<string, HostRun>();
  const of = (host: string): HostRun => {
    let r = runs.get(host);
    if (!r) runs.set(host, (r = { result: { host, status: 'untouched', switched: false, touched: false, unlocked: false } }));
    return r;
  };
  for (const host of Object.keys(a.plan.unlock)) of(host);
  let failed = false;
  for (const batch of a.plan.batches) {
    for (const wave of batch) {
      const oks = await Promise.all(wave.map(({ host, steps }) => runHostSteps(a, of(host), steps)));
      if (!oks.every(Boolean)) failed = true;
      if (failed) break;
    }
    if (failed) break;
  }
  const all = [...runs.values()];
  // A host whose steps all passed in a plan that failed is still `deployed` until undone.
  const toUndo = a.undo === 'environment' ? (failed ? all : []) : all.filter((r) => r.result.status === 'failed');
  await Promise.all(toUndo.filter((r) => r.undo).map((r) => undoHost(a, r)));
  await Promise.all(all.filter((r) => !r.result.unlocked).map((r) => unlockHost(a, r, failed || r.result.status === 'failed')));
  return Object.fromEntries(all.map((r) => [r.result.host, r.result]));
}

/** One host's steps in order; false at the first failure. */
async function runHostSteps(a: ApplyInput, r: HostRun, steps: PlanStep[]): Promise<boolean> {
  for (const step of steps) {
    // Cancelled or stopping: no further step starts; what was done is undone.
    if (a.ctx.signal?.aborted) {
      const stopped = await recordNotStarted(a, r.result.host, step);
      r.result.status = 'failed';
      r.result.error = stopped.error;
      return false;
    }
    r.result.touched = true;
    if (step.undo) r.undo = step.undo;
    if (step.switches) r.result.switched = true;
    const outcome = await runPlanStep(a, r.result.host, step);
    if (!outcome.ok) {
      r.result.status = 'failed';
      r.result.error = outcome.error;
      return false;
    }
    if (step.unlocks) {
      r.result.unlocked = true;
      r.result.pruned = true;
      await noteUnlocked(a, r.result.host, step);
    }
  }
  if (steps.length) r.result.status = 'deployed';
  return true;
}

/** The step's own error in the record; the host's error names the part that failed ("switch: …"). */
async function runPlanStep(a: ApplyInput, host: string, step: PlanStep): Promise<StepOutcome & { error?: string; kept?: string }> {
  let prefix = step.error;
  let kept: string | undefined;
  const outcome = await runStep(a.ctx, a.rec, a.stage, { id: step.id, name: step.name, host }, async (log) => {
    if (step.refuse) return { ok: false, error: step.refuse };
    if (step.note) log.write(step.note);
    const conn = await a.ctx.pool.get(host);
    if (step.script) {
      let res: RelockOutcome = await execWithInput(conn, step.script, step.stdin, log, a.timeoutMs);
      if (step.relock && lockWasHeld(step, res)) {
        res = await retakeHeldLock(a, conn, { ...step, relock: step.relock }, log, res);
        kept = res.kept;
        if (kept !== undefined) return res;
      }
      if (!res.ok) {
        if (step.then && (res.stdout ?? '').includes(step.then.marker)) prefix = step.then.error;
        return step.cause ? { ...res, cause: step.cause } : res;
      }
    }
    if (step.retry) {
      prefix = step.retry.error ?? step.error;
      return retryUntilOk(conn, step.retry, log);
    }
    return { ok: true, exitCode: 0 };
  });
  if (kept !== undefined) return { ...outcome, kept };
  return outcome.ok ? outcome : { ...outcome, error: `${prefix}: ${outcome.error ?? 'failed'}` };
}

function recordNotStarted(a: ApplyInput, host: string, step: PlanStep): Promise<StepOutcome> {
  return runStep(a.ctx, a.rec, a.stage, { id: step.id, name: step.name, host }, async () => ({ ok: false, error: 'not started: the run was stopped', cause: 'infrastructure' as const }));
}

/** The lock went with the step's own exec: recorded as its own (passed) step, so recovery knows. */
async function noteUnlocked(a: ApplyInput, host: string, step: PlanStep): Promise<void> {
  // An undo's release is the plain unlock (no prune); a plan step's is the finish (prune, unlock).
  const unlock = (step.relock ? undefined : a.plan.finish[host]) ?? a.plan.unlock[host];
  if (!unlock) return;
  await runStep(a.ctx, a.rec, a.stage, { id: unlock.id, name: unlock.name, host }, async (log) => {
    log.write(`released with the step "${step.name}", in the same exec\n`);
    return { ok: true };
  });
}

async function undoHost(a: ApplyInput, r: HostRun): Promise<void> {
  for (const step of r.undo ?? []) {
    // It takes the lock back (the host had released it): until it releases it again, ours.
    if (step.relock) r.result.unlocked = false;
    const outcome = await runPlanStep(a, r.result.host, step);
    if (outcome.kept !== undefined) {
      // A newer deploy holds the host: nothing of ours to undo or release there.
      r.result.kept = outcome.kept;
      r.result.unlocked = true;
    }
    if (!outcome.ok) {
      r.result.undo = 'failed';
      r.result.undoError = outcome.error;
      return;
    }
    if (step.unlocks) {
      r.result.unlocked = true;
      await noteUnlocked(a, r.result.host, step);
    }
  }
  r.result.undo = 'ok';
}

/** After a plan that passed on this host: the finish (prune, then unlock); otherwise the unlock alone. */
async function unlockHost(a: ApplyInput, r: HostRun, failed: boolean): Promise<void> {
  const finish = failed ? undefined : a.plan.finish[r.result.host];
  const step = finish ?? a.plan.unlock[r.result.host];
  if (!step) return;
  const outcome = await runPlanStep(a, r.result.host, step).catch(() => ({ ok: false }));
  r.result.unlocked = outcome.ok;
  if (finish && outcome.ok) r.result.pruned = true;
}
