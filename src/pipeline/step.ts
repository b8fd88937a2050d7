import type { StageRecord, StepRecord } from '../state/types.ts';
import { statePaths } from '../state/store.ts';
import { openStepLog, type StepLog } from '../exec/log-file.ts';
import type { RunRecorder } from './recorder.ts';
import type { RunContext } from './context.ts';

export interface StepOutcome {
  ok: boolean;
  exitCode?: number;
  error?: string;
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
  await rec.save();
  const label = `${rec.run.pipeline} #${rec.run.number} ${name}`;
  ctx.progress(`${label} …`);
  ctx.watch?.started(label);
  const started = Date.now();
  const watch = ctx.watch;
  const log = await openStepLog(statePaths(rec.stateDir).stepLog(rec.run.pipeline, rec.run.number, step.id), ctx.config.secrets, watch ? (t) => watch.output(label, t) : undefined);
  let outcome: StepOutcome;
  try {
    outcome = await body(log);
  } catch (e) {
    outcome = { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  if (!outcome.ok && outcome.error) log.write(`\nslipway: ${outcome.error}\n`);
  await log.close();
  ctx.watch?.ended(label);
  step.status = outcome.ok ? 'passed' : 'failed';
  step.finishedAt = rec.now();
  if (outcome.exitCode !== undefined) step.exitCode = outcome.exitCode;
  if (outcome.error) step.error = rec.mask(outcome.error);
  await rec.save();
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  ctx.progress(`${label} ${outcome.ok ? 'ok' : `FAILED${step.error ? `: ${step.error}` : ''}`} (${secs}s)`);
  return outcome;
}
