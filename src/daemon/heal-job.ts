// The queue's `heal` job: a heal run of one environment's drifted hosts (pipeline/heal-run.ts),
// under the daemon's one catch like every other job. Heal runs send no run notifications and
// move no verdicts: the observer tells of drift, synced and heal-failed itself.
import type { PipelineConfig } from '../config/types.ts';
import { executeHealRun, type HealOutcome } from '../pipeline/heal-run.ts';
import { errorMessage } from '../pipeline/failure.ts';
import type { Job } from './queue.ts';
import type { Generation, ExecuteDeps } from './execute.ts';

export async function executeHealJob(gen: Generation, pipeline: PipelineConfig, job: Extract<Job, { kind: 'heal' }>, deps: ExecuteDeps): Promise<void> {
  const env = pipeline.environments.find((e) => e.name === job.environment);
  let outcome: HealOutcome | undefined;
  try {
    if (env) {
      outcome = await executeHealRun(gen.ctx, pipeline, env, job.hosts);
      if (outcome) {
        deps.metrics?.observeRun(outcome.run);
        deps.log.info(`${pipeline.name} #${outcome.run.number}: heal of ${env.name} (${outcome.hosts.join(', ')}) ${outcome.run.status}${outcome.run.error ? ` (${outcome.run.error})` : ''}`);
      }
    }
  } catch (e) {
    deps.log.error(`${pipeline.name}: heal of ${job.environment} failed: ${errorMessage(e)}`);
  } finally {
    await job.settle(outcome).catch((e: unknown) => deps.log.error(`${pipeline.name}: recording the heal of ${job.environment} failed: ${errorMessage(e)}`));
  }
}
