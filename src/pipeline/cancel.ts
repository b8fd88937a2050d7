// `slipway cancel PIPELINE RUN`: a waiting or queued run ends `cancelled` at once; a running one
// is aborted (its local commands killed, the deploy stopped before its next step, switched hosts
// rolled back, locks released) and ends `cancelled`. `cancelled` is final, like every ended status.
import type { RunRecord } from '../state/types.ts';
import { writeRun } from '../state/store.ts';
import { appendAudit } from '../state/audit.ts';
import { moveRun } from './run-status.ts';

/** The abort reason of a cancelled run, telling it apart from a shutdown (`interrupted`). */
export class CancelRequest {
  constructor(readonly by: string) {}
}

export type CancelPlan = { action: 'now' } | { action: 'abort' } | { action: 'refuse'; message: string };

export function planCancel(run: RunRecord): CancelPlan {
  if (run.status === 'waiting' || run.status === 'queued') return { action: 'now' };
  if (run.status === 'running') return { action: 'abort' };
  return { action: 'refuse', message: `${run.pipeline} #${run.number} has already ended (${run.status}); nothing to cancel` };
}

/** Ends a waiting or queued run `cancelled` (no process works on it). */
export async function cancelRecordedRun(stateDir: string, run: RunRecord, by: string, now: Date): Promise<RunRecord> {
  const time = now.toISOString();
  for (const stage of run.stages) if (stage.status === 'waiting' || stage.status === 'pending') stage.status = 'skipped';
  moveRun(run, 'cancelled');
  run.finishedAt = time;
  run.error = `cancelled by ${by}`;
  await writeRun(stateDir, run);
  const environment = run.stages.find((s) => s.kind === 'deploy')?.environment ?? '';
  await appendAudit(stateDir, {
    version: 1, time, action: 'cancel', pipeline: run.pipeline, environment,
    run: run.number, commit: run.commit.id, hosts: [], by, result: 'ok',
  });
  return run;
}
