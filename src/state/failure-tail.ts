// Where a failed run explains itself: the first failed step (the cause; rollback steps that
// follow it are consequences) and the last lines of its log. The log was masked when written;
// the tail is cut from it, so it carries no secret either. Used by the terminal, notifications
// and the run page, so all three show the same lines.

import type { RunRecord, StepRecord } from './types.ts';
import { readStepLog } from './step-log.ts';

/** Lines shown of a failed step's output: enough for a stack trace's head or a test diff. */
export const FAILURE_TAIL_LINES = 20;
const TAIL_BYTES = 16 * 1024;

export interface FailureTail {
  step: Pick<StepRecord, 'id' | 'name' | 'host' | 'error'>;
  /** Relative to the state folder: logs/PIPELINE/N/STEP.log */
  logPath: string;
  lines: string[];
}

/** The step that made the run fail: the first failed one. */
export function failedStep(run: RunRecord): StepRecord | undefined {
  // The one that failed first: parallel test jobs cancelled by another job's failure end failed
  // too, but later; in a sequence the first failed step is also the first to end.
  let first: StepRecord | undefined;
  for (const stage of run.stages) {
    for (const step of stage.steps) {
      if (step.status !== 'failed') continue;
      if (!first || (step.finishedAt !== undefined && first.finishedAt !== undefined && step.finishedAt < first.finishedAt)) first = step;
    }
  }
  return first;
}

export function logPathOf(run: Pick<RunRecord, 'pipeline' | 'number'>, stepId: string): string {
  return `logs/${run.pipeline}/${run.number}/${stepId}.log`;
}

// CSI/OSC escape sequences and the other C0/C1 controls (but tab): a tail goes into chat
// messages and terminals, where colour codes are noise and a stray escape can rewrite the screen.
// eslint-disable-next-line no-control-regex
const CONTROL = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** The last `n` non-empty lines of a text, colour codes and control characters removed. */
export function tailLines(text: string, n = FAILURE_TAIL_LINES): string[] {
  const lines = text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((l) => l.slice(l.lastIndexOf('\r') + 1).replace(CONTROL, '').trimEnd())
    .filter((l) => l !== '');
  return lines.slice(-n);
}

/** The failed step of a run and the tail of its log; undefined when no step failed. */
export async function readFailureTail(stateDir: string, run: RunRecord, n = FAILURE_TAIL_LINES): Promise<FailureTail | undefined> {
  const step = failedStep(run);
  if (!step) return undefined;
  const log = await readStepLog(stateDir, run.pipeline, run.number, step.id, { tailBytes: TAIL_BYTES }).catch(() => undefined);
  return {
    step: { id: step.id, name: step.name, ...(step.host ? { host: step.host } : {}), ...(step.error ? { error: step.error } : {}) },
    logPath: logPathOf(run, step.id),
    lines: log ? tailLines(log.text, n) : [],
  };
}
