// Paths that slipway itself reads (keys, known_hosts, the state folder, secret files): "~/" is the
// HOME of the environment slipway runs in, and relative paths are relative to the config folder,
// so a config means the same thing whatever the cwd. Remote paths (deploy.path) never come here.
import { isAbsolute, join, resolve } from 'node:path';

export function resolveLocalPath(path: string, configDir: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return isAbsolute(path) ? path : resolve(configDir, path);
}
