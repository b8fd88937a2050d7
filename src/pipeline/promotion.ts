// The promotion rules, in one place: which run's commit `deploy` ships, and that an environment
// only gets a commit the environment before it took healthy. Pure; deploy-request.ts reads the
// state and asks, `status`/`plan` show what they answer.
import type { PipelineConfig } from '../config/types.ts';
import type { PipelineState, RunRecord } from '../state/types.ts';

const NOT_TESTING = ['deploy', 'rollback'];

/** The newest run whose tests (and build, when it had one) passed, for this commit when one is given (runs newest first). */
export function findTestedRun(runs: RunRecord[], commit?: string): RunRecord | undefined {
  // A deploy or rollback run only points at the run that tested its commit: name that one.
  return runs.find(
    (r) =>
      !NOT_TESTING.includes(r.trigger) &&
      (!commit || r.commit.id === commit) &&
      r.stages.some((s) => s.kind === 'test' && s.status === 'passed') &&
      !r.stages.some((s) => s.kind === 'build' && s.status !== 'passed'),
  );
}

/** Whether an environment ever took this commit healthy (promotion: production only gets what staging took). */
export function tookHealthy(runs: RunRecord[], environment: string, commit: string): boolean {
  return runs.some((r) => r.commit.id === commit && r.stages.some((s) => s.name === `deploy:${environment}` && s.status === 'passed'));
}

/** Why environment `index` may not get `commit` now (undefined: it may): the one before must have taken it healthy. */
export function promotionRefusal(pipeline: PipelineConfig, index: number, state: PipelineState, runs: RunRecord[], commit: string): string | undefined {
  const env = pipeline.environments[index];
  const prev = pipeline.environments[index - 1];
  if (!env || !prev) return undefined;
  if (state.environments[prev.name]?.commit === commit || tookHealthy(runs, prev.name, commit)) return undefined;
  return `${env.name} only gets a commit that ${prev.name} took healthy; deploy ${commit.slice(0, 7)} to ${prev.name} first`;
}
