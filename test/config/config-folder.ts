// Temp config folders for the config tests: files written from a table, removed afterwards.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TempConfig {
  /** The temp root; tests use it as the cwd, so messages say config/... */
  root: string;
  /** root/config */
  dir: string;
  /** root/home, given to loadConfig as HOME. */
  home: string;
  remove: () => Promise<void>;
}

/** Paths are relative to the root (so "config/hosts.yaml", "home/.ssh/id"); null skips a file. */
export async function writeTempConfig(files: Record<string, string | null>): Promise<TempConfig> {
  const root = await mkdtemp(join(tmpdir(), 'slipway-config-'));
  await mkdir(join(root, 'config'));
  await mkdir(join(root, 'home'));
  for (const [path, text] of Object.entries(files)) {
    if (text === null) continue;
    const absolute = join(root, path);
    await mkdir(dirname(absolute), { recursive: true });
    await writeFile(absolute, text);
  }
  return {
    root,
    dir: join(root, 'config'),
    home: join(root, 'home'),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
