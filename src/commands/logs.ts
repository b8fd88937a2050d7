// `slipway logs PIPELINE [RUN] [STEP] [-f]`: a run's step logs from the state folder (the newest
// run by default), like `kubectl logs`. With -f it follows them while the run goes on and exits
// when the run has ended (or stops at a manual gate). It only reads: no lock, so it works beside
// a running daemon.

import { UsageError } from '../errors.ts';
import { loadConfig } from '../config/load.ts';
import { listRunNumbers, readRun, statePaths } from '../state/store.ts';
import type { RunRecord, StepRecord } from '../state/types.ts';
import { LogFollower } from '../state/log-reader.ts';
import { selectPipelines } from './once.ts';
import { forTerminal } from '../terminal-text.ts';
import type { Output } from '../wiring/output.ts';

export interface LogsArgs {
  positionals: string[];
  follow: boolean;
  /** How often -f looks for new output and a changed run (ms). */
  intervalMs?: number;
  /** Where the log bytes go (default: stdout); tests pass their own. */
  write?: (text: string) => void;
  tty?: boolean;
}

const LIVE: ReadonlyArray<RunRecord['status']> = ['queued', 'running'];

export async function logsCommand(configDir: string, args: LogsArgs, output: Output): Promise<number> {
  const [name, runArg, stepArg, ...extra] = args.positionals;
  if (!name) throw new UsageError('logs takes PIPELINE [RUN] [STEP]');
  if (extra.length > 0) throw new UsageError(`logs takes at most PIPELINE RUN STEP, got ${args.positionals.length} arguments`);
  if (runArg !== undefined && !/^[1-9][0-9]*$/.test(runArg)) throw new UsageError(`RUN must be a run number, got "${runArg}"`);
  const config = await loadConfig(configDir, { missingSecrets: 'keep' });
  const [pipeline] = selectPipelines(config.pipelines, [name]);
  const stateDir = config.settings.stateDir;
  const numbers = await listRunNumbers(stateDir, pipeline!.name);
  const number = runArg === undefined ? numbers.at(-1) : Number(runArg);
  if (number === undefined) throw new UsageError(`${pipeline!.name} has no runs yet`);
  if (!numbers.includes(number)) throw new UsageError(`${pipeline!.name} has no run #${number} (runs: ${describeRange(numbers)})`);
  const tty = args.tty ?? process.stdout.isTTY === true;
  const write = args.write ?? ((t: string) => void process.stdout.write(t));
  const followers = new Map<string, LogFollower>();
  let shown: string | undefined;
  let lastEnded = false;

  const pick = (run: RunRecord): StepRecord[] => {
    const steps = run.stages.flatMap((s) => s.steps);
    if (stepArg === undefined) return steps;
    const chosen = steps.filter((s) => s.id === stepArg || s.name === stepArg);
    if (chosen.length === 0 && !(args.follow && LIVE.includes(run.status))) {
      throw new UsageError(`${pipeline!.name} #${number} has no step "${stepArg}" (steps: ${steps.map((s) => s.id).join(', ') || 'none yet'})`);
    }
    return chosen;
  };

  // One pass: every chosen step's new output, with a header whenever the step changes.
  const drain = async (run: RunRecord): Promise<void> => {
    for (const step of pick(run)) {
      let f = followers.get(step.id);
      if (!f) followers.set(step.id, (f = new LogFollower(statePaths(stateDir).stepLog(run.pipeline, run.number, step.id))));
      const text = await f.next();
      if (text === '') continue;
      if (shown !== step.id && stepArg === undefined) write(`${shown === undefined ? '' : '\n'}==> ${step.id}: ${forTerminal(step.name, tty)} <==\n`);
      shown = step.id;
      write(forTerminal(text, tty));
    }
  };

  let run = await readRun(stateDir, pipeline!.name, number);
  for (;;) {
    const ended = !LIVE.includes(run.status);
    await drain(run);
    if (!args.follow || lastEnded) break;
    // One more pass after the run is seen ended: its last steps' final bytes.
    lastEnded = ended;
    if (!ended) await new Promise((r) => setTimeout(r, args.intervalMs ?? 250));
    run = await readRun(stateDir, pipeline!.name, number);
  }
  if (args.follow) output.err(`${pipeline!.name} #${number}: ${output.status(run.status)}${run.error ? ` (${run.error})` : ''}`);
  // Following is waiting for an outcome, so it ends with it; printing a log is just printing.
  return args.follow && run.status === 'failed' ? 1 : 0;
}

function describeRange(numbers: number[]): string {
  if (numbers.length === 0) return 'none';
  return numbers.length === 1 ? `#${numbers[0]}` : `#${numbers[0]}…#${numbers.at(-1)}`;
}
