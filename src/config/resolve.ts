// Validated raw values (schema defaults already filled in) → the Config the rest of slipway reads:
// durations in milliseconds, local paths absolute, each environment's deploy merged over the
// pipeline's. Pure: everything fallible has been checked before this runs.
import type { DeploySpec, HealthCheck, HostConfig, PipelineConfig, Retention, Settings } from './types.ts';
import { parseDuration } from './duration.ts';
import { resolveLocalPath } from './local-path.ts';
import { splitRepoUrl } from './repo-url.ts';
import { resolveObserve, type RawObserve } from './observe.ts';

export interface RawHealthCheck {
  command?: string;
  url?: string;
  timeout?: string;
  interval?: string;
}

export interface RawDeploy {
  path?: string;
  source?: 'pull' | 'upload' | 'artifact';
  steps?: Array<string | { run: string; once?: boolean }>;
  shared?: string[];
  restart?: string;
  healthCheck?: RawHealthCheck;
  keepReleases?: number;
  commandTimeout?: string;
  lockTimeout?: string;
  lockWait?: string;
}

export interface RawEnvironment {
  name: string;
  hosts: string[];
  batch?: number;
  approval: 'auto' | 'manual';
  deploy?: RawDeploy;
  observe?: RawObserve;
  selfHeal?: boolean;
}

export interface RawPipeline {
  repo: string;
  branch: string;
  branches?: string[];
  poll: string;
  auth?: { token: string; username: string };
  timeout: string;
  network: boolean;
  test: string[] | Record<string, string[]>;
  build: string[];
  cache?: { key: string[]; paths: string[]; maxSize: string };
  artifact?: { paths: string[] };
  status?: { forge: 'github' | 'gitea' | 'gitlab'; api: string; repo: string; token: string };
  deploy?: RawDeploy;
  environments?: RawEnvironment[];
  retention?: Retention;
  observe?: RawObserve;
}

export interface RawSettings {
  stateDir: string;
  concurrency: number;
  sandbox: 'auto' | 'bwrap' | 'none';
  ssh: { identity?: string; knownHosts?: string; connectTimeout: string; commandTimeout: string };
  report: { title: string; url?: string };
  server?: { listen: string; webhookSecret?: string };
  notify: Array<{ webhook: string; on: Settings['notify'][number]['on'] }>;
  inboxTtl: string;
  retention?: Retention;
  configRepo?: { repo: string; branch: string; poll: string; auth?: { token: string; username: string } };
}

export interface RawHost {
  address: string;
  port: number;
  user: string;
  env: Record<string, string>;
  hostKey?: string;
  identity?: string;
  proxyJump?: string;
}

/** Defaults of health check timings when an environment adds a health check the pipeline lacks. */
const HEALTH_DEFAULTS = { timeout: '30s', interval: '1s' };

export interface Locality {
  configDir: string;
  home: string;
}

const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

function sizeBytes(size: string): number {
  const m = /^([0-9]+)(B|KB|MB|GB)$/.exec(size);
  if (!m) throw new Error(`unvalidated size ${JSON.stringify(size)}`);
  return Number(m[1]) * (SIZE_UNITS[m[2]!] ?? 1);
}

function ms(duration: string): number {
  const value = parseDuration(duration);
  if (value === undefined) throw new Error(`unvalidated duration ${JSON.stringify(duration)}`);
  return value;
}

export function resolveSettings(raw: RawSettings, where: Locality): Settings {
  const local = (path: string): string => resolveLocalPath(path, where.configDir, where.home);
  const settings: Settings = {
    stateDir: local(raw.stateDir),
    concurrency: raw.concurrency,
    sandbox: raw.sandbox,
    ssh: {
      connectTimeoutMs: ms(raw.ssh.connectTimeout),
      commandTimeoutMs: ms(raw.ssh.commandTimeout),
    },
    report: { title: raw.report.title, ...(raw.report.url !== undefined ? { url: raw.report.url.replace(/\/+$/, '') } : {}) },
    notify: raw.notify.map((target) => ({ webhook: target.webhook, on: [...target.on] })),
    inboxTtlMs: ms(raw.inboxTtl ?? '1h'),
  };
  if (raw.ssh.identity !== undefined) settings.ssh.identity = local(raw.ssh.identity);
  if (raw.ssh.knownHosts !== undefined) settings.ssh.knownHosts = local(raw.ssh.knownHosts);
  if (raw.retention) settings.retention = { ...raw.retention };
  if (raw.configRepo) {
    const { branch, poll } = raw.configRepo;
    const repo = splitRepoUrl(raw.configRepo.repo);
    const auth = raw.configRepo.auth ?? repo.auth;
    settings.configRepo = { repo: repo.url, branch, poll, ...(auth ? { auth: { username: auth.username, token: auth.token } } : {}) };
  }
  if (raw.server) {
    settings.server = { listen: raw.server.listen };
    if (raw.server.webhookSecret !== undefined) settings.server.webhookSecret = raw.server.webhookSecret;
  }
  return settings;
}

export function resolveHosts(raw: Record<string, RawHost>, where: Locality): Record<string, HostConfig> {
  const hosts: Record<string, HostConfig> = {};
  for (const [name, host] of Object.entries(raw)) {
    const resolved: HostConfig = { name, address: host.address, port: host.port, user: host.user, env: { ...host.env } };
    if (host.hostKey !== undefined) resolved.hostKey = host.hostKey;
    if (host.identity !== undefined) resolved.identity = resolveLocalPath(host.identity, where.configDir, where.home);
    if (host.proxyJump !== undefined) resolved.proxyJump = host.proxyJump;
    hosts[name] = resolved;
  }
  return hosts;
}

export function resolvePipeline(
  identity: { name: string; file: string },
  raw: RawPipeline,
  settings: Settings,
): PipelineConfig {
  // A test-only pipeline has neither (rules.ts refuses one without the other, and a path-less env).
  const base = (raw.deploy ?? {}) as RawDeploy & { path: string };
  const repo = splitRepoUrl(raw.repo);
  const pipeline: PipelineConfig = {
    name: identity.name,
    file: identity.file,
    repo: repo.url,
    branch: raw.branch,
    branches: raw.branches ? [...raw.branches] : [raw.branch],
    poll: raw.poll,
    timeoutMs: ms(raw.timeout),
    network: raw.network,
    test: Array.isArray(raw.test) ? [...raw.test] : [],
    build: [...raw.build],
    environments: (raw.environments ?? []).map((environment) => {
      const resolved: PipelineConfig['environments'][number] = {
        name: environment.name,
        hosts: [...environment.hosts],
        approval: environment.approval,
        deploy: resolveDeploy(mergeDeploy(base, environment.deploy ?? {}), settings),
      };
      const observe = resolveObserve(raw.observe, environment.observe);
      if (observe !== undefined) resolved.observe = observe;
      if (environment.selfHeal) resolved.selfHeal = true;
      if (environment.batch !== undefined) resolved.batch = environment.batch;
      return resolved;
    }),
  };
  if (!Array.isArray(raw.test)) pipeline.testJobs = Object.fromEntries(Object.entries(raw.test).map(([k, v]) => [k, [...v]]));
  if (raw.deploy) pipeline.deploy = resolveDeploy(base, settings);
  if (raw.cache) pipeline.cache = { key: [...raw.cache.key], paths: [...raw.cache.paths], maxSizeBytes: sizeBytes(raw.cache.maxSize) };
  if (raw.artifact) pipeline.artifact = { paths: [...raw.artifact.paths] };
  if (raw.status) pipeline.status = { ...raw.status };
  // auth: wins over credentials in the URL; either way the URL itself carries none.
  if (raw.auth) pipeline.auth = { username: raw.auth.username, token: raw.auth.token };
  else if (repo.auth) pipeline.auth = repo.auth;
  const retention = { ...settings.retention, ...raw.retention };
  if (retention.runs !== undefined || retention.days !== undefined) pipeline.retention = retention;
  return pipeline;
}

/** Keys of the override win; healthCheck merges one level deeper so a timeout alone can differ. */
function mergeDeploy(base: RawDeploy & { path: string }, override: RawDeploy): RawDeploy & { path: string } {
  const merged = { ...base, ...override };
  if (override.healthCheck) merged.healthCheck = { ...base.healthCheck, ...override.healthCheck };
  return merged;
}

function resolveDeploy(raw: RawDeploy & { path: string }, settings: Settings): DeploySpec {
  const deploy: DeploySpec = {
    path: raw.path,
    source: raw.source ?? 'pull',
    steps: (raw.steps ?? []).flatMap((s) => (typeof s === 'string' ? [s] : s.once ? [] : [s.run])),
    onceSteps: (raw.steps ?? []).flatMap((s) => (typeof s !== 'string' && s.once ? [s.run] : [])),
    shared: [...(raw.shared ?? [])],
    keepReleases: raw.keepReleases ?? 5,
    commandTimeoutMs: raw.commandTimeout !== undefined ? ms(raw.commandTimeout) : settings.ssh.commandTimeoutMs,
    lockTimeoutMs: ms(raw.lockTimeout ?? '30m'),
    lockWaitMs: ms(raw.lockWait ?? '10m'),
  };
  if (raw.restart !== undefined) deploy.restart = raw.restart;
  if (raw.healthCheck) deploy.healthCheck = resolveHealth(raw.healthCheck);
  return deploy;
}

function resolveHealth(raw: RawHealthCheck): HealthCheck {
  const check: HealthCheck = {
    timeoutMs: ms(raw.timeout ?? HEALTH_DEFAULTS.timeout),
    intervalMs: ms(raw.interval ?? HEALTH_DEFAULTS.interval),
  };
  if (raw.command !== undefined) check.command = raw.command;
  if (raw.url !== undefined) check.url = raw.url;
  return check;
}
