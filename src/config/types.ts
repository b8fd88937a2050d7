// The validated, resolved config value that the rest of slipway reads. Produced only by
// loadConfig (src/config/load.ts); durations are milliseconds, paths are absolute where the
// machine running slipway reads them, and `${env:..}`/`${file:..}` secrets are already substituted
// (their values are listed in `secrets` so every writer can mask them).

import type { ObserveConfig } from './observe.ts';

export interface SshSettings {
  /** Absolute path of the private key, or undefined to use none (agent-less). */
  identity?: string;
  /** Absolute path of a known_hosts file, or undefined. */
  knownHosts?: string;
  connectTimeoutMs: number;
  /** Default bound of every remote command. */
  commandTimeoutMs: number;
}

export interface NotifyTarget {
  webhook: string;
  on: Array<'failure' | 'recovery' | 'deployed' | 'waiting' | 'drift' | 'synced' | 'heal-failed'>;
}

export interface Retention {
  /** Newest runs kept per pipeline. */
  runs?: number;
  /** Runs that ended more than this many days ago are removed. */
  days?: number;
}

export interface ConfigRepo {
  repo: string;
  branch: string;
  /** Cron expression of when `slipway run` looks for a new commit. */
  poll: string;
  auth?: { username: string; token: string };
}

export interface Settings {
  /** Absolute path of the state folder. */
  stateDir: string;
  concurrency: number;
  /** How test commands are isolated (src/exec/sandbox.ts decides what `auto` means here). */
  sandbox: 'auto' | 'bwrap' | 'none';
  ssh: SshSettings;
  /** url: the public base URL of the report, without a trailing slash. */
  report: { title: string; url?: string };
  server?: { listen: string; webhookSecret?: string };
  notify: NotifyTarget[];
  /** A request in STATE/inbox/ older than this is dropped, not acted on. */
  inboxTtlMs: number;
  retention?: Retention;
  configRepo?: ConfigRepo;
}

export interface HostConfig {
  name: string;
  address: string;
  port: number;
  user: string;
  env: Record<string, string>;
  /** A public key line ("ssh-ed25519 AAAA...") or a "SHA256:..." fingerprint. */
  hostKey?: string;
  /** Absolute path of a private key for this host; overrides settings.ssh.identity. */
  identity?: string;
  /** Name of another host to connect through (ssh -J). */
  proxyJump?: string;
}

export interface HealthCheck {
  command?: string;
  url?: string;
  timeoutMs: number;
  intervalMs: number;
}

export interface DeploySpec {
  /** Absolute, or starting with "~/" (the deploy user's home). */
  path: string;
  source: 'pull' | 'upload' | 'artifact';
  /** Run on every host of the environment. */
  steps: string[];
  /** `{ run, once: true }` steps: on the environment's first host, before any host switches. */
  onceSteps: string[];
  /** Paths in PATH/shared/ linked into each release; a trailing "/" marks a folder. */
  shared: string[];
  restart?: string;
  healthCheck?: HealthCheck;
  keepReleases: number;
  /** Bound of each remote command of this deploy. */
  commandTimeoutMs: number;
  /** A host deploy lock older than this was left by a dead slipway and is taken over. */
  lockTimeoutMs: number;
  /** How long a deploy waits for a live deploy lock before it gives up (cause: infrastructure). */
  lockWaitMs: number;
}

export interface EnvironmentConfig {
  name: string;
  hosts: string[];
  /** Hosts at a time; undefined = all at once. */
  batch?: number;
  approval: 'auto' | 'manual';
  /** The pipeline's deploy spec with this environment's overrides applied. */
  deploy: DeploySpec;
  /** What `observe:` says (config/observe.ts): false is off; undefined is the default, every 1m. */
  observe?: ObserveConfig | false;
  /** true: heal drift seen on two observations in a row (docs/observe.md); undefined is false. */
  selfHeal?: boolean;
}

export interface PipelineConfig {
  /** From the file name: pipelines/NAME.yaml. */
  name: string;
  /** The file it came from, as reachable from the cwd (for messages). */
  file: string;
  repo: string;
  branch: string;
  /** Globs of the branches tested (the deploy branch is always among them). */
  branches: string[];
  /** A cron expression (node-cron syntax, 5 or 6 fields). */
  poll: string;
  auth?: { username: string; token: string };
  /** Bound of the whole test stage. */
  timeoutMs: number;
  /** Test commands may use the network (false: a private loopback only, under bwrap). */
  network: boolean;
  test: string[];
  /** `test` written as a map of named jobs: run at once, each in its own workspace (then `test` is empty). */
  testJobs?: Record<string, string[]>;
  /** Run after test in the same workspace, as the stage "build". */
  build: string[];
  /** Kept between runs (src/pipeline/cache.ts). */
  cache?: { key: string[]; paths: string[]; maxSizeBytes: number };
  /** Packed after build for deploy.source: artifact. */
  artifact?: { paths: string[] };
  /** Where commit statuses are posted (src/forge/commit-status.ts). */
  status?: StatusTarget;
  /** Undefined for a test-only pipeline (then environments is empty). */
  deploy?: DeploySpec;
  environments: EnvironmentConfig[];
  /** slipway.yaml's retention with this pipeline's keys over it; undefined keeps everything. */
  retention?: Retention;
}

export interface StatusTarget {
  forge: 'github' | 'gitea' | 'gitlab';
  /** Base URL of the forge API, as written (no trailing slash added). */
  api: string;
  repo: string;
  token: string;
}

export interface Config {
  /** Absolute path of the config folder. */
  dir: string;
  settings: Settings;
  hosts: Record<string, HostConfig>;
  /** In file-name order. */
  pipelines: PipelineConfig[];
  /** Every value that came from ${env:..} or ${file:..}: mask these wherever text is written. */
  secrets: string[];
  /** Absolute paths of the ${file:..} files read: hidden from sandboxed test commands. */
  secretFiles: string[];
}
