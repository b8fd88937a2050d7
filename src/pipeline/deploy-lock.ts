// Taking, waiting for, renewing and releasing a host's deploy lock (scripts in lock-scripts.ts).
// The lock names the state folder and the run: a lock of this state folder whose run has ended
// (a kill -9, a crash) is released at once; only a lock of another state folder needs
// `lockTimeout` to pass. A live lock makes the deploy wait up to `lockWait`, shown as a step.
import type { EnvironmentConfig } from '../config/types.ts';
import type { RunStatus, StageRecord } from '../state/types.ts';
import type { SshConnection } from '../ssh/connection.ts';
import type { StepLog } from '../exec/log-file.ts';
import { readRun } from '../state/store.ts';
import { formatMs } from './test-stage.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import type { StepOutcome } from './step.ts';
import { remoteExec, type ExecOutcome } from './remote-exec.ts';
import * as locks from './lock-scripts.ts';

export interface LockHolder {
  state?: string;
  pipeline?: string;
  run?: number;
}

export function lockInfo(stateId: string, pipeline: string, run: number, actor: string, at: string): string {
  return `state=${stateId} run=${pipeline}#${run} by=${actor} pid=${process.pid} at=${at}`;
}

export function parseLockInfo(info: string): LockHolder {
  const state = /(?:^| )state=(\S+)/.exec(info)?.[1];
  const run = /(?:^| )run=(\S+)#(\d+)(?: |$)/.exec(info);
  return { ...(state ? { state } : {}), ...(run ? { pipeline: run[1]!, run: Number(run[2]) } : {}) };
}

export type LockVerdict = { action: 'take-over'; why: string } | { action: 'wait' } | { action: 'retry' };

/**
 * Pure: what to do about a lock someone holds. `runStatus` is what this state folder knows of
 * the holder's run ('missing' when it has no such run; retention may have removed it).
 */
export function decideLock(
  held: { holder: string; ageSeconds: number },
  known: { stateId: string; lockTimeoutMs: number; runStatus?: RunStatus | 'missing' },
): LockVerdict {
  const stale = held.ageSeconds * 1000 >= known.lockTimeoutMs;
  // No holder at all: someone is between the two renames of a takeover, or died there.
  if (held.holder === '') return stale ? { action: 'take-over', why: `an empty lock left ${held.ageSeconds} s ago` } : { action: 'retry' };
  const h = parseLockInfo(held.holder);
  if (h.state === known.stateId && h.run !== undefined && known.runStatus !== undefined && known.runStatus !== 'running') {
    return { action: 'take-over', why: `left by ${h.pipeline}#${h.run}, which ${known.runStatus === 'missing' ? 'this state folder does not know' : `ended ${known.runStatus}`}` };
  }
  if (h.state !== known.stateId && stale) return { action: 'take-over', why: `left ${held.ageSeconds} s ago by another slipway (older than lockTimeout ${formatMs(known.lockTimeoutMs)})` };
  return { action: 'wait' };
}

/** What this state folder knows of a lock holder's run (undefined: another state folder's lock). */
export async function holderRunStatus(stateDir: string, stateId: string, own: { pipeline: string; number: number }, holder: string): Promise<RunStatus | 'missing' | undefined> {
  const h = parseLockInfo(holder);
  if (h.state !== stateId || !h.pipeline || h.run === undefined) return undefined;
  if (h.pipeline === own.pipeline && h.run === own.number) return 'running';
  try {
    return (await readRun(stateDir, h.pipeline, h.run)).status;
  } catch {
    return 'missing';
  }
}

const POLL_MS = 1000;

export interface LockWait {
  ctx: RunContext;
  rec: RunRecorder;
  stage: StageRecord;
  env: EnvironmentConfig;
  host: string;
  stateId: string;
  /** Our lock's info line. */
  info: string;
}

/**
 * A lock someone else holds (the first attempt's answer): wait up to lockWait for a live
 * holder, take over one that is stale or whose run ended. Runs inside the host's connect step.
 */
export async function waitForLock(w: LockWait, conn: SshConnection, log: StepLog, first: ExecOutcome): Promise<StepOutcome> {
  const { ctx, rec, env, stateId, info } = w;
  const stateDir = ctx.config.settings.stateDir;
  const path = env.deploy.path;
  const statusOf = (holder: string) => holderRunStatus(stateDir, stateId, rec.run, holder);
  let waiting: { finish(ok: boolean, error?: string): Promise<void> } | undefined;
  const deadline = Date.now() + env.deploy.lockWaitMs;
  let res = first;
  const outcome = await (async (): Promise<StepOutcome> => {
    for (;;) {
      if (res.ok) return res;
      const held = res.exitCode === locks.LOCK_HELD_EXIT ? locks.parseHeld(res.stdout ?? '') : undefined;
      if (!held) return { ...res, cause: 'infrastructure' };
      const verdict = decideLock(held, { stateId, lockTimeoutMs: env.deploy.lockTimeoutMs, runStatus: await statusOf(held.holder) });
      if (verdict.action === 'take-over') {
        const took = await remoteExec(conn, locks.takeOverLockScript(path, info, held.holder), log, { timeoutMs: env.deploy.commandTimeoutMs });
        if (took.ok) {
          log.write(`took over the deploy lock (${verdict.why}): ${held.holder || 'no holder'}\n`);
          return took;
        }
        log.write(`another process changed the deploy lock first; looking again\n`);
      } else {
        if (verdict.action === 'wait') {
          waiting ??= await startWaitingStep(w, held.holder);
          if (Date.now() + POLL_MS > deadline) {
            const error = `refused: deploy lock held by ${held.holder} for longer than lockWait ${formatMs(env.deploy.lockWaitMs)}; nothing changed`;
            await waiting.finish(false, error);
            return { ok: false, error, cause: 'infrastructure' };
          }
        }
        if (ctx.signal?.aborted) return { ok: false, error: 'stopped while waiting for the deploy lock; nothing changed', cause: 'infrastructure' };
        await sleep(verdict.action === 'retry' ? 100 : POLL_MS, ctx.signal);
      }
      res = await remoteExec(conn, locks.acquireLockScript(path, info), log, { timeoutMs: env.deploy.commandTimeoutMs });
    }
  })();
  await waiting?.finish(outcome.ok);
  return outcome;
}

/** The step "waiting for the deploy lock held by …", running while the deploy waits. */
async function startWaitingStep(w: LockWait, holder: string): Promise<{ finish(ok: boolean, error?: string): Promise<void> }> {
  const { rec, stage, ctx } = w;
  const step = rec.addStep(stage, { id: `${w.env.name}-${w.host}-lock-wait`, name: rec.mask(`${w.host}: waiting for the deploy lock held by ${holder}`), host: w.host });
  step.status = 'running';
  step.startedAt = rec.now();
  await rec.save();
  ctx.progress(`${rec.run.pipeline} #${rec.run.number} ${step.name} (up to ${formatMs(w.env.deploy.lockWaitMs)}) …`);
  let done = false;
  return {
    async finish(ok, error) {
      if (done) return;
      done = true;
      step.status = ok ? 'passed' : 'failed';
      step.finishedAt = rec.now();
      if (error) step.error = rec.mask(error);
      await rec.save();
    },
  };
}

/**
 * Renews every held lock's age while the deploy runs: one step (a long migration, a slow health
 * check) may take longer than lockTimeout, and its lock must not look stale to another slipway.
 */
export function keepLocksFresh(ctx: RunContext, env: EnvironmentConfig, holds: ReadonlyArray<{ host: string; lock?: string | undefined }>): { stop(): void } {
  const every = Math.max(1000, Math.min(60_000, Math.floor(env.deploy.lockTimeoutMs / 3)));
  const timer = setInterval(() => {
    for (const h of holds) {
      const info = h.lock;
      if (!info) continue;
      void ctx.pool
        .get(h.host)
        .then((conn) => conn.exec(locks.refreshLockScript(env.deploy.path, info), { timeoutMs: env.deploy.commandTimeoutMs }))
        .catch(() => undefined); // the next tick tries again; a lost host fails its own step
    }
  }, every);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
