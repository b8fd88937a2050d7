import { UsageError } from '../errors.ts';
import { readRun } from '../state/store.ts';
import { executeRun, waitingEnvironment } from '../pipeline/run.ts';
import { openRuntime } from './runtime.ts';
import { selectPipelines } from './once.ts';
import type { Output } from './output.ts';

export async function approveCommand(configDir: string, args: string[], output: Output): Promise<number> {
  const [name, number] = args;
  if (!name || !number || args.length !== 2 || !/^[1-9][0-9]*$/.test(number)) throw new UsageError('approve takes PIPELINE and RUN (a run number)');
  const rt = await openRuntime(configDir, 'approve', output);
  try {
    const [pipeline] = selectPipelines(rt.config.pipelines, [name]);
    const run = await readRun(rt.config.settings.stateDir, name, Number(number));
    const environment = waitingEnvironment(run);
    if (run.status !== 'waiting' || !environment) {
      throw new UsageError(`${name} #${number} is ${run.status}, not waiting for approval`);
    }
    output.out(`${name} #${number}: approved by ${rt.ctx.actor}; deploying to ${environment}`);
    const done = await executeRun(rt.ctx, pipeline!, run, { approve: { environment, by: rt.ctx.actor } });
    output.out(`${name} #${done.number}: ${output.status(done.status)}${done.error ? ` (${done.error})` : ''}`);
    return done.status === 'failed' ? 1 : 0;
  } finally {
    await rt.close();
  }
}
