// The shape of a plan: what deploy, rollback and heal decide (deploy-plan.ts, heal-plan.ts) and
// the one applier (apply-plan.ts) carries out. A plan is plain data — scripts already built and
// quoted, streams named, not opened — so table tests pin it exactly, as they pin remote scripts.
import type { FailureCause } from '../state/types.ts';

/** What a step sends on stdin: bytes known at plan time, or a stream the applier opens. */
export type StepInput =
  | { kind: 'bytes'; data: Buffer }
  /** A local file streamed as it is (the run's artifact); `missing` is the error when it is gone. */
  | { kind: 'file'; path: string; missing: string }
  /** A local folder streamed as a tar (source: upload: the tested tree). */
  | { kind: 'tree'; dir: string };

/** A check retried every `intervalMs` until `timeoutMs`: the health gate. */
export interface Retry {
  script: string;
  stdin?: Buffer;
  timeoutMs: number;
  intervalMs: number;
  /** The release checked, for the log's "attempt N" lines. */
  release: string;
  /** Prefix of the host's error when the check fails (default: the step's). */
  error?: string;
}

export interface PlanStep {
  /** ENV-HOST-WHAT: also the step's log file name. */
  id: string;
  /** "HOST: what", as shown on the run page and in progress lines. */
  name: string;
  /** One remote exec (empty: no exec, e.g. a health step that only retries). */
  script: string;
  stdin?: StepInput;
  /** Run after `script` succeeded, in the same recorded step. */
  retry?: Retry;
  /** Prefix of the host's error when this step fails ("switch", "health check"). */
  error: string;
  /**
   * A step that chains two parts: when its output holds `marker`, the first part is done and a
   * failure is the second part's, named `error`.
   */
  then?: { marker: string; error: string };
  /** Fails before the step starts (a plan that knows the step cannot work: no artifact). */
  refuse?: string;
  /** Written to the step's log before it runs. */
  note?: string;
  /** A failure not of the commit's making (the host's network or disk): never quarantines it. */
  cause?: FailureCause;
  /**
   * What takes the host back to how it was before this step AND every earlier step of the host
   * (so the applier runs only the undo of the last step that started). Run when this step
   * started, even if it failed: a switch may have renamed `current` before its log write failed.
   */
  undo?: PlanStep[];
  /** This step, once started, changed what the host serves (its undo is a rollback). */
  switches?: boolean;
  /** This step's script also releases the host's deploy lock when it succeeds. */
  unlocks?: boolean;
  /**
   * An undo that first re-takes the host's lock (`lock`, our info line, at `path`): the host had
   * released it. When another holder has it, the script exits LOCK_HELD_EXIT having changed nothing.
   */
  relock?: { path: string; lock: string };
}

/**
 * Steps that run on one host in one go. Waves of a batch run one after another; the hosts of a
 * wave at once (the once steps are a wave of one host, between staging and switching).
 */
export type Wave = Array<{ host: string; steps: PlanStep[] }>;

export interface Plan {
  /** Hosts refused before anything is touched (nothing to roll back to, a foreign `current`). */
  refusals: Array<{ host: string; error: string }>;
  /** Each batch is a list of waves; a failed batch stops the plan. */
  batches: Wave[][];
  /** Per host: how to release the deploy lock when no step did it. */
  unlock: Record<string, PlanStep>;
  /** Per host: run instead of `unlock` when the whole plan passed (prune, then release the lock). */
  finish: Record<string, PlanStep>;
  /** The release each host goes to (deploy: the new one; rollback: its previous). */
  release: Record<string, string>;
  /** Per host: releases prune removes when the plan succeeds (so the state knows without a read). */
  pruned: Record<string, string[]>;
}

/** What happened on one host when a plan ran. */
export interface HostResult {
  host: string;
  /** deployed: every step passed; failed: a step failed (error says which); untouched: not reached. */
  status: 'deployed' | 'failed' | 'untouched';
  error?: string;
  /** A step that switches started. */
  switched: boolean;
  /** Any step started (the host was changed, or may have been). */
  touched: boolean;
  /** The undo ran: ok, failed (undoError), or none was needed. */
  undo?: 'ok' | 'failed';
  undoError?: string;
  /** The lock was released (by a step or the final unlock). */
  unlocked: boolean;
  /** The plan's prune ran (with the lock's release after the host was healthy). */
  pruned?: boolean;
  /**
   * Not rolled back: a newer deploy held the host's lock when the undo came. What `current`
   * named then ('' for nothing): the host is left to that deploy, as it is.
   */
  kept?: string;
}
