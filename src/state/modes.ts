// State folders made before slipway wrote them private (0644 files in 0755 folders, as a plain
// umask gives outside systemd): tightened at start, while holding the lock. A folder only its
// owner can enter protects everything below it, so the top level is enough. The state folder
// itself and the report (STATE/www) keep their modes: the report is meant to be served, and
// holds only masked text.
import { chmod, lstat } from 'node:fs/promises';
import { join } from 'node:path';

const PRIVATE = ['pipelines', 'runs', 'logs', 'hosts', 'inbox', 'work', 'cache', 'git', 'artifacts', 'config-repo', '.config-repo', 'audit.jsonl', 'lock'];

export async function tightenStateModes(stateDir: string): Promise<void> {
  for (const name of PRIVATE) {
    const path = join(stateDir, name);
    const info = await lstat(path).catch(() => undefined);
    if (!info || info.isSymbolicLink() || (info.mode & 0o077) === 0) continue;
    // Only ever removes group and other bits: a mode the operator made stricter stays.
    await chmod(path, info.mode & (info.isDirectory() ? 0o700 : 0o600)).catch(() => undefined);
  }
}
