// The first batch of an environment with `{ run, once: true }` steps: every host of the batch
// gets its release ready, then the once steps run on the environment's first host, and only then
// does any host switch. So a migration runs once, not once per host, and before new code serves.
import { activateHost, runOnceSteps, stageHost, type HostDeploy, type HostDeployInput } from './deploy-host.ts';

export async function deployFirstBatch(input: HostDeployInput, batch: HostDeploy[]): Promise<boolean[]> {
  const staged = await Promise.all(batch.map((d) => stageHost(input, d)));
  if (!staged.every(Boolean)) return staged;
  const first = batch[0]!;
  if (!(await runOnceSteps(input, first))) return batch.map((d) => d !== first);
  return Promise.all(batch.map((d) => activateHost(input, d, d.conn!)));
}
