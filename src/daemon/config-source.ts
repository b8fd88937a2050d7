// Where the daemon's config comes from: the local config folder (--config DIR), and, when its
// slipway.yaml names a `configRepo`, that repository's newest commit written out to
// STATE/config-repo/ (GitOps for slipway itself). A candidate is written to
// STATE/config-repo.candidate/ first and validated there; only a valid one replaces the last
// good one, so a bad push leaves its files (and located errors) for the user and changes nothing.
// The state folder always stays the local one: a running daemon cannot move it.
import { readFile, rename, rm } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { join } from 'node:path';
import { validate as validateCron } from 'node-cron';
// Loaded in a config process (config-process.ts), never in the daemon itself: yaml and the
// config schema compiler stay out of its memory.
import type { Config } from '../config/types.ts';
import { displayPath, loadConfig } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import { writeTree } from '../git/tree.ts';
import { configRepoPaths, type LoadedConfig } from './config-repo.ts';

export type { LoadedConfig } from './config-repo.ts';

/** The local config folder, checked a little further than `validate` does for what only the daemon uses. */
export async function loadLocalConfig(dir: string): Promise<Config> {
  const config = await loadConfig(dir);
  const repo = config.settings.configRepo;
  if (repo && !validateCron(repo.poll)) {
    const file = join(config.dir, 'slipway.yaml');
    const text = await readFile(file, 'utf8').catch(() => '');
    const lineCounter = new LineCounter();
    const node = parseDocument(text, { lineCounter }).getIn(['configRepo', 'poll'], true) as { range?: [number, number, number] } | undefined;
    const pos = node?.range ? lineCounter.linePos(node.range[0]) : { line: 1, col: 1 };
    throw new ConfigError([{ file: displayPath(file, process.cwd()), line: pos.line, col: pos.col, message: `configRepo.poll: ${JSON.stringify(repo.poll)} is not a valid cron expression; use 5 fields like "*/5 * * * *"` }]);
  }
  return config;
}

/**
 * Writes the commit's files as the candidate, validates them (throws ConfigError, located in the
 * candidate's files), then makes them STATE/config-repo and loads that. `local` supplies the
 * state folder and the configRepo setting itself.
 */
export async function applyConfigCommit(local: Config, commit: string): Promise<LoadedConfig> {
  const stateDir = local.settings.stateDir;
  const paths = configRepoPaths(stateDir);
  await rm(paths.candidate, { recursive: true, force: true });
  await writeTree({ gitdir: paths.gitdir, sha: commit, dir: paths.candidate });
  await loadConfig(paths.candidate);
  const old = `${paths.current}.old`;
  await rm(old, { recursive: true, force: true });
  await rename(paths.current, old).catch(() => undefined);
  await rename(paths.candidate, paths.current);
  await rm(old, { recursive: true, force: true });
  return { config: overLocal(local, await loadConfig(paths.current)), origin: `config repo at ${commit.slice(0, 7)}`, commit };
}

/** The last good config repo files, if any (when the repo cannot be reached at start). */
export async function loadLastConfigRepo(local: Config): Promise<LoadedConfig | undefined> {
  const paths = configRepoPaths(local.settings.stateDir);
  try {
    return { config: overLocal(local, await loadConfig(paths.current)), origin: 'config repo (last good copy)' };
  } catch (e) {
    if (e instanceof ConfigError && /not found|does not exist|no such/i.test(e.message)) return undefined;
    throw e;
  }
}

function overLocal(local: Config, fromRepo: Config): Config {
  const settings = { ...fromRepo.settings, stateDir: local.settings.stateDir };
  if (local.settings.configRepo) settings.configRepo = local.settings.configRepo;
  else delete settings.configRepo;
  return { ...fromRepo, settings, secrets: [...new Set([...fromRepo.secrets, ...local.secrets])], secretFiles: [...new Set([...fromRepo.secretFiles, ...local.secretFiles])] };
}
