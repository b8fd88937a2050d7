// Config values and host facts for the plan table tests: plain data, as loadConfig makes it.
import type { DeploySpec, EnvironmentConfig, HostConfig, PipelineConfig } from '../../src/config/types.ts';
import type { HostFacts } from '../../src/pipeline/host-facts.ts';
import type { PlanHost } from '../../src/pipeline/deploy-plan.ts';
import type { Plan, PlanStep } from '../../src/pipeline/plan-types.ts';

export const A = 'a'.repeat(40);
export const B = 'b'.repeat(40);
export const C = 'c'.repeat(40);
export const OLD = '20260101000000-aaaaaaa';
export const PREV = '20260102000000-bbbbbbb';
export const NEW = '20260103000000-ccccccc';
export const LOCK = 'state=s run=app#7 by=ops pid=1 at=t';

export function spec(over: Partial<DeploySpec> = {}): DeploySpec {
  return {
    path: '/srv/app',
    source: 'pull',
    steps: [],
    onceSteps: [],
    shared: [],
    restart: './restart.sh',
    healthCheck: { command: 'curl -fsS localhost/health', timeoutMs: 10_000, intervalMs: 500 },
    keepReleases: 2,
    commandTimeoutMs: 60_000,
    lockTimeoutMs: 1_800_000,
    lockWaitMs: 600_000,
    ...over,
  } as DeploySpec;
}

export function env(hosts: string[], over: Partial<DeploySpec> = {}, batch?: number): EnvironmentConfig {
  return { name: 'prod', hosts, approval: 'auto', deploy: spec(over), ...(batch ? { batch } : {}) };
}

export function pipeline(e: EnvironmentConfig): PipelineConfig {
  return { name: 'app', file: 'pipelines/app.yaml', repo: 'https://git.example/app.git', branch: 'main', branches: ['main'], poll: '* * * * *', timeoutMs: 60_000, network: true, test: [], build: [], deploy: e.deploy, environments: [e] } as PipelineConfig;
}

export function host(name: string): HostConfig {
  return { name, address: '10.0.0.1', port: 22, user: 'deploy', env: { PORT: '3001' } } as HostConfig;
}

/** A host that runs PREV (OLD before it). */
export const running: HostFacts = { current: PREV, revision: B, releases: [OLD, PREV], commits: { [OLD]: A, [PREV]: B }, lock: { ageSeconds: 0, holder: LOCK } };
/** A host nothing was deployed to yet (only our lock). */
export const fresh: HostFacts = { releases: [], commits: {}, lock: { ageSeconds: 0, holder: LOCK } };

export function planHost(name: string, facts: HostFacts): PlanHost {
  return { host: host(name), facts, lock: LOCK };
}

/** Each host's steps as "id" (the ENV-HOST- prefix cut), in wave order; unlocks and undos marked. */
export function shape(plan: Plan): string[][][] {
  return plan.batches.map((waves) => waves.map((wave) => wave.flatMap(({ steps }) => steps.map(label))));
}

export function label(s: PlanStep): string {
  const what = s.id.replace(/^prod-[^-]+-/, '');
  const host = s.name.split(':')[0];
  return `${host}:${what}${s.unlocks ? '+unlock' : ''}${s.undo ? ` (undo ${s.undo.map((u) => u.id.replace(/^prod-[^-]+-/, '')).join(',')})` : ''}`;
}

/** SSH execs of one host's plan when every step passes: a step is one exec (a retry once, at best), plus the unlock unless folded. */
export function execsOf(plan: Plan, hostName: string): number {
  const steps = plan.batches.flatMap((waves) => waves.flatMap((wave) => wave.filter((w) => w.host === hostName).flatMap((w) => w.steps)));
  const n = steps.reduce((sum, s) => sum + (s.script ? 1 : 0) + (s.retry ? 1 : 0), 0);
  return n + (steps.some((s) => s.unlocks) ? 0 : 1);
}
