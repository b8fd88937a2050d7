// The first exec of every deploy, rollback and heal on a host: connect, take the path's deploy
// lock, and read the host's facts under it — one step, one exec when the lock is free (issue 13:
// a deploy is at most 4 execs per host). Facts read under our lock cannot change before we act.
import type { EnvironmentConfig } from '../config/types.ts';
import type { StageRecord } from '../state/types.ts';
import type { RunContext } from './context.ts';
import type { RunRecorder } from './recorder.ts';
import { runStep } from './step.ts';
import { factsScript, parseFacts, readHostFacts, type FactsRequest, type HostFacts } from './host-facts.ts';
import { acquireLockScript } from './lock-scripts.ts';
import { lockInfo, waitForLock } from './deploy-lock.ts';
import { remoteExec } from './remote-exec.ts';
import { readStateId } from '../state/state-id.ts';

/** One host after its connect step: the lock we hold (if any) and what it runs. */
export interface HostHold {
  host: string;
  /** Our lock's info line while we hold the lock. */
  lock?: string;
  facts?: HostFacts;
  /** Why the connect step failed. */
  error?: string;
}

/** Lock first, then the facts: the lock's own exit code (75: held) is the script's. */
export function lockAndFactsScript(req: FactsRequest, info: string): { script: string; stdin?: Buffer } {
  const facts = factsScript(req);
  return { script: `( ${acquireLockScript(req.path, info)} ) </dev/null; slipway_rc=$?; [ "$slipway_rc" -eq 0 ] || exit "$slipway_rc"; ${facts.script}`, ...(facts.stdin ? { stdin: facts.stdin } : {}) };
}

/** What else to read with the facts (a heal: the health check's answer now, under the lock). */
export type ExtraFacts = (host: string) => Omit<FactsRequest, 'path'>;

/** Connect, lock and read every host at once; a host that fails is named in its hold's error. */
export async function connectHosts(ctx: RunContext, rec: RunRecorder, stage: StageRecord, env: EnvironmentConfig, extra?: ExtraFacts): Promise<HostHold[]> {
  const stateId = await readStateId(ctx.config.settings.stateDir);
  const info = lockInfo(stateId, rec.run.pipeline, rec.run.number, ctx.actor, rec.now());
  return Promise.all(
    env.hosts.map(async (host): Promise<HostHold> => {
      const hold: HostHold = { host };
      const timeoutMs = env.deploy.commandTimeoutMs;
      const req: FactsRequest = { ...extra?.(host), path: env.deploy.path };
      const script = lockAndFactsScript(req, info);
      const r = await runStep(ctx, rec, stage, { id: `${env.name}-${host}-connect`, name: `${host}: connect`, host }, async (log) => {
        const conn = await ctx.pool.get(host);
        const first = await remoteExec(conn, script.script, log, { timeoutMs, ...(script.stdin ? { stdin: script.stdin } : {}) });
        if (first.ok) {
          hold.lock = info;
          hold.facts = parseFacts(first.stdout ?? '', req);
          return first;
        }
        const locked = await waitForLock({ ctx, rec, stage, env, host, stateId, info }, conn, log, first);
        if (!locked.ok) return locked;
        hold.lock = info;
        // Waited or took over: read what the host runs now, under our lock.
        hold.facts = await readHostFacts(conn, req, timeoutMs);
        return locked;
      });
      if (!r.ok) hold.error = r.error ?? 'cannot connect';
      return hold;
    }),
  );
}
