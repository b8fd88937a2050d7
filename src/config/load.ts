// Config folder → Config, or one ConfigError carrying every problem at once. Each file goes
// YAML → secrets → schema (defaults filled in); then cross-file rules; only a config without a
// single issue is resolved, so the rest of slipway never sees a half-valid value.
import { readFile, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { visit } from 'yaml';
import type { ValidateFunction } from 'ajv';
import { ConfigError, MissingConfigFolder } from '../errors.ts';
import type { ConfigIssue } from '../errors.ts';
import { formatPath, locate, parseYamlSource } from './locate.ts';
import type { YamlSource } from './locate.ts';
import { resolveHosts, resolvePipeline, resolveSettings } from './resolve.ts';
import type { RawHost, RawPipeline, RawSettings } from './resolve.ts';
import { checkKeyFiles, checkPipeline, checkProxyJumps } from './rules.ts';
import type { HostInventory, KeyFileRef } from './rules.ts';
import * as generated from './validators.generated.ts';
import { schemaIssues } from './schema-issues.ts';
import { describeFsCode, substituteSecrets } from './secrets.ts';
import { maskSecrets } from '../exec/mask.ts';
import { userinfoSecrets } from './repo-url.ts';
import type { SecretContext } from './secrets.ts';
import type { Config, PipelineConfig } from './types.ts';

export interface LoadOptions {
  /** Where ${env:..} and ~ (HOME) come from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** File names in messages are relative to this; default process.cwd(). */
  cwd?: string;
  /**
   * 'keep': a ${env:}/${file:} secret that cannot be read stays as its own text instead of being
   * an error. For commands that only read the state or hand a request to the running daemon: an
   * operator's shell rarely has the daemon's secrets, and they need none of them.
   */
  missingSecrets?: 'error' | 'keep';
}

const PIPELINE_NAME = /^[a-z0-9][a-z0-9._-]*$/i;

interface Validators {
  settings: ValidateFunction;
  hosts: ValidateFunction;
  pipeline: ValidateFunction;
}

// Compiled ahead of time by ajv's standalone code (scripts/gen-config-validators.ts, `npm run
// gen`), with verbose errors: the error mapper needs each error's schema (to name allowed keys,
// spot durations). Compiling them here cost every command ~0.3 s of CPU at start.
const compiled = generated as unknown as Validators;

function validators(): Validators {
  return compiled;
}

interface LoadedFile {
  source: YamlSource;
  /** The value with secrets substituted and defaults filled in; undefined after a YAML syntax error. */
  data: unknown;
  /** No issue of any kind in this file. */
  valid: boolean;
}

/** FILE as the user can reach it from the cwd: relative below it, absolute elsewhere. */
export function displayPath(absolute: string, cwd: string): string {
  const rel = relative(cwd, absolute);
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? absolute : rel;
}

export async function loadConfig(dir: string, options: LoadOptions = {}): Promise<Config> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const configDir = resolve(cwd, dir);
  const show = (absolute: string): string => displayPath(absolute, cwd);
  await requireFolder(configDir, show(configDir));

  const home = env.HOME ?? homedir();
  const context: SecretContext = { env, configDir, home, ...(options.missingSecrets === 'keep' ? { keepMissing: true } : {}) };
  const issues: ConfigIssue[] = [];
  const secrets: string[] = [];
  const secretFiles: string[] = [];
  /** A file that cannot be read is an issue like any other, located at its first line. */
  const load = async (absolute: string, validate: ValidateFunction, optional: boolean): Promise<LoadedFile> => {
    const text = await readConfigText(absolute, optional);
    if (typeof text === 'object') {
      const { source } = parseYamlSource(show(absolute), '');
      issues.push({ file: source.file, line: 1, col: 1, message: text.problem });
      return { source, data: undefined, valid: false };
    }
    const file = await loadFile({ file: show(absolute), text, validate, context });
    issues.push(...file.issues);
    for (const secret of file.secrets) if (!secrets.includes(secret)) secrets.push(secret);
    for (const path of file.secretFiles) if (!secretFiles.includes(path)) secretFiles.push(path);
    return file;
  };

  const settingsPath = join(configDir, 'slipway.yaml');
  const settings = await load(settingsPath, validators().settings, true);
  const hostsPath = join(configDir, 'hosts.yaml');
  const hosts = await load(hostsPath, validators().hosts, true);
  const inventory: HostInventory = { names: hostNames(hosts), file: show(hostsPath) };
  issues.push(...checkProxyJumps(hosts.data, hosts.source));

  const pipelines: Array<{ name: string; file: LoadedFile }> = [];
  for (const entry of await listPipelineFiles(join(configDir, 'pipelines'))) {
    const file = show(entry.path);
    if (entry.problem) {
      issues.push({ file, line: 1, col: 1, message: entry.problem });
      continue;
    }
    if (!PIPELINE_NAME.test(entry.name)) {
      issues.push({
        file, line: 1, col: 1,
        message: `pipeline name "${entry.name}" (from the file name) is invalid; rename the file to letters, digits, ".", "_" or "-", starting with a letter or digit`,
      });
    }
    const loaded = await load(entry.path, validators().pipeline, false);
    issues.push(...checkPipeline(loaded.data, loaded.source, inventory));
    pipelines.push({ name: entry.name, file: loaded });
  }

  issues.push(...(await checkKeyFiles(keyFileRefs(settings, hosts), configDir, home)));
  // Credentials written into a repo URL are secrets like ${env:} ones (masked everywhere).
  for (const url of [field(field(settings.data, 'configRepo'), 'repo'), ...pipelines.map((p) => field(p.file.data, 'repo'))]) {
    if (typeof url === 'string') for (const secret of userinfoSecrets(url)) if (secret.length > 0 && !secrets.includes(secret)) secrets.push(secret);
  }
  if (issues.length > 0) throw new ConfigError(tidy(issues, secrets));

  const where = { configDir, home };
  const resolvedSettings = resolveSettings(settings.data as RawSettings, where);
  const resolvedPipelines: PipelineConfig[] = pipelines.map(({ name, file }) =>
    resolvePipeline({ name, file: file.source.file }, file.data as RawPipeline, resolvedSettings));
  return {
    dir: configDir,
    settings: resolvedSettings,
    hosts: resolveHosts(hosts.data as Record<string, RawHost>, where),
    pipelines: resolvedPipelines,
    secrets,
    secretFiles,
  };
}

export function describeConfig(config: Config): string {
  const count = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `config OK: ${count(config.pipelines.length, 'pipeline')}, ${count(Object.keys(config.hosts).length, 'host')}`;
}

async function requireFolder(configDir: string, shown: string): Promise<void> {
  const info = await stat(configDir).catch(() => undefined);
  if (info?.isDirectory()) return;
  // Not a FILE:LINE:COL problem: there is no file to point into, so it is said plainly.
  throw new MissingConfigFolder(info
    ? `the config folder "${shown}" is a file, not a folder; pass --config DIR (or set $SLIPWAY_CONFIG)`
    : `no config folder at "${shown}"; create one with "slipway init ${shown}", or pass --config DIR (or set $SLIPWAY_CONFIG)`);
}

/** A missing slipway.yaml or hosts.yaml is an empty one: every default applies. */
async function readConfigText(path: string, optional: boolean): Promise<string | { problem: string }> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    if (optional && code === 'ENOENT') return '';
    return { problem: `cannot read this file (${describeFsCode(code)}); fix its permissions or replace it with a file` };
  }
}

async function loadFile(input: {
  file: string;
  text: string;
  validate: ValidateFunction;
  context: SecretContext;
}): Promise<LoadedFile & { issues: ConfigIssue[]; secrets: string[]; secretFiles: string[] }> {
  const { source, issues } = parseYamlSource(input.file, input.text);
  if (issues.length > 0) return { source, data: undefined, valid: false, issues, secrets: [], secretFiles: [] };
  const raw = toValue(source);
  if (typeof raw === 'object' && raw !== null && 'aliasBomb' in raw && raw.aliasBomb instanceof AliasBomb) {
    return { source, data: undefined, valid: false, issues: [raw.aliasBomb.issue], secrets: [], secretFiles: [] };
  }
  const substituted = await substituteSecrets(raw, input.context);
  const secretIssues = substituted.problems.map((problem) => {
    const { line, col } = locate(source, problem.path);
    const where = formatPath(problem.path);
    return { file: input.file, line, col, message: where === '' ? problem.message : `${where}: ${problem.message}` };
  });
  const data = substituted.value;
  const schemaOk = input.validate(data);
  // A failed reference keeps its text, which the schema may refuse too; the secret's message says more.
  const taken = new Set(secretIssues.map((issue) => `${issue.line}:${issue.col}`));
  const fromSchema = schemaOk ? [] : schemaIssues(input.validate.errors ?? [], source, data, substituted.secrets)
    .filter((issue) => !taken.has(`${issue.line}:${issue.col}`));
  const all = [...secretIssues, ...fromSchema];
  return { source, data, valid: all.length === 0, issues: all, secrets: substituted.secrets, secretFiles: substituted.files };
}

class AliasBomb {
  constructor(readonly issue: ConfigIssue) {}
}

/**
 * The file as a plain value. yaml refuses to expand a document whose aliases would multiply it
 * (its maxAliasCount guard against "billion laughs"): a located issue at the first alias, not an
 * internal error.
 */
function toValue(source: YamlSource): unknown {
  try {
    return source.doc.toJS() ?? {};
  } catch (error) {
    if (!(error instanceof ReferenceError) || !/alias/i.test(error.message)) throw error;
    // yaml says "Excessive alias count" for a bomb; any other alias error is an unknown anchor.
    const bomb = /excessive/i.test(error.message);
    const unknown = bomb ? undefined : /:\s*(\S+)\s*$/.exec(error.message)?.[1];
    let offset = 0;
    visit(source.doc, { Alias: (_key, node) => {
      if (unknown !== undefined && node.source !== unknown) return undefined;
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    } });
    const { line, col } = source.lineCounter.linePos(offset);
    const message = bomb || unknown === undefined
      ? 'YAML: too many aliases (an alias bomb?); expand the repeated parts or use fewer aliases'
      : `YAML: unknown alias *${unknown}; define its anchor (&${unknown}) before the alias`;
    return { aliasBomb: new AliasBomb({ file: source.file, line, col, message }) };
  }
}

function hostNames(hosts: LoadedFile): string[] | undefined {
  const data = hosts.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  return Object.keys(data);
}

function keyFileRefs(settings: LoadedFile, hosts: LoadedFile): KeyFileRef[] {
  const refs: KeyFileRef[] = [];
  // Checked even when the file has other problems: each reference that is a string is worth a look.
  const ssh = field(settings.data, 'ssh');
  const identity = field(ssh, 'identity');
  const knownHosts = field(ssh, 'knownHosts');
  if (typeof identity === 'string') refs.push({ source: settings.source, path: ['ssh', 'identity'], value: identity, kind: 'identity' });
  if (typeof knownHosts === 'string') refs.push({ source: settings.source, path: ['ssh', 'knownHosts'], value: knownHosts, kind: 'knownHosts' });
  const hostEntries = hosts.data !== null && typeof hosts.data === 'object' ? Object.entries(hosts.data) : [];
  for (const [name, host] of hostEntries) {
    const hostIdentity = field(host, 'identity');
    if (typeof hostIdentity === 'string') refs.push({ source: hosts.source, path: [name, 'identity'], value: hostIdentity, kind: 'identity' });
  }
  return refs;
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

interface PipelineFile {
  name: string;
  path: string;
  problem?: string;
}

/** pipelines/*.yaml in name order; a missing folder means no pipelines. */
async function listPipelineFiles(folder: string): Promise<PipelineFile[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw error;
  });
  const files: PipelineFile[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || !(entry.isFile() || entry.isSymbolicLink())) continue;
    const path = join(folder, entry.name);
    if (entry.name.endsWith('.yaml')) files.push({ name: entry.name.slice(0, -'.yaml'.length), path });
    // A .yml file would otherwise be skipped without a word: the pipeline silently never runs.
    else if (entry.name.endsWith('.yml')) {
      const name = entry.name.slice(0, -'.yml'.length);
      files.push({ name, path, problem: `pipeline files end in .yaml; rename it to ${name}.yaml` });
    }
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Secrets masked, duplicates dropped, sorted by file, line, column. */
function tidy(issues: ConfigIssue[], secrets: string[]): ConfigIssue[] {
  const seen = new Set<string>();
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    // Every form a message may quote a secret in (raw, JSON-escaped, URL-encoded): maskForms.
    const message = maskSecrets(issue.message, secrets);
    const key = `${issue.file}\0${issue.line}\0${issue.col}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...issue, message });
  }
  return out.sort((a, b) =>
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.col - b.col);
}
