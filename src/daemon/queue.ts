// The daemon's run queue. One run at a time per pipeline, at most `concurrency` at once. While a
// pipeline is busy, new commits pile up in one slot per pipeline and coalesce: only the newest
// runs, the ones it replaced are handed back as `superseded` (the executor records them when it
// takes the winner, so all of a pipeline's state writes stay serial). Approvals of a waiting run
// never coalesce and go first.
import type { RunRecord } from '../state/types.ts';
import type { HealOutcome } from '../pipeline/heal-run.ts';

/** How the executor tells the command that asked (through STATE/inbox/) what became of its request. */
export interface Reply {
  started(pipeline: string, run: number): Promise<void>;
  /** Not done; the request is gone. */
  refused(message: string, exitCode?: number): Promise<void>;
  /** Done (the run's record holds the outcome); the request is gone. */
  done(result?: { pipeline?: string; run?: number; exitCode?: number; message?: string }): Promise<void>;
}

export type Job =
  /** A commit to run: from a poll, a webhook, `trigger`, or a run interrupted by a crash. */
  | { kind: 'commit'; commit: string; trigger: string; explicit?: boolean; reply?: Reply; branch?: string }
  /** A run already recorded `queued` (left so by a stop or a crash). */
  | { kind: 'queued'; run: RunRecord }
  /** Continue run N, waiting at a manual gate. */
  | { kind: 'approve'; run: number; by: string; reply?: Reply }
  /** `slipway deploy` / `slipway rollback` handed to the daemon. */
  | { kind: 'deploy'; environment: string; commit?: string; by: string; reply?: Reply }
  | { kind: 'rollback'; environment: string; by: string; reply?: Reply }
  /** Self-heal of drifted hosts (daemon/observer.ts); `settle` hears the outcome, or undefined when it was dropped or found nothing. */
  | { kind: 'heal'; environment: string; hosts: string[]; settle: (outcome: HealOutcome | undefined) => Promise<void> };

export interface Dispatch {
  pipeline: string;
  job: Job;
  /** Commit jobs this one replaced while it waited, oldest first. */
  superseded: Job[];
}

interface Slot {
  approvals: Job[];
  next?: Job;
  superseded: Job[];
  /** Commits of other branches (`branches:`): they coalesce per branch, never across. */
  branches: Map<string, { next: Job; superseded: Job[] }>;
  active: boolean;
}

export class RunQueue {
  private readonly slots = new Map<string, Slot>();
  private readonly order: string[] = [];
  private running = 0;
  private stopped = false;
  private readonly active = new Set<Promise<void>>();

  constructor(private opts: { concurrency: number; execute: (d: Dispatch) => Promise<void> }) {}

  setConcurrency(n: number): void {
    this.opts = { ...this.opts, concurrency: n };
    this.pump();
  }

  add(pipeline: string, job: Job): void {
    const slot = this.slot(pipeline);
    if (job.kind === 'approve' || job.kind === 'deploy' || job.kind === 'rollback' || job.kind === 'heal') {
      // Requests of a person never coalesce; the same approval twice is one.
      if (job.kind === 'approve' && slot.approvals.some((j) => j.kind === 'approve' && j.run === job.run)) void job.reply?.refused(`run #${job.run} is already approved and queued`, 0);
      else slot.approvals.push(job);
    } else if (job.kind === 'commit' && job.branch !== undefined) {
      const pending = slot.branches.get(job.branch);
      if (pending && commitOf(pending.next) !== job.commit) pending.superseded.push(pending.next);
      slot.branches.set(job.branch, { next: pending ? joinSame(pending.next, job) : job, superseded: pending?.superseded ?? [] });
    } else {
      // The same commit asked for twice (a poll and a webhook) is one job, not a supersession.
      if (slot.next && commitOf(slot.next) !== commitOf(job)) slot.superseded.push(slot.next);
      slot.next = slot.next ? joinSame(slot.next, job) : job;
    }
    if (!this.order.includes(pipeline)) this.order.push(pipeline);
    this.pump();
  }

  /** Is a run of this pipeline running or waiting its turn? */
  busy(pipeline: string): boolean {
    const slot = this.slots.get(pipeline);
    return !!slot && (slot.active || !!slot.next || slot.approvals.length > 0 || slot.branches.size > 0);
  }

  /** Take no new jobs off the queue (shutdown); what waits stays recorded `queued` on disk. */
  stop(): { pending: number } {
    this.stopped = true;
    let pending = 0;
    for (const slot of this.slots.values()) pending += (slot.next ? 1 : 0) + slot.approvals.length + slot.branches.size;
    return { pending };
  }

  /** Resolves when every job started so far has ended. */
  async drain(): Promise<void> {
    while (this.active.size > 0) await Promise.all([...this.active]);
  }

  /** Jobs waiting for their pipeline to be free (for /metrics). */
  get pendingCount(): number {
    let pending = 0;
    for (const slot of this.slots.values()) pending += (slot.next ? 1 : 0) + slot.approvals.length + slot.branches.size;
    return pending;
  }

  get activeCount(): number {
    return this.running;
  }

  private slot(pipeline: string): Slot {
    let slot = this.slots.get(pipeline);
    if (!slot) {
      slot = { approvals: [], superseded: [], branches: new Map(), active: false };
      this.slots.set(pipeline, slot);
    }
    return slot;
  }

  private pump(): void {
    if (this.stopped) return;
    for (let i = 0; i < this.order.length && this.running < this.opts.concurrency; ) {
      const pipeline = this.order[i]!;
      const slot = this.slots.get(pipeline)!;
      if (slot.active) {
        i++;
        continue;
      }
      const [branch, other] = slot.branches.entries().next().value ?? [];
      const job = slot.approvals.shift() ?? slot.next ?? other?.next;
      if (!job) {
        this.order.splice(i, 1);
        continue;
      }
      // A heal never goes before (or beside) a deploy, rollback or approval waiting for this
      // pipeline: that work changes the hosts anyway; the next observations decide again.
      if (job.kind === 'heal' && (slot.next || slot.approvals.some((j) => j.kind !== 'heal'))) {
        void job.settle(undefined);
        continue;
      }
      let superseded: Job[] = [];
      if (job === slot.next) {
        slot.next = undefined;
        superseded = slot.superseded;
        slot.superseded = [];
      } else if (other && job === other.next) {
        slot.branches.delete(branch!);
        superseded = other.superseded;
      }
      slot.active = true;
      this.running++;
      const done = this.opts
        .execute({ pipeline, job, superseded })
        .catch(() => undefined)
        .finally(() => {
          slot.active = false;
          this.running--;
          // Round robin: a pipeline that just had its turn waits behind the others.
          const at = this.order.indexOf(pipeline);
          if (at >= 0) this.order.push(...this.order.splice(at, 1));
          this.active.delete(done);
          this.pump();
        });
      this.active.add(done);
    }
  }
}

function commitOf(job: Job): string | undefined {
  if (job.kind === 'commit') return job.commit;
  if (job.kind === 'queued') return job.run.commit.id;
  return undefined;
}

/**
 * The same commit asked for twice while it waits (two triggers, a trigger and a poll): one job
 * that answers both askers and keeps an explicit `--commit` explicit. Another commit: the new job.
 */
function joinSame(waiting: Job, job: Job): Job {
  if (waiting.kind !== 'commit' || job.kind !== 'commit' || waiting.commit !== job.commit) return job;
  const replies = [waiting.reply, job.reply].filter((r): r is Reply => r !== undefined);
  const explicit = waiting.explicit === true || job.explicit === true;
  return {
    ...job,
    ...(explicit ? { explicit } : {}),
    ...(replies.length > 1 ? { reply: bothReplies(replies) } : replies[0] ? { reply: replies[0] } : {}),
    ...(job.trigger === 'poll' && waiting.trigger !== 'poll' ? { trigger: waiting.trigger } : {}),
  };
}

function bothReplies(replies: Reply[]): Reply {
  return {
    started: async (pipeline, run) => void (await Promise.all(replies.map((r) => r.started(pipeline, run)))),
    refused: async (message, exitCode) => void (await Promise.all(replies.map((r) => r.refused(message, exitCode)))),
    done: async (result) => void (await Promise.all(replies.map((r) => r.done(result)))),
  };
}
