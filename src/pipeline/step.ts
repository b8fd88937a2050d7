import type { FailureCause, StageRecord, StepRecord } from '../state/types.ts';
import { errorMessage, failureCauseOf } from './failure.ts';
import { statePaths } from '../state/store.ts';
import { openStepLog, type StepLog } from '../exec/log-file.ts';
import type { RunRecorder } from './recorder.ts';
import type { RunContext } from './context.ts';

export interface StepOutcome {
  ok: boolean;
  exitCode?: number;
  error?: string;
  /** Set when a failure is not the commit's fault (a lost host, a lock, the local disk). */
  cause?: FailureCause;
}

/**
 * Runs one recorded step: marks it running, opens its log, runs `body`, marks it passed or
 * failed. The body never throws for an ordinary failure; a thrown error is recorded as the
 * step's failure too (a lost connection, say), so a run record never stays `running` by accident.
 */
export async function runStep(
  ctx: RunContext,
  rec: RunRecorder,
  stage: StageRecord,
  spec: { id: string; name: string; host?: string },
  body: (log: StepLog) => Promise<StepOutcome>,
): Promise<StepOutcome> {
  // A step's name is often its command, and a command may carry a ${env:..} secret.
  const name = rec.mask(spec.name);
  const step: StepRecord = rec.addStep(stage, spec.host ? { id: spec.id, name, host: spec.host } : { id: spec.id, name });
  step.status = 'running';
  step.startedAt = rec.now();
  const label = `${rec.run.pipeline} #${rec.run.number} ${name}`;
  const started = Date.now();
  const watch = ctx.watch;
  let outcome: StepOutcome;
  let log: StepLog | undefined;
  // Everything that can throw is inside: a state file or a log that cannot be written (a full
  // disk) fails this step, and the caller still gets an outcome to roll back and unlock on.
  try {
    // A state write that fails (a full disk) does not stop the body: a rollback or an unlock
    // must still happen. The recorder remembers the failure and the run ends failed. Not awaited:
    // step writes are spaced out (saveSoon), and a stage's end is written durably by its caller.
    void rec.saveSoon().catch(() => undefined);
    ctx.progress(`${label} …`);
    watch?.started(label);
    log = await openStepLog(statePaths(rec.stateDir).stepLog(rec.run.pipeline, rec.run.number, step.id), ctx.config.secrets, watch ? (t) => watch.output(label, t) : undefined);
    outcome = await body(log);
  } catch (e) {
    outcome = { ok: false, error: errorMessage(e), cause: failureCauseOf(e) };
  }
  if (!outcome.ok && outcome.error) log?.write(`\nslipway: ${outcome.error}\n`);
  await log?.close().catch(() => undefined);
  watch?.ended(label);
  if (log?.error && outcome.ok) outcome = { ok: false, error: `the step log could not be written: ${log.error}`, cause: 'infrastructure' };
  if (!outcome.ok) rec.noteFailure(outcome.cause ?? 'commit');
  step.status = outcome.ok ? 'passed' : 'failed';
  step.finishedAt = rec.now();
  if (outcome.exitCode !== undefined) step.exitCode = outcome.exitCode;
  if (outcome.error) step.error = rec.mask(outcome.error);
  void rec.saveSoon().catch(() => undefined); // remembered by the recorder: the run ends failed

  const secs = ((Date.now() - started) / 1000).toFixed(1);
  ctx.progress(`${label} ${outcome.ok ? 'ok' : `FAILED${step.error ? `: ${step.error}` : ''}`} (${secs}s)`);
  return outcome;
}
