// The state folder is a documented API (see README "State folder"). Every file carries `version`
// and is validated when read (src/state/schemas.ts). Times are ISO-8601 strings in UTC.

export const STATE_VERSION = 1;

export type RunStatus =
  | 'queued'
  | 'running'
  | 'passed' // tested, nothing to deploy
  | 'deployed'
  | 'waiting' // held at a manual gate
  | 'failed'
  | 'interrupted'
  | 'superseded'
  | 'cancelled'; // ended by `slipway cancel`

export const ENDED_STATUSES: readonly RunStatus[] = ['passed', 'deployed', 'failed', 'interrupted', 'superseded', 'cancelled'];

/**
 * Whose fault a failed run was. `commit`: its tests, a step, the restart or the health check
 * failed, so the commit is not run again by itself. `infrastructure`: a host unreachable, a
 * deploy lock held too long, the local disk or a process failed; the next poll or trigger
 * retries the commit.
 */
export type FailureCause = 'commit' | 'infrastructure';

export type StepStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped';
export type StageStatus = 'pending' | 'running' | 'passed' | 'failed' | 'waiting' | 'skipped' | 'rolled-back';

export interface CommitInfo {
  id: string;
  /** Kept whole, exactly as in git. Untrusted: escape before display. */
  message: string;
  author: { name: string; email: string };
  /** ISO time of the author date. */
  time: string;
}

export interface StepRecord {
  /** Unique within the run; also the log file name: STATE/logs/PIPELINE/N/<id>.log */
  id: string;
  /** What it does, for people: "npm test", "web1: switch current". */
  name: string;
  status: StepStatus;
  host?: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  /** Why it failed, in plain words (secrets masked). */
  error?: string;
}

export interface HostOutcome {
  host: string;
  status: 'pending' | 'deployed' | 'failed' | 'rolled-back' | 'untouched';
  release?: string;
  previousRelease?: string;
  error?: string;
}

export interface StageRecord {
  /** "test", "build", or "deploy:ENV". */
  name: string;
  kind: 'test' | 'build' | 'deploy';
  environment?: string;
  status: StageStatus;
  startedAt?: string;
  finishedAt?: string;
  steps: StepRecord[];
  hosts?: HostOutcome[];
  error?: string;
}

export interface RunRecord {
  version: number;
  pipeline: string;
  number: number;
  status: RunStatus;
  commit: CommitInfo;
  /** The branch the commit came from. Untrusted: escape before display. */
  branch: string;
  /** What started it: "poll", "trigger", "deploy", "rollback". */
  trigger: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  stages: StageRecord[];
  /** The packed artifact this run ships; `run` is the run that built it (STATE/artifacts/NAME/RUN.tar.gz). */
  artifact?: { sha256: string; bytes: number; files: number; run: number };
  error?: string;
  /** Set when the run ended `failed`. */
  cause?: FailureCause;
}

export interface EnvironmentState {
  commit: string;
  release: string;
  deployedAt: string;
  run: number;
}

export interface PipelineState {
  version: number;
  pipeline: string;
  /** The newest branch head a poll has seen (and queued). */
  lastSeenCommit?: string;
  /** `branches:` other than the deploy branch: the newest head seen (and queued) of each. */
  branches?: Record<string, string>;
  nextRunNumber: number;
  /** What each environment runs now (after its last good deploy). */
  environments: Record<string, EnvironmentState>;
}

export interface HostRelease {
  release: string;
  commit: string;
  deployedAt: string;
  run: number;
}

export interface HostPipelineState {
  current?: HostRelease;
  previous?: HostRelease;
  /** Release folder names present on the host after the last deploy, oldest first. */
  releases: string[];
}

export interface HostState {
  version: number;
  host: string;
  /** The last deploy of each pipeline to this host. */
  pipelines: Record<string, HostPipelineState>;
  /** What runs at each deploy path (a host may serve two environments of one pipeline). */
  paths?: Record<string, HostPipelineState & { pipeline: string }>;
  /** The last observation of each deploy path (docs/observe.md); a key of its own, so a deploy's write of `paths` keeps it. */
  sync?: Record<string, HostSync>;
}

export type SyncState = 'synced' | 'out-of-sync' | 'degraded' | 'unknown';

export interface SyncTransition {
  sync: SyncState;
  reasons: string[];
  at: string;
}

/** What the observer found at one deploy path of a host. */
export interface HostSync {
  pipeline: string;
  environment: string;
  sync: SyncState;
  /** Why it is not synced, for people ("current is missing"); empty when synced. */
  reasons: string[];
  /** When this sync state began; unchanged while it stays. */
  since: string;
  observedAt: string;
  /** Observations in a row that found the host out-of-sync or degraded (self-heal waits for 2). */
  drifted: number;
  /** Sync transitions, oldest first, the last 50. */
  history: SyncTransition[];
  /** observe.files: sha256 (null: missing) recorded at the end of the deploy of `release`. */
  files?: { release: string; sha256: Record<string, string | null> };
  /** Self-heal of the present drift: heals that failed for these reasons; `stopped` after 2. */
  heal?: { reasons: string[]; failures: number; lastRun?: number; stopped?: string };
}
