import { UsageError, SlipwayError } from '../errors.ts';
import { loadConfig } from '../config/load.ts';
import { readRun } from '../state/store.ts';
import { cancelRecordedRun, planCancel } from '../pipeline/cancel.ts';
import { openRuntime } from '../wiring/runtime.ts';
import { selectPipelines } from './once.ts';
import { handOver } from './handover.ts';
import { actor } from './deploy.ts';
import type { Output } from '../wiring/output.ts';

/** `slipway cancel PIPELINE RUN`: a waiting, queued or running run ends `cancelled`. */
export async function cancelCommand(configDir: string, args: string[], output: Output): Promise<number> {
  const [name, number] = args;
  if (!name || !number || args.length !== 2 || !/^[1-9][0-9]*$/.test(number)) throw new UsageError('cancel takes PIPELINE and RUN (a run number)');
  const config = await loadConfig(configDir, { missingSecrets: 'keep' });
  const [p] = selectPipelines(config.pipelines, [name]);
  const by = actor();
  const handed = await handOver(config.settings.stateDir, { kind: 'cancel', pipeline: p!.name, run: Number(number), by }, output, {
    what: `cancel of #${number}`,
    exitCode: (run) => (run.status === 'cancelled' ? 0 : 1),
  });
  if (handed !== undefined) return handed;
  // No daemon: nothing runs this run now (a `running` one was left by a dead process and is
  // recovered as interrupted when the runtime opens).
  const rt = await openRuntime(configDir, 'cancel', output);
  try {
    const run = await readRun(rt.config.settings.stateDir, p!.name, Number(number));
    const plan = planCancel(run);
    if (plan.action === 'refuse') throw new SlipwayError(plan.message);
    if (plan.action === 'abort') throw new SlipwayError(`${p!.name} #${number} is running in another process; cancel it there`);
    const done = await cancelRecordedRun(rt.config.settings.stateDir, run, by, rt.ctx.now());
    await rt.ctx.report({ pipeline: p!.name, run: done.number });
    output.out(`${p!.name} #${done.number}: ${output.status('cancelled')} (${done.error})`);
    return 0;
  } finally {
    await rt.close();
  }
}
