// One run per commit and branch, whoever asks (poll, webhook, trigger, recovery): the rule, as a
// pure function over the pipeline's runs, checked right before a run is created. Exceptions:
// an explicit `trigger --commit` (and `deploy`, which never goes through here); a run that was
// interrupted gets one re-run, by recovery; a run that failed for the infrastructure's sake is
// retried by the next poll or trigger, with backoff.
import type { RunRecord } from '../state/types.ts';

export type CommitRunDecision = { action: 'run' } | { action: 'skip'; reason: string };

/** Triggers of runs that test and deploy a commit (not `deploy`/`rollback`, which a person re-issues). */
export const COMMIT_TRIGGERS = ['poll', 'trigger', 'webhook', 'recovery', 'retry'];

/** Waits before the k-th automatic retry of an infrastructure failure: 15 s, 30 s, 1 m … at most 10 m. */
export function retryBackoffMs(consecutiveInfraFailures: number): number {
  return Math.min(600_000, 15_000 * 2 ** Math.max(0, consecutiveInfraFailures - 1));
}

export interface CommitRunRequest {
  commit: string;
  branch: string;
  trigger: string;
  /** `trigger --commit SHA`: the user asks for this commit again on purpose. */
  explicit?: boolean;
  now: Date;
}

/** `runs`: the pipeline's recent runs, any order. */
export function decideCommitRun(runs: readonly RunRecord[], req: CommitRunRequest): CommitRunDecision {
  if (req.explicit) return { action: 'run' };
  const mine = runs.filter((r) => r.commit.id === req.commit && r.branch === req.branch && COMMIT_TRIGGERS.includes(r.trigger)).sort((a, b) => a.number - b.number);
  const last = mine.at(-1);
  if (!last) return { action: 'run' };
  const short = req.commit.slice(0, 7);
  const again = `to run it again: slipway trigger ${last.pipeline} --commit ${short}`;
  if (last.status === 'queued' || last.status === 'running' || last.status === 'waiting') {
    return { action: 'skip', reason: `${short} already has run #${last.number} (${last.status})` };
  }
  if (last.status === 'interrupted') {
    return req.trigger === 'recovery' ? { action: 'run' } : { action: 'skip', reason: `${short} was interrupted in run #${last.number}; recovery re-runs it` };
  }
  if (last.status === 'failed' && last.cause === 'infrastructure') {
    if (req.trigger === 'trigger' || req.trigger === 'recovery') return { action: 'run' };
    let streak = 0;
    for (const r of [...mine].reverse()) {
      if (r.status === 'failed' && r.cause === 'infrastructure') streak++;
      else break;
    }
    const wait = retryBackoffMs(streak);
    const since = req.now.getTime() - Date.parse(last.finishedAt ?? last.createdAt);
    if (since >= wait) return { action: 'run' };
    return { action: 'skip', reason: `${short} failed for an infrastructure reason in run #${last.number}; a poll retries it ${Math.ceil((wait - since) / 1000)} s from now (backoff); at once: slipway trigger ${last.pipeline}` };
  }
  return { action: 'skip', reason: `${short} already ran in run #${last.number} (${last.status}${last.cause ? `, cause ${last.cause}` : ''}); ${again}` };
}
