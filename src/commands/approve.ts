import { hostname, userInfo } from 'node:os';
import { loadConfig } from '../config/load.ts';
import { handToDaemon } from '../daemon/inbox-client.ts';
import { SlipwayError, UsageError } from '../errors.ts';
import { readPipelineState, readRun } from '../state/store.ts';
import { executeRun, waitingEnvironment } from '../pipeline/run.ts';
import { openRuntime } from './runtime.ts';
import { selectPipelines } from './once.ts';
import type { Output } from './output.ts';

export async function approveCommand(configDir: string, args: string[], output: Output): Promise<number> {
  const [name, number] = args;
  if (!name || !number || args.length !== 2 || !/^[1-9][0-9]*$/.test(number)) throw new UsageError('approve takes PIPELINE and RUN (a run number)');
  // A running daemon owns the state folder: the approval goes to it through STATE/inbox/.
  const config = await loadConfig(configDir);
  const daemon = await handToDaemon(config.settings.stateDir, { kind: 'approve', pipeline: name, run: Number(number), by: `${userInfo().username}@${hostname()}` });
  if (daemon) {
    output.out(`${name} #${number}: approval handed to the running daemon (pid ${daemon.pid})`);
    return 0;
  }
  const rt = await openRuntime(configDir, 'approve', output);
  try {
    const [pipeline] = selectPipelines(rt.config.pipelines, [name]);
    const run = await readRun(rt.config.settings.stateDir, name, Number(number));
    const environment = waitingEnvironment(run);
    if (run.status !== 'waiting' || !environment) {
      throw new UsageError(`${name} #${number} is ${run.status}, not waiting for approval`);
    }
    // Approving a stale run would take the environment backwards past a newer deploy.
    const current = (await readPipelineState(rt.config.settings.stateDir, name)).environments[environment];
    if (current && current.run > run.number) {
      throw new SlipwayError(`${environment} already runs ${current.commit.slice(0, 7)} from the newer run #${current.run}; approving #${number} would take it backwards (to do that on purpose: slipway deploy ${name} --env ${environment} --commit ${run.commit.id.slice(0, 7)})`);
    }
    output.out(`${name} #${number}: approved by ${rt.ctx.actor}; deploying to ${environment}`);
    const done = await executeRun(rt.ctx, pipeline!, run, { approve: { environment, by: rt.ctx.actor } });
    output.out(`${name} #${done.number}: ${output.status(done.status)}${done.error ? ` (${done.error})` : ''}`);
    return done.status === 'failed' ? 1 : 0;
  } finally {
    await rt.close();
  }
}
