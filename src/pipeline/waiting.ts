// Waiting runs do not pile up: of the runs waiting at one environment's gate only the newest
// stays, and a run waiting for a commit the environment already runs (or for an older commit
// than it runs) is superseded at once. Called when a run stops at a gate and after a deploy.
import type { RunRecord } from '../state/types.ts';
import { readPipelineState, readRuns, writeRun } from '../state/store.ts';
import { waitingEnvironment } from './run.ts';
import { moveRun } from './run-status.ts';

/** Pure: which waiting runs of this environment are superseded, and why. */
export function planSupersedeWaiting(runs: readonly RunRecord[], environment: string, current: { commit: string; run: number } | undefined): Array<{ run: RunRecord; why: string }> {
  const waiting = runs.filter((r) => r.status === 'waiting' && waitingEnvironment(r) === environment).sort((a, b) => a.number - b.number);
  const newest = waiting.at(-1);
  const out: Array<{ run: RunRecord; why: string }> = [];
  for (const r of waiting) {
    if (current && r.commit.id === current.commit) out.push({ run: r, why: `${environment} already runs ${r.commit.id.slice(0, 7)} (run #${current.run})` });
    else if (current && r.number < current.run) out.push({ run: r, why: `${environment} already runs the newer run #${current.run}` });
    else if (r !== newest) out.push({ run: r, why: `the newer run #${newest!.number} waits for ${environment}` });
  }
  return out;
}

export async function supersedeWaiting(stateDir: string, pipeline: string, environment: string, now: Date): Promise<RunRecord[]> {
  const runs = await readRuns(stateDir, pipeline, { last: 100 });
  const current = (await readPipelineState(stateDir, pipeline)).environments[environment];
  const done: RunRecord[] = [];
  for (const { run, why } of planSupersedeWaiting(runs, environment, current)) {
    moveRun(run, 'superseded');
    run.finishedAt = now.toISOString();
    run.error = `superseded while waiting: ${why}`;
    const stage = run.stages.find((s) => s.status === 'waiting');
    if (stage) stage.status = 'skipped';
    await writeRun(stateDir, run);
    done.push(run);
  }
  return done;
}
