// The config repo's folders and its fetch: what the daemon does with the config repo itself
// (loading and validating its files happens in a config process: config-process.ts).
import type { Config, ConfigRepo } from '../config/types.ts';
import { fetchMirror } from '../git/mirror.ts';
import { statePaths } from '../state/paths.ts';

export interface LoadedConfig {
  config: Config;
  /** "local" or "config repo at <sha7>". */
  origin: string;
  /** The config repo commit it came from. */
  commit?: string;
}

export function configRepoPaths(stateDir: string): { gitdir: string; current: string; candidate: string } {
  return statePaths(stateDir).configRepo;
}

/** Fetch the config repo; the head commit, or undefined when it is the one we already run. */
export async function fetchConfigRepo(repo: ConfigRepo, stateDir: string, current: string | undefined): Promise<string | undefined> {
  const remote = { url: repo.repo, branch: repo.branch, ...(repo.auth ? { auth: repo.auth } : {}) };
  const { head } = await fetchMirror({ remote, gitdir: configRepoPaths(stateDir).gitdir });
  return head === current ? undefined : head;
}
