// Where each file of the state folder lives (README "State folder"). Names come from the config
// (pipeline file names, host keys) and from the pipeline (step ids); one with a path separator or
// a dot-dot would write outside its folder, so every path builder refuses them.

import { join, relative, isAbsolute } from 'node:path';
import { StateError } from '../errors.ts';

export interface StatePaths {
  root: string;
  lock: string;
  pipelines: string;
  pipelineFile(name: string): string;
  runs: string;
  runsDir(name: string): string;
  runFile(name: string, n: number): string;
  logs: string;
  logsDir(name: string, n: number): string;
  stepLog(name: string, n: number, stepId: string): string;
  hosts: string;
  hostFile(host: string): string;
  inbox: string;
  www: string;
  /** STATE/git/NAME.git, the mirror (owned by the git module). */
  git(name: string): string;
  work: string;
  /** STATE/artifacts/NAME/N.tar.gz: the artifact run N packed (deploy.source: artifact). */
  artifact(name: string, n: number): string;
  /** STATE/statuses/NAME/N.json: commit statuses posted for run N. */
  statusLog(name: string, n: number): string;
  /** STATE/cache/pipelines/NAME: the pipeline's `cache:` archives, KEY.tar.gz. */
  cacheArchives(name: string): string;
  /** STATE/cache/home/NAME: HOME of the pipeline's sandboxed test commands, kept between runs. */
  cacheHome(name: string): string;
  /** STATE/cache/report: what the report renderer keeps between renders. */
  reportCache: string;
  /** STATE/work/NAME/N: run N's test workspace. */
  workspace(name: string, n: number): string;
  /** STATE/work/NAME/upload-N-ENV: the tested tree a source: upload deploy streams to its hosts. */
  uploadTree(name: string, n: number, env: string): string;
  /** STATE/audit.jsonl: one line per deploy, rollback, heal, approval and cancel. */
  audit: string;
  /** STATE/id: this state folder's id (named in host locks). */
  id: string;
  /** The config repo (settings.configRepo): its mirror, the checked-out config and a candidate. */
  configRepo: { gitdir: string; current: string; candidate: string };
}

export function safeName(kind: string, name: string): string {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new StateError(`${kind} name ${JSON.stringify(name)} cannot be used as a file name`);
  }
  return name;
}

function runNumber(n: number): string {
  if (!Number.isSafeInteger(n) || n < 1) throw new StateError(`run number ${n} is not a positive integer`);
  return String(n);
}

// The last few state folders' paths: statePaths is called for every step log and state write
// (a dozen joins each time, ~0.6 ms of CPU per host in a 100-host deploy); a process uses one
// or two state folders, tests many, hence the small bound.
const recentPaths = new Map<string, StatePaths>();

export function statePaths(stateDir: string): StatePaths {
  let paths = recentPaths.get(stateDir);
  if (paths === undefined) {
    // Frozen: one object is shared by every caller.
    paths = Object.freeze(buildStatePaths(stateDir));
    if (recentPaths.size >= 8) recentPaths.delete(recentPaths.keys().next().value as string);
    recentPaths.set(stateDir, paths);
  }
  return paths;
}

function buildStatePaths(stateDir: string): StatePaths {
  const root = stateDir;
  const pipelines = join(root, 'pipelines');
  const runs = join(root, 'runs');
  const logs = join(root, 'logs');
  const hosts = join(root, 'hosts');
  return {
    root,
    lock: join(root, 'lock'),
    pipelines,
    pipelineFile: (name) => join(pipelines, `${safeName('pipeline', name)}.json`),
    runs,
    runsDir: (name) => join(runs, safeName('pipeline', name)),
    runFile: (name, n) => join(runs, safeName('pipeline', name), `${runNumber(n)}.json`),
    logs,
    logsDir: (name, n) => join(logs, safeName('pipeline', name), runNumber(n)),
    stepLog: (name, n, stepId) => join(logs, safeName('pipeline', name), runNumber(n), `${safeName('step', stepId)}.log`),
    hosts,
    hostFile: (host) => join(hosts, `${safeName('host', host)}.json`),
    inbox: join(root, 'inbox'),
    www: join(root, 'www'),
    git: (name) => join(root, 'git', `${safeName('pipeline', name)}.git`),
    work: join(root, 'work'),
    artifact: (name, n) => join(root, 'artifacts', safeName('pipeline', name), `${runNumber(n)}.tar.gz`),
    statusLog: (name, n) => join(root, 'statuses', safeName('pipeline', name), `${runNumber(n)}.json`),
    cacheArchives: (name) => join(root, 'cache', 'pipelines', safeName('pipeline', name)),
    cacheHome: (name) => join(root, 'cache', 'home', safeName('pipeline', name)),
    reportCache: join(root, 'cache', 'report'),
    workspace: (name, n) => join(root, 'work', safeName('pipeline', name), runNumber(n)),
    uploadTree: (name, n, env) => join(root, 'work', safeName('pipeline', name), `upload-${runNumber(n)}-${safeName('environment', env)}`),
    audit: join(root, 'audit.jsonl'),
    id: join(root, 'id'),
    configRepo: Object.freeze({
      // Pipeline names start with a letter or digit, so this name never collides with a pipeline's mirror.
      gitdir: join(root, 'git', '.config-repo.git'),
      current: join(root, 'config-repo'),
      candidate: join(root, 'config-repo.candidate'),
    }),
  };
}

/** How messages name a state file: relative to the cwd when it is below it, else absolute. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
