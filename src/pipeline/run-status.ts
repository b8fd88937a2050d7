// Which status a run may move to, from which: the one place that says it (as Laminar's RunState
// does). An ended run is never rewritten, so its status is final; everything else moves forward.
// Every change of a run's status goes through moveRun, so a path that would resurrect an ended
// run fails loudly instead of rewriting history.
import type { RunStatus } from '../state/types.ts';
import { StateError } from '../errors.ts';

const MOVES: Record<RunStatus, readonly RunStatus[]> = {
  // Not started yet: it starts, or is replaced, cancelled, or ended by an error before it started.
  queued: ['running', 'superseded', 'cancelled', 'failed', 'interrupted'],
  running: ['running', 'waiting', 'passed', 'deployed', 'failed', 'interrupted', 'cancelled'],
  // Held at a manual gate: approved (running again), replaced by a newer run, cancelled.
  waiting: ['running', 'superseded', 'cancelled', 'failed', 'interrupted'],
  passed: [],
  deployed: [],
  failed: [],
  interrupted: [],
  superseded: [],
  cancelled: [],
};

/** Pure: may a run in `from` move to `to`? */
export function canMoveRun(from: RunStatus, to: RunStatus): boolean {
  return MOVES[from].includes(to);
}

/** A run whose status can no longer change. */
export function runEnded(status: RunStatus): boolean {
  return MOVES[status].length === 0;
}

/** Sets the run's status, or throws StateError for a move the table does not allow. */
export function moveRun(run: { pipeline: string; number: number; status: RunStatus }, to: RunStatus): void {
  if (!canMoveRun(run.status, to)) throw new StateError(`${run.pipeline} #${run.number} is ${run.status} and cannot become ${to}: an ended run is never rewritten`);
  run.status = to;
}
