// Checks that JSON Schema cannot express: references between files (hosts named by environments,
// key files on disk), uniqueness inside lists of maps, cron syntax, "command or url". They run on
// values that passed the schema, so types are known to be right.
import { access, constants, stat } from 'node:fs/promises';
import { validate as validateCron } from 'node-cron';
import type { ConfigIssue } from '../errors.ts';
import { formatPath, locate } from './locate.ts';
import type { Anchor, JsonPath, YamlSource } from './locate.ts';
import { resolveLocalPath } from './local-path.ts';
import { describeFsCode } from './secrets.ts';

export interface HostInventory {
  /** Defined host names, or undefined when hosts.yaml could not be read (then names are not checked). */
  names: string[] | undefined;
  /** hosts.yaml as shown in messages. */
  file: string;
}

function issueAt(source: YamlSource, path: JsonPath, text: string, anchor: Anchor = 'value'): ConfigIssue {
  const { line, col } = locate(source, path, anchor);
  return { file: source.file, line, col, message: `${formatPath(path)}: ${text}` };
}

type Loose = Record<string, unknown>;

function isMap(value: unknown): value is Loose {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Runs on whatever the schema left standing (each check looks only at parts of the right type), so
 * a file with a type error still gets its unknown hosts and bad cron reported in the same pass.
 */
export function checkPipeline(pipeline: unknown, source: YamlSource, inventory: HostInventory): ConfigIssue[] {
  if (!isMap(pipeline)) return [];
  const issues: ConfigIssue[] = [];
  if (typeof pipeline.poll === 'string' && !validateCron(pipeline.poll)) {
    issues.push(issueAt(source, ['poll'], `${JSON.stringify(pipeline.poll)} is not a valid cron expression; use 5 fields like "*/5 * * * *"`));
  }
  const baseHealth = isMap(pipeline.deploy) && isMap(pipeline.deploy.healthCheck) ? pipeline.deploy.healthCheck : undefined;
  if (baseHealth) issues.push(...checkHealth(baseHealth, source, ['deploy', 'healthCheck']));
  const environments = Array.isArray(pipeline.environments) ? pipeline.environments : [];
  issues.push(...checkDeployShape(pipeline, environments, source));
  const seenNames = new Set<string>();
  for (const [index, environment] of environments.entries()) {
    if (!isMap(environment)) continue;
    const at: JsonPath = ['environments', index];
    if (typeof environment.name === 'string') {
      if (seenNames.has(environment.name)) {
        issues.push(issueAt(source, [...at, 'name'], `duplicate environment "${environment.name}"; give each environment its own name`));
      }
      seenNames.add(environment.name);
    }
    if (Array.isArray(environment.hosts)) issues.push(...checkHosts(environment.hosts, source, [...at, 'hosts'], inventory));
    const override = isMap(environment.deploy) && isMap(environment.deploy.healthCheck) ? environment.deploy.healthCheck : undefined;
    if (override) issues.push(...checkHealth({ ...baseHealth, ...override }, source, [...at, 'deploy', 'healthCheck']));
  }
  return issues;
}

/**
 * A test-only pipeline has neither deploy nor environments; one without the other, an environment
 * with no deploy path, or `source: artifact` with nothing packed would fail only at deploy time.
 */
function checkDeployShape(pipeline: Loose, environments: unknown[], source: YamlSource): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const deploy = isMap(pipeline.deploy) ? pipeline.deploy : undefined;
  if (deploy && pipeline.environments === undefined) {
    issues.push(issueAt(source, ['deploy'], 'there are no environments to deploy to; add environments: with at least one { name, hosts }, or remove deploy: for a test-only pipeline', 'key'));
  }
  const sources: Array<{ at: JsonPath; value: unknown }> = [];
  if (deploy?.source !== undefined) sources.push({ at: ['deploy', 'source'], value: deploy.source });
  for (const [index, environment] of environments.entries()) {
    if (!isMap(environment)) continue;
    const override = isMap(environment.deploy) ? environment.deploy : undefined;
    if (override?.source !== undefined) sources.push({ at: ['environments', index, 'deploy', 'source'], value: override.source });
    if (typeof deploy?.path === 'string' || typeof override?.path === 'string') continue;
    const text = deploy
      ? 'has no deploy path; add path: to deploy: (the folder on the hosts, absolute or ~/...)'
      : 'has no deploy path; add a deploy: section with path: (the folder on the hosts), or remove environments: for a test-only pipeline';
    issues.push(issueAt(source, ['environments', index], text));
  }
  if (pipeline.artifact === undefined) {
    for (const s of sources) {
      if (s.value === 'artifact') issues.push(issueAt(source, s.at, 'source: artifact needs something to ship; add artifact: { paths: [...] } (what build produced), or use source: pull'));
    }
  }
  return issues;
}

/** proxyJump names another defined host, and following the jumps never comes back round. */
export function checkProxyJumps(hosts: unknown, source: YamlSource): ConfigIssue[] {
  if (!isMap(hosts)) return [];
  const issues: ConfigIssue[] = [];
  const names = Object.keys(hosts);
  for (const [name, host] of Object.entries(hosts)) {
    if (!isMap(host) || typeof host.proxyJump !== 'string') continue;
    const at: JsonPath = [name, 'proxyJump'];
    if (!names.includes(host.proxyJump)) {
      issues.push(issueAt(source, at, `unknown host "${host.proxyJump}"; name another host of this file (known: ${names.join(', ')})`));
      continue;
    }
    const seen = [name];
    for (let next: unknown = host.proxyJump; typeof next === 'string' && isMap(hosts[next]); next = (hosts[next] as Loose).proxyJump) {
      if (seen.includes(next)) {
        issues.push(issueAt(source, at, `jump hosts go round in a loop (${[...seen, next].join(' -> ')}); break the loop`));
        break;
      }
      seen.push(next);
    }
  }
  return issues;
}

function checkHosts(hosts: unknown[], source: YamlSource, at: JsonPath, inventory: HostInventory): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const [index, host] of hosts.entries()) {
    if (typeof host !== 'string') continue;
    if (seen.has(host)) {
      issues.push(issueAt(source, [...at, index], `host "${host}" is listed twice; remove one`));
      continue;
    }
    seen.add(host);
    const names = inventory.names;
    if (names && !names.includes(host)) {
      const known = names.length > 0 ? `known: ${names.join(', ')}` : 'no hosts are defined yet';
      issues.push(issueAt(source, [...at, index], `unknown host "${host}"; define it in ${inventory.file} (${known})`));
    }
  }
  return issues;
}

function checkHealth(check: Loose, source: YamlSource, at: JsonPath): ConfigIssue[] {
  if (check.command !== undefined || check.url !== undefined) return [];
  return [issueAt(source, at, 'has neither command nor url; add command: (run on the host) or url: (fetched from the host)')];
}

export interface KeyFileRef {
  source: YamlSource;
  path: JsonPath;
  /** As written in the config. */
  value: string;
  kind: 'identity' | 'knownHosts';
}

/** Referenced key files must exist now: a deploy that fails at 3 a.m. on a typo helps nobody. */
export async function checkKeyFiles(refs: KeyFileRef[], configDir: string, home: string): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  for (const ref of refs) {
    const absolute = resolveLocalPath(ref.value, configDir, home);
    const problem = await fileProblem(absolute);
    if (!problem) continue;
    const fix = ref.kind === 'identity'
      ? `create it (ssh-keygen -t ed25519 -f ${absolute}) or fix the path`
      : `create it (ssh-keyscan -H HOST >> ${absolute}) or fix the path`;
    issues.push(issueAt(ref.source, ref.path, `cannot read ${absolute} (${problem}); ${fix}`));
  }
  return issues;
}

async function fileProblem(path: string): Promise<string | undefined> {
  try {
    if (!(await stat(path)).isFile()) return 'not a file';
    await access(path, constants.R_OK);
    return undefined;
  } catch (error) {
    return describeFsCode((error as NodeJS.ErrnoException).code ?? 'unreadable');
  }
}
