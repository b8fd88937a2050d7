// The approval rule, in one place: `slipway approve` in-process, the daemon's inbox and any other
// path ask `approvalRefusal` before a waiting run goes on. Approving an older waiting run after a
// newer one was deployed would take the environment backwards (it did, through the daemon).
import type { PipelineState, RunRecord } from '../state/types.ts';
import { readPipelineState, readRun } from '../state/store.ts';
import { waitingEnvironment } from './run.ts';

export type ApprovalCheck =
  | { ok: true; run: RunRecord; environment: string }
  | { ok: false; run?: RunRecord; kind: 'not-waiting' | 'backwards' | 'no-run'; message: string };

/** Pure: why this run may not be approved now, or the environment it opens. */
export function checkApproval(run: RunRecord, state: PipelineState): ApprovalCheck {
  const environment = waitingEnvironment(run);
  if (run.status !== 'waiting' || !environment) {
    return { ok: false, run, kind: 'not-waiting', message: `${run.pipeline} #${run.number} is ${run.status}, not waiting for approval` };
  }
  const current = state.environments[environment];
  if (current && current.run > run.number) {
    return {
      ok: false,
      run,
      kind: 'backwards',
      message: `${environment} already runs ${current.commit.slice(0, 7)} from the newer run #${current.run}; approving #${run.number} would take it backwards (to do that on purpose: slipway deploy ${run.pipeline} --env ${environment} --commit ${run.commit.id.slice(0, 7)})`,
    };
  }
  return { ok: true, run, environment };
}

/** The rule read from the state folder. */
export async function readApproval(stateDir: string, pipeline: string, number: number): Promise<ApprovalCheck> {
  let run: RunRecord;
  try {
    run = await readRun(stateDir, pipeline, number);
  } catch (e) {
    return { ok: false, kind: 'no-run', message: e instanceof Error ? e.message : String(e) };
  }
  return checkApproval(run, await readPipelineState(stateDir, pipeline));
}
