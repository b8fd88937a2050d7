// What retention does with artifacts and status logs: a removed run's status log goes with it;
// its artifact goes only when no kept run ships it. Kept runs include every run a host runs or
// can roll back to (retention protects them), and a promotion or `deploy --commit` run names the
// artifact of the run that built it, so that artifact stays while any of them is kept.
import { rm } from 'node:fs/promises';
import type { RunRecord } from './types.ts';
import { statePaths } from './paths.ts';

/** Pure: the artifact runs that may go, given all runs and the run numbers removed. */
export function planArtifactRemoval(runs: ReadonlyArray<Pick<RunRecord, 'number' | 'artifact'>>, removed: readonly number[]): number[] {
  const gone = new Set(removed);
  const needed = new Set(runs.filter((r) => !gone.has(r.number) && r.artifact).map((r) => r.artifact!.run));
  const built = runs.filter((r) => gone.has(r.number) && r.artifact?.run === r.number).map((r) => r.number);
  return built.filter((n) => !needed.has(n));
}

export async function removeRunExtras(stateDir: string, pipeline: string, runs: readonly RunRecord[], removed: readonly number[]): Promise<void> {
  const paths = statePaths(stateDir);
  for (const n of planArtifactRemoval(runs, removed)) await rm(paths.artifact(pipeline, n), { force: true });
  for (const n of removed) await rm(paths.statusLog(pipeline, n), { force: true });
}
