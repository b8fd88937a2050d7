import type { Config } from '../config/types.ts';
import type { SshPool } from '../ssh/pool.ts';
import type { ReportChange } from '../report/index.ts';
import type { StatusPoster } from '../forge/commit-status.ts';

/** What a run needs from the outside world, passed in explicitly (no singletons). */
export interface RunContext {
  config: Config;
  pool: SshPool;
  now: () => Date;
  /** One human line per event (step started/ended); the CLI prints it. */
  progress: (line: string) => void;
  /** Re-render the report after a change of state (of this pipeline and run, when given). */
  report: (changed?: ReportChange, how?: ReportHow) => Promise<void>;
  /** Who acts, for audit lines: "slipway@host (pid N)" or the approving user. */
  actor: string;
  /** Optional: each step's start, masked output and end, for live terminal progress (--follow). */
  watch?: StepWatch;
  /** Aborted when the daemon gives up waiting on shutdown: what fails from then on is `interrupted`. */
  signal?: AbortSignal;
  /** Posts commit statuses in the background (pipelines with `status:`). */
  statuses?: StatusPoster;
}

/** `soon`: a step's progress, which may wait for the next spaced-out render (report-trigger.ts). */
export interface ReportHow {
  soon?: boolean;
}

/** Follows steps as they run: `label` is "PIPELINE #N STEP NAME", the same as in progress lines. */
export interface StepWatch {
  started(label: string): void;
  /** Output as written to the step's log, secrets already masked. */
  output(label: string, text: string): void;
  ended(label: string): void;
}
