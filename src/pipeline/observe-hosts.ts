// Observation, the doing half: one readHostFacts per host and deploy path (health now, files and
// a unit when configured), classified by observe.ts, recorded in STATE/hosts/HOST.json `sync`.
// Used by the daemon's observer and by `slipway observe`.
import type { Config, EnvironmentConfig, PipelineConfig } from '../config/types.ts';
import { observeOf } from '../config/observe.ts';
import type { SshPool } from '../ssh/pool.ts';
import type { HostSync } from '../state/types.ts';
import { readHostState, readPipelineState } from '../state/store.ts';
import { updateHostSync } from '../state/host-sync.ts';
import { maskSecrets } from '../exec/mask.ts';
import { errorMessage } from './failure.ts';
import { healthCommand, readHostFacts, type FactsRequest, type HostFacts } from './host-facts.ts';
import { classifyHost, nextHostSync, syncEvent, type Classification, type Desired } from './observe.ts';
import { planHeal } from './heal-plan.ts';

export interface ObserveDeps {
  config: Config;
  pool: SshPool;
  now: () => Date;
}

export interface HostObservation {
  pipeline: string;
  environment: string;
  host: string;
  path: string;
  /** Undefined: the environment was never deployed, so nothing is desired (not drift). */
  classification?: Classification;
  facts?: HostFacts;
  /** The host's sync record after this observation (written when recording). */
  sync?: HostSync;
  previous?: HostSync;
  event?: 'drift' | 'synced';
  /** A deploy lock was on the path: the host is changing; never healed now. */
  locked: boolean;
  /** What a heal would do here, from these facts; undefined: nothing a heal can put right (a changed tracked file). */
  healFacts?: HostFacts;
}

export interface ObserveOptions {
  /** Write the records (the daemon, or `observe` holding the state lock). */
  record: boolean;
  /** Asked just before writing: false drops the observation (a deploy started meanwhile). */
  stillValid?: () => boolean;
}

/** Bound of one observation: the health check's own timeout plus room for the connect. */
function timeoutOf(config: Config, env: EnvironmentConfig): number {
  return Math.min(env.deploy.commandTimeoutMs, (env.deploy.healthCheck?.timeoutMs ?? 0) + config.settings.ssh.connectTimeoutMs + 20_000);
}

export function factsRequest(pipeline: PipelineConfig, env: EnvironmentConfig, host: { name: string; env: Record<string, string> }, desired: Desired | undefined): FactsRequest {
  const observe = observeOf(env);
  const vars = {
    ...host.env,
    SLIPWAY_COMMIT: desired?.commit ?? '',
    SLIPWAY_RELEASE: desired?.release ?? '',
    SLIPWAY_PREVIOUS: '',
    SLIPWAY_ENV: env.name,
    SLIPWAY_HOST: host.name,
    SLIPWAY_PIPELINE: pipeline.name,
  };
  const health = healthCommand(env, vars);
  return {
    path: env.deploy.path,
    ...(health ? { health: { command: health, env: vars } } : {}),
    ...(observe?.files.length ? { files: observe.files } : {}),
    ...(observe?.service ? { service: observe.service } : {}),
  };
}

/** One observation of every host of one environment, at once (the pool's StartGate paces connects). */
export async function observeEnvironment(deps: ObserveDeps, pipeline: PipelineConfig, env: EnvironmentConfig, opts: ObserveOptions): Promise<HostObservation[]> {
  const stateDir = deps.config.settings.stateDir;
  const state = await readPipelineState(stateDir, pipeline.name);
  const was = state.environments[env.name];
  const desired = was ? { commit: was.commit, release: was.release } : undefined;
  const observe = observeOf(env);
  return Promise.all(
    env.hosts.map(async (host): Promise<HostObservation> => {
      const path = env.deploy.path;
      const hostConfig = deps.config.hosts[host] ?? { name: host, env: {} };
      let observed: { facts: HostFacts } | { error: string };
      try {
        const conn = await deps.pool.get(host);
        observed = { facts: await readHostFacts(conn, factsRequest(pipeline, env, hostConfig, desired), timeoutOf(deps.config, env)) };
      } catch (e) {
        observed = { error: maskSecrets(errorMessage(e), deps.config.secrets) };
      }
      const facts = 'facts' in observed ? observed.facts : undefined;
      const prev = (await readHostState(stateDir, host)).sync?.[path];
      // File hashes are compared with those recorded at the deploy of the desired release; when
      // none were (observe.files added later), the first observation of that release records them.
      const recorded = prev?.files?.release === desired?.release ? prev?.files : undefined;
      const baseline =
        !recorded && observe?.files.length && desired && facts?.current === desired.release && facts.revision === desired.commit && facts.files
          ? { release: desired.release, sha256: facts.files }
          : undefined;
      const classified = classifyHost({
        desired,
        observed,
        ...(recorded ? { files: recorded.sha256 } : {}),
        ...(observe?.service ? { service: observe.service } : {}),
      });
      // Reasons quote the host (a health check's output may echo a secret): masked before anyone sees them.
      const classification = classified && { sync: classified.sync, reasons: classified.reasons.map((r) => maskSecrets(r, deps.config.secrets)) };
      const out: HostObservation = { pipeline: pipeline.name, environment: env.name, host, path, locked: !!facts?.lock, ...(facts ? { facts } : {}), ...(prev ? { previous: prev } : {}) };
      if (!classification) return out;
      out.classification = classification;
      const forHeal = facts && desired && healFactsOf(facts, classification);
      if (forHeal && planHeal(forHeal, desired)) out.healFacts = forHeal;
      const now = deps.now().toISOString();
      const step = (p: HostSync | undefined): HostSync => {
        const next = nextHostSync(p, classification, { pipeline: pipeline.name, environment: env.name, now });
        if (baseline) next.files = baseline;
        else if (!observe?.files.length) delete next.files;
        return next;
      };
      if (!opts.record) {
        out.sync = step(prev);
      } else {
        const written = await updateHostSync(stateDir, host, path, (p) => (opts.stillValid && !opts.stillValid() ? undefined : step(p)));
        if (!written) return out;
        out.sync = written;
      }
      const event = syncEvent(prev, out.sync);
      if (event) out.event = event;
      return out;
    }),
  );
}

/**
 * The facts a heal decides from, when heal-plan has something to do with them. File drift alone
 * gives nothing to heal (slipway knows a tracked file's hash, not what it should contain), nor
 * does a unit that is not active while the health check passes (healHosts decides from the
 * health check it reads under the lock): both are reported and left to people.
 */
function healFactsOf(facts: HostFacts, c: Classification): HostFacts | undefined {
  return c.sync === 'out-of-sync' || c.sync === 'degraded' ? facts : undefined;
}

/**
 * After a deploy of an environment with observe.files: the files' sha256 as the deploy left
 * them, the baseline every observation compares with. One read per host; a host that cannot be
 * read now gets its baseline at its first observation instead.
 */
export async function recordDeployedFiles(deps: ObserveDeps, pipeline: PipelineConfig, env: EnvironmentConfig): Promise<void> {
  const files = observeOf(env)?.files ?? [];
  if (files.length === 0) return;
  const stateDir = deps.config.settings.stateDir;
  const desired = (await readPipelineState(stateDir, pipeline.name)).environments[env.name];
  if (!desired) return;
  await Promise.all(
    env.hosts.map(async (host) => {
      try {
        const conn = await deps.pool.get(host);
        const facts = await readHostFacts(conn, { path: env.deploy.path, files }, timeoutOf(deps.config, env));
        if (!facts.files) return;
        const sha256 = facts.files;
        await updateHostSync(stateDir, host, env.deploy.path, (p) => (p ? { ...p, files: { release: desired.release, sha256 } } : undefined));
      } catch {
        // The first observation of this release records the baseline instead.
      }
    }),
  );
}
