import { hostname, userInfo } from 'node:os';
import { loadConfig } from '../config/load.ts';
import { handOver } from './handover.ts';
import { SlipwayError, UsageError } from '../errors.ts';
import { executeRun } from '../pipeline/run.ts';
import { readApproval } from '../pipeline/approval.ts';
import { openRuntime } from '../wiring/runtime.ts';
import { selectPipelines } from './once.ts';
import type { Output } from '../wiring/output.ts';
import { printRunEnd } from './run-end.ts';

export async function approveCommand(configDir: string, args: string[], output: Output): Promise<number> {
  const [name, number] = args;
  if (!name || !number || args.length !== 2 || !/^[1-9][0-9]*$/.test(number)) throw new UsageError('approve takes PIPELINE and RUN (a run number)');
  // A running daemon owns the state folder: the approval goes to it through STATE/inbox/.
  const config = await loadConfig(configDir, { missingSecrets: 'keep' });
  const handed = await handOver(config.settings.stateDir, { kind: 'approve', pipeline: name, run: Number(number), by: `${userInfo().username}@${hostname()}` }, output, {
    what: `approval of #${number}`,
    exitCode: (run) => (run.status === 'failed' || run.status === 'interrupted' ? 1 : 0),
  });
  if (handed !== undefined) return handed;
  const rt = await openRuntime(configDir, 'approve', output);
  try {
    const [pipeline] = selectPipelines(rt.config.pipelines, [name]);
    const check = await readApproval(rt.config.settings.stateDir, name, Number(number));
    if (!check.ok) throw check.kind === 'backwards' ? new SlipwayError(check.message) : new UsageError(check.message);
    const { run, environment } = check;
    output.out(`${name} #${number}: approved by ${rt.ctx.actor}; deploying to ${environment}`);
    const done = await executeRun(rt.ctx, pipeline!, run, { approve: { environment, by: rt.ctx.actor } });
    await printRunEnd(output, rt.config, done);
    return rt.interrupted ?? (done.status === 'failed' ? 1 : 0);
  } finally {
    await rt.close();
  }
}
