// At recovery, the deploy locks that runs killed mid-deploy left on their hosts are released at
// once (the next deploy of this state folder would take them over anyway; releasing them now
// also frees them for other tools and for `status --live`).
import type { PipelineConfig } from '../config/types.ts';
import type { RunRecord } from '../state/types.ts';
import { readStateId } from '../state/state-id.ts';
import type { RunContext } from './context.ts';
import { errorMessage } from './failure.ts';
import { releaseRunLockScript } from './lock-scripts.ts';

/** Pure: the (environment, host) pairs whose lock a run took and never released. */
export function locksLeftBy(run: RunRecord): Array<{ environment: string; host: string }> {
  const out: Array<{ environment: string; host: string }> = [];
  for (const stage of run.stages) {
    if (!stage.environment) continue;
    for (const host of new Set(stage.steps.map((s) => s.host).filter((h): h is string => !!h))) {
      const base = `${stage.environment}-${host}-`;
      const mine = stage.steps.filter((s) => s.host === host);
      // The connect step takes the lock (older runs: a step of its own, `lock`); an unlock step
      // records its release. A step after a release is an undo that takes the lock again
      // (relockScript) until a later unlock says it went: killed in between, it may hold it.
      let locked = false;
      let released = false;
      for (const s of mine) {
        if (s.id.startsWith(`${base}lock-wait`)) continue;
        if (s.id === `${base}connect` || s.id.startsWith(`${base}connect-`) || s.id === `${base}lock` || s.id.startsWith(`${base}lock-`)) locked ||= s.status === 'passed';
        else if (s.id.startsWith(`${base}unlock`)) {
          if (s.status === 'passed') [locked, released] = [false, true];
        } else if (released) locked = true;
      }
      if (locked) out.push({ environment: stage.environment, host });
    }
  }
  return out;
}

/**
 * Pure: besides the locks the record shows taken, the hosts a deploy stage of a killed run may
 * have locked without the record saying so: step starts and ends are written at most every 250 ms
 * (recorder.ts saveSoon), so a connect that took its lock just before a kill -9 may be missing.
 * Every host of such a stage's environment without a recorded release is a candidate; the release
 * script removes only a lock whose holder is this run, so asking a host that holds none is harmless.
 */
export function locksMaybeLeftBy(run: RunRecord, hostsOf: (environment: string) => readonly string[] | undefined): Array<{ environment: string; host: string; known: boolean }> {
  const known = locksLeftBy(run);
  const out = known.map((l) => ({ ...l, known: true }));
  for (const stage of run.stages) {
    if (!stage.environment || stage.status === 'passed' || stage.status === 'skipped' || !stage.startedAt) continue;
    for (const host of hostsOf(stage.environment) ?? []) {
      if (out.some((l) => l.environment === stage.environment && l.host === host)) continue;
      // Recorded released, and nothing after it: not a candidate.
      const last = stage.steps.filter((x) => x.host === host).at(-1);
      if (last?.id.startsWith(`${stage.environment}-${host}-unlock`) && last.status === 'passed') continue;
      out.push({ environment: stage.environment, host, known: false });
    }
  }
  return out;
}

export async function releaseLeftLocks(ctx: RunContext, pipeline: PipelineConfig, runs: RunRecord[], say: (line: string) => void): Promise<void> {
  const stateId = await readStateId(ctx.config.settings.stateDir);
  await Promise.all(
    runs.flatMap((run) =>
      locksMaybeLeftBy(run, (name) => pipeline.environments.find((e) => e.name === name)?.hosts).map(async ({ environment, host, known }) => {
        const env = pipeline.environments.find((e) => e.name === environment);
        if (!env || !ctx.config.hosts[host]) return;
        try {
          const conn = await ctx.pool.get(host);
          const res = await conn.exec(releaseRunLockScript(env.deploy.path, `state=${stateId} run=${pipeline.name}#${run.number} `), { timeoutMs: 30_000 });
          if (res.stdout.includes('released')) say(`${pipeline.name} #${run.number}: released its deploy lock on ${host} (${env.deploy.path})`);
        } catch (e) {
          // A host the record never shows locked (perhaps never reached) is not worth a warning.
          if (known) say(`${pipeline.name} #${run.number}: could not release its deploy lock on ${host} now (${errorMessage(e)}); the next deploy releases it`);
        }
      }),
    ),
  );
}
