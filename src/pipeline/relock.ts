// An undo that found the host's lock taken (issue 13). Each host releases its lock in its
// health exec, so when a sibling fails later its rollback must take the lock back first
// (lock-scripts.ts relockScript). When someone else holds it, the same rules as at connect
// decide (deploy-lock.ts decideLock): a lock left by a run this state folder knows ended, or a
// stale one of another state folder, is taken over and the undo runs; a live holder is a newer
// deploy that owns the host now, and rolling it back would clobber that deploy: the host is
// left as it is and the step says so.
import type { SshConnection } from '../ssh/connection.ts';
import type { StepLog } from '../exec/log-file.ts';
import { readStateId } from '../state/state-id.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import type { PlanStep } from './plan-types.ts';
import { decideLock, holderRunStatus } from './deploy-lock.ts';
import { LOCK_HELD_EXIT, parseHeld, parseRuns, takeOverLockScript } from './lock-scripts.ts';
import { execWithInput, remoteExec, type ExecOutcome } from './remote-exec.ts';

export type RelockOutcome = ExecOutcome & { kept?: string };

/**
 * Whether an exec's answer is a relocking undo's "someone else holds the lock": exit 75 with both
 * lines relockScript prints (a user's restart that happens to exit 75 prints no `runs=` after).
 */
export function lockWasHeld(step: PlanStep, res: ExecOutcome): boolean {
  const out = res.stdout ?? '';
  return step.relock !== undefined && !res.ok && res.exitCode === LOCK_HELD_EXIT && parseHeld(out) !== undefined && /(^|\n)runs=[^\n]*\n?$/.test(out);
}

/** Take the lock over and run the undo again, or refuse it: `kept` is what the host runs then. */
export async function retakeHeldLock(
  a: { ctx: RunContext; rec: RunRecorder; timeoutMs: number; lockTimeoutMs: number },
  conn: SshConnection,
  step: PlanStep & { relock: NonNullable<PlanStep['relock']> },
  log: StepLog,
  first: ExecOutcome,
): Promise<RelockOutcome> {
  const held = parseHeld(first.stdout ?? '')!;
  const stateDir = a.ctx.config.settings.stateDir;
  const stateId = await readStateId(stateDir);
  const verdict = decideLock(held, { stateId, lockTimeoutMs: a.lockTimeoutMs, runStatus: await holderRunStatus(stateDir, stateId, a.rec.run, held.holder) });
  if (verdict.action === 'take-over') {
    const took = await remoteExec(conn, takeOverLockScript(step.relock.path, step.relock.lock, held.holder), log, { timeoutMs: a.timeoutMs });
    if (took.ok) {
      log.write(`took over the deploy lock (${verdict.why}): ${held.holder || 'no holder'}\n`);
      const again = await execWithInput(conn, step.script, step.stdin, log, a.timeoutMs);
      if (!lockWasHeld(step, again)) return again;
      return refused(again);
    }
  }
  return refused(first);
}

function refused(res: ExecOutcome): RelockOutcome {
  const held = parseHeld(res.stdout ?? '');
  const runs = parseRuns(res.stdout ?? '');
  const holder = held?.holder ? `holder ${held.holder}` : 'holder not readable: being taken over';
  return {
    ok: false,
    exitCode: LOCK_HELD_EXIT,
    kept: runs,
    error: `not rolled back: a newer deploy (${holder}) holds the lock; it runs ${runs || 'nothing (no current)'}`,
  };
}
